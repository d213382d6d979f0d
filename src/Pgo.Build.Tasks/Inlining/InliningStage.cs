using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Text;
using Pgo.Build.Hints;
using Pgo.Build.IO;
using Pgo.Build.Metadata;
using Pgo.Build.Naming;

namespace Pgo.Build.Inlining
{
    /// <summary>What the inlining stage did to one assembly.</summary>
    public sealed record InliningOutcome(IReadOnlyList<string> Marked, int Candidates, IReadOnlyDictionary<string, int> Skipped, bool Changed, string Summary);

    /// <summary>
    /// Go's hot-callsite inlining for the JIT: the callees of the hot call sites in <c>inline-hints.txt</c> that are
    /// defined in the compiled assembly and small enough get <c>MethodImplOptions.AggressiveInlining</c>, by patching
    /// their MethodDef ImplFlags in place. Nothing else in the file changes (IL, tokens, MVID, debug directory), so
    /// the PDB still matches and the output is deterministic. A state file remembers the original flags, so a later
    /// run on the same compiler output first restores them (a method that is no longer hot loses the flag).
    /// </summary>
    public static class InliningStage
    {
        public const string StateFileName = "inlining.state";
        public const int DefaultBudget = 120;

        private const ushort AggressiveInlining = (ushort)MethodImplAttributes.AggressiveInlining;
        private const ushort NoInlining = (ushort)MethodImplAttributes.NoInlining;

        public static InliningOutcome Run(string assemblyPath, string hintDirectory, int ilBudget, bool restoreOnly = false)
        {
            string hintsPath = Path.Combine(hintDirectory, HintFileNames.InlineHints);
            var hot = !restoreOnly && File.Exists(hintsPath) ? InlineHintsFile.Read(hintsPath) : Array.Empty<CallGraph.CallEdge>();
            return Core(assemblyPath, hot, Path.Combine(hintDirectory, StateFileName), ilBudget);
        }

        /// <summary>What <see cref="Run"/> would mark for these hot call sites, without touching any file.</summary>
        public static InliningOutcome Plan(string assemblyPath, IReadOnlyList<CallGraph.CallEdge> hot, int ilBudget) =>
            Core(assemblyPath, hot, null, ilBudget);

        private static InliningOutcome Core(string assemblyPath, IReadOnlyList<CallGraph.CallEdge> hot, string? statePath, int ilBudget)
        {
            byte[] image = File.ReadAllBytes(assemblyPath);
            var skipped = new SortedDictionary<string, int>(StringComparer.Ordinal);
            var marked = new List<string>();
            int candidates = 0;
            bool changed;
            using (var pe = new PEReader(new MemoryStream(image, writable: false)))
            {
                var reader = pe.GetMetadataReader();
                if ((pe.PEHeaders.CorHeader!.Flags & CorFlags.StrongNameSigned) != 0)
                {
                    return new InliningOutcome(marked, 0, skipped, false, $"PGO: {Path.GetFileName(assemblyPath)}: strong-name signed, not rewritten (AggressiveInlining hints skipped).");
                }

                string mvid = reader.GetGuid(reader.GetModuleDefinition().Mvid).ToString("N");
                int tableOffset = pe.PEHeaders.MetadataStartOffset + reader.GetTableMetadataOffset(TableIndex.MethodDef);
                int rowSize = reader.GetTableRowSize(TableIndex.MethodDef);
                int FlagsOffset(MethodDefinitionHandle h) => tableOffset + (MetadataTokens.GetRowNumber(h) - 1) * rowSize + 4;

                // Undo what an earlier run did to this very compiler output.
                var original = statePath == null ? new Dictionary<int, ushort>() : ReadState(statePath, mvid);
                foreach (var kv in original)
                {
                    var h = MetadataTokens.MethodDefinitionHandle(kv.Key);
                    WriteUInt16(image, FlagsOffset(h), kv.Value);
                }

                // Profiles name methods in their producer's dialect; every dialect and the metadata meet on the key.
                var byKey = new Dictionary<string, List<MethodDefinitionHandle>>(StringComparer.Ordinal);
                foreach (var h in reader.MethodDefinitions)
                {
                    string? key = FrameNames.KeyOf(MetadataNames.MethodReadableName(reader, h));
                    if (key == null)
                    {
                        continue;
                    }

                    if (!byKey.TryGetValue(key, out var list))
                    {
                        byKey.Add(key, list = new List<MethodDefinitionHandle>());
                    }

                    list.Add(h);
                }

                var newState = new SortedDictionary<int, ushort>();
                var seen = new HashSet<MethodDefinitionHandle>();
                foreach (var callee in hot.Select(e => e.Callee).Distinct(StringComparer.Ordinal).OrderBy(n => n, StringComparer.Ordinal))
                {
                    string? calleeKey = FrameNames.Parse(callee)?.Key;
                    if (calleeKey == null || !byKey.TryGetValue(calleeKey, out var all))
                    {
                        continue;
                    }

                    var methods = all.Where(seen.Add).ToList();

                    foreach (var h in methods)
                    {
                        candidates++;
                        var method = reader.GetMethodDefinition(h);
                        ushort flags = ReadUInt16(image, FlagsOffset(h));
                        if (statePath == null && (flags & AggressiveInlining) != 0)
                        {
                            marked.Add(callee); // a plan on a build output that already carries the flag (from the source or a build)
                            continue;
                        }

                        string? reason = Ineligible(pe, method, flags, ilBudget);
                        if (reason != null)
                        {
                            skipped[reason] = skipped.TryGetValue(reason, out int n) ? n + 1 : 1;
                            continue;
                        }

                        newState[MetadataTokens.GetToken(h)] = flags;
                        WriteUInt16(image, FlagsOffset(h), (ushort)(flags | AggressiveInlining));
                        marked.Add(callee);
                    }
                }

                changed = false;
                if (statePath != null)
                {
                    changed = AtomicFile.WriteIfChanged(assemblyPath, image);
                    WriteState(statePath, mvid, newState);
                }
            }

            string skippedText = skipped.Count == 0 ? "" : "; not marked: " + string.Join(", ", skipped.Select(kv => $"{kv.Value} {kv.Key}"));
            string summary = string.Format(CultureInfo.InvariantCulture,
                "PGO: {0}: AggressiveInlining on {1:N0} hot callees (IL budget {2} bytes; {3:N0} hot callees defined here){4}",
                Path.GetFileName(assemblyPath), marked.Count, ilBudget, candidates, skippedText);
            return new InliningOutcome(marked, candidates, skipped, changed, summary);
        }

        /// <summary>Why the JIT could not or should not inline the method anyway; null when it may be marked.</summary>
        private static string? Ineligible(PEReader pe, MethodDefinition method, ushort implFlags, int budget)
        {
            if ((implFlags & AggressiveInlining) != 0)
            {
                return "already AggressiveInlining";
            }

            if ((implFlags & (NoInlining | (ushort)MethodImplAttributes.Synchronized | (ushort)MethodImplAttributes.InternalCall)) != 0 ||
                (implFlags & (ushort)MethodImplAttributes.CodeTypeMask) != 0)
            {
                return "NoInlining/synchronized/runtime methods";
            }

            if ((method.Attributes & MethodAttributes.Virtual) != 0)
            {
                return "virtual";
            }

            if (method.RelativeVirtualAddress == 0)
            {
                return "without IL";
            }

            var body = pe.GetMethodBody(method.RelativeVirtualAddress);
            if (body.ExceptionRegions.Length > 0)
            {
                return "with exception handling";
            }

            if ((body.GetILBytes()?.Length ?? 0) > budget)
            {
                return "over the IL budget";
            }

            return null;
        }

        private static Dictionary<int, ushort> ReadState(string path, string mvid)
        {
            var state = new Dictionary<int, ushort>();
            if (!File.Exists(path))
            {
                return state;
            }

            var lines = File.ReadAllLines(path, Encoding.UTF8);
            if (lines.Length == 0 || lines[0] != "PGO-INLINING-STATE V1" || lines.Length < 2 || lines[1] != "# mvid: " + mvid)
            {
                return state; // another compiler output: nothing of ours to undo
            }

            foreach (var line in lines.Skip(2))
            {
                var parts = line.Split('\t');
                if (parts.Length == 2 &&
                    int.TryParse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int token) &&
                    ushort.TryParse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ushort flags))
                {
                    state[token] = flags;
                }
            }

            return state;
        }

        private static void WriteState(string path, string mvid, SortedDictionary<int, ushort> originalFlags)
        {
            if (originalFlags.Count == 0)
            {
                AtomicFile.TryDelete(path); // nothing patched: nothing to undo later
                return;
            }

            var text = new StringBuilder("PGO-INLINING-STATE V1\n# mvid: ").Append(mvid).Append('\n');
            foreach (var kv in originalFlags)
            {
                text.Append(kv.Key.ToString("x8", CultureInfo.InvariantCulture)).Append('\t').Append(kv.Value.ToString("x4", CultureInfo.InvariantCulture)).Append('\n');
            }

            AtomicFile.WriteIfChanged(path, new UTF8Encoding(false).GetBytes(text.ToString()));
        }

        private static ushort ReadUInt16(byte[] image, int offset) => (ushort)(image[offset] | (image[offset + 1] << 8));

        private static void WriteUInt16(byte[] image, int offset, ushort value)
        {
            image[offset] = (byte)value;
            image[offset + 1] = (byte)(value >> 8);
        }
    }
}
