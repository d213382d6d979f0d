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
    /// defined in the compiled assembly and small enough get <c>MethodImplOptions.AggressiveInlining</c>,
    /// by patching their MethodDef ImplFlags. Nothing else in the file changes (IL, tokens, MVID, debug directory), so
    /// the PDB still matches and the output is deterministic. It always starts from the compiler's bytes
    /// (Rewriting.RewriteStage keeps them), so a method that is no longer hot loses the flag.
    /// </summary>
    public static class InliningStage
    {
        public const int DefaultBudget = 120;

        private const ushort AggressiveInlining = (ushort)MethodImplAttributes.AggressiveInlining;
        private const ushort NoInlining = (ushort)MethodImplAttributes.NoInlining;

        /// <summary>What <see cref="Apply"/> would mark for these hot call sites, without touching any file.</summary>
        public static InliningOutcome Plan(string assemblyPath, IReadOnlyList<CallGraph.CallEdge> hot, int ilBudget) =>
            Apply(File.ReadAllBytes(assemblyPath), Path.GetFileName(assemblyPath), hot, ilBudget).Outcome;

        /// <summary>
        /// A copy of <paramref name="image"/> with the eligible callees of <paramref name="hot"/> marked (one bit in their
        /// MethodDef rows; nothing else changes, so a PDB that matched still matches). The caller keeps the compiler's
        /// bytes to start from next time (Rewriting.RewriteStage).
        /// </summary>
        public static (byte[] Image, InliningOutcome Outcome) Apply(byte[] original, string assemblyName, IReadOnlyList<CallGraph.CallEdge> hot, int ilBudget, bool ignoreStrongName = false)
        {
            byte[] image = (byte[])original.Clone();
            var skipped = new SortedDictionary<string, int>(StringComparer.Ordinal);
            var marked = new List<string>();
            int candidates = 0;
            bool changed = false;
            using (var pe = new PEReader(new MemoryStream(original, writable: false)))
            {
                var reader = pe.GetMetadataReader();
                if (!ignoreStrongName && (pe.PEHeaders.CorHeader!.Flags & CorFlags.StrongNameSigned) != 0)
                {
                    return (image, new InliningOutcome(marked, 0, skipped, false, $"PGO: {assemblyName}: strong-name signed, not rewritten (AggressiveInlining hints skipped)."));
                }

                int tableOffset = pe.PEHeaders.MetadataStartOffset + reader.GetTableMetadataOffset(TableIndex.MethodDef);
                int rowSize = reader.GetTableRowSize(TableIndex.MethodDef);
                int FlagsOffset(MethodDefinitionHandle h) => tableOffset + (MetadataTokens.GetRowNumber(h) - 1) * rowSize + 4;

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

                        string? reason = Ineligible(pe, method, flags, ilBudget);
                        if (reason != null)
                        {
                            skipped[reason] = skipped.TryGetValue(reason, out int n) ? n + 1 : 1;
                            continue;
                        }

                        WriteUInt16(image, FlagsOffset(h), (ushort)(flags | AggressiveInlining));
                        marked.Add(callee);
                        changed = true;
                    }
                }
            }

            string skippedText = skipped.Count == 0 ? "" : "; not marked: " + string.Join(", ", skipped.Select(kv => $"{kv.Value} {kv.Key}"));
            string summary = string.Format(CultureInfo.InvariantCulture,
                "PGO: {0}: AggressiveInlining on {1:N0} hot callees (IL budget {2} bytes; {3:N0} hot callees defined here){4}",
                assemblyName, marked.Count, ilBudget, candidates, skippedText);
            return (image, new InliningOutcome(marked, candidates, skipped, changed, summary));
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

            byte[] il = body.GetILBytes() ?? Array.Empty<byte>();
            if (il.Length > budget)
            {
                return "over the IL budget";
            }

            return null;
        }

        private static ushort ReadUInt16(byte[] image, int offset) => (ushort)(image[offset] | (image[offset + 1] << 8));

        private static void WriteUInt16(byte[] image, int offset, ushort value)
        {
            image[offset] = (byte)value;
            image[offset + 1] = (byte)(value >> 8);
        }
    }
}
