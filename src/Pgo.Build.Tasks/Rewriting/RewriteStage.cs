using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Pgo.Build.CallGraph;
using Pgo.Build.Hints;
using Pgo.Build.Inlining;
using Pgo.Build.IO;
using Pgo.Build.RuntimePgo;

namespace Pgo.Build.Rewriting
{
    /// <summary>What the IL consumers may do to an assembly.</summary>
    public sealed record RewriteOptions(bool Delegates, bool Inlining, int InlineBudget)
    {
        public static RewriteOptions None { get; } = new RewriteOptions(false, false, InliningStage.DefaultBudget);

        /// <summary><c>foreach</c> over an interface rewritten for the recorded <c>List&lt;T&gt;</c> or <c>T[]</c> (<c>$(PgoEnumerators)</c>).</summary>
        public bool Enumerators { get; init; }

        public bool Any => Delegates || Inlining || Enumerators;

        internal string Stamp => string.Format(CultureInfo.InvariantCulture, "delegates={0};inlining={1};budget={2};enumerators={3}", Delegates, Inlining, InlineBudget, Enumerators);
    }

    /// <summary>What the IL consumers did to one assembly: one build line each, and the guarded delegate calls.</summary>
    public sealed record RewriteOutcome(IReadOnlyList<string> Lines, bool Changed)
    {
        /// <summary><c>Type.Method IL_xxxx: List&lt;T&gt; (share)</c> per rewritten <c>foreach</c>.</summary>
        public IReadOnlyList<string> Enumerated { get; init; } = Array.Empty<string>();

        /// <summary><c>Type.Method IL_xxxx: target (source), ...</c> per guarded delegate call.</summary>
        public IReadOnlyList<string> Guarded { get; init; } = Array.Empty<string>();

        /// <summary>Hot callees marked AggressiveInlining.</summary>
        public int Inlined { get; init; }
    }

    /// <summary>
    /// The IL consumers after compilation, in one pass over the compiler's bytes: delegate guards
    /// (<see cref="DelegateRewriter"/>, which rebuilds the metadata) then AggressiveInlining flags
    /// (<see cref="InliningStage"/>, one bit per method), into any assembly: the project's own output in place
    /// (<see cref="Run"/>), or a private copy of a reference for ILC (<see cref="RewriteCopy"/>).
    /// <para>
    /// In place, yet always from the compiler's bytes: the first run on a compiler output keeps a copy of it (and its
    /// PDB) under <c>pgo/original/</c>, and <c>pgo/rewrite.state</c> holds the SHA-256 of the file it wrote. A later run
    /// that finds exactly that file starts again from the copy, or replays its last result when nothing it reads
    /// changed; any other content is a new compiler output. Restoring (no profile, both consumers off) writes the
    /// compiler's bytes back. Every write is atomic; the copy is written before the output, the state before the
    /// output replaces the compiler's file, so an interrupted build is repaired by the next one.
    /// </para>
    /// </summary>
    public static class RewriteStage
    {
        public const string StateFileName = "rewrite.state";
        public const string OriginalDirectory = "original";
        private const string FormatName = "PGO-REWRITE-STATE V1";

        public static RewriteOutcome Run(string assemblyPath, string hintDirectory, RewriteOptions options)
        {
            string name = Path.GetFileName(assemblyPath);
            string statePath = Path.Combine(hintDirectory, StateFileName);
            string savedDll = Path.Combine(hintDirectory, OriginalDirectory, name);
            string pdbPath = Path.ChangeExtension(assemblyPath, ".pdb");
            string savedPdb = Path.ChangeExtension(savedDll, ".pdb");
            var state = State.TryRead(statePath);
            byte[] current = File.ReadAllBytes(assemblyPath);
            string currentSha = Sha256Hex.Of(current);
            bool ours = state != null && state.OutputSha == currentSha && File.Exists(savedDll);
            if (!ours && state != null && state.OutputSha == currentSha && state.Rewritten)
            {
                throw new InvalidOperationException($"{name} was rewritten by an earlier build and the compiler's copy ({savedDll}) is gone; rebuild the project (e.g. dotnet build --no-incremental) to start from the compiler's output again");
            }

            if (!options.Any)
            {
                if (ours)
                {
                    Restore(savedDll, savedPdb, assemblyPath, pdbPath);
                }

                AtomicFile.TryDelete(statePath);
                DeleteSaved(savedDll, savedPdb);
                return new RewriteOutcome(ours ? new[] { $"PGO: {name}: the compiler's output restored (delegate guards and AggressiveInlining flags taken out)." } : Array.Empty<string>(), ours);
            }

            byte[] original = ours ? File.ReadAllBytes(savedDll) : current;
            string stamp = Sha256Hex.Of(string.Join("|",
                Sha256Hex.Of(original), options.Stamp, HintsStamp(hintDirectory), typeof(RewriteStage).Assembly.ManifestModule.ModuleVersionId.ToString("N")));
            if (state != null && state.Stamp == stamp && state.OutputSha == currentSha)
            {
                return new RewriteOutcome(state.Lines.Select(l => l + " (up to date)").ToList(), false) { Guarded = state.Guarded };
            }

            var (records, edges) = ReadHints(hintDirectory);
            var result = Rewrite(ours ? savedDll : assemblyPath, original, records, edges, options);
            bool rewritten = result.Assembly != null;
            byte[] output = result.Assembly ?? original;
            string outputSha = Sha256Hex.Of(output);
            if (!rewritten)
            {
                if (ours)
                {
                    Restore(savedDll, savedPdb, assemblyPath, pdbPath);
                }

                // Nothing to remember: the compiler's output is what it is (the next build plans again, and a failed
                // build leaves no state of this stage behind).
                DeleteSaved(savedDll, savedPdb);
                AtomicFile.TryDelete(statePath);
                return result.Outcome with { Changed = ours };
            }

            if (!ours)
            {
                // The compiler's bytes first: every later step can be redone from them.
                AtomicFile.Write(savedDll, original);
                if (File.Exists(pdbPath))
                {
                    AtomicFile.Write(savedPdb, File.ReadAllBytes(pdbPath));
                }
                else
                {
                    AtomicFile.TryDelete(savedPdb);
                }
            }

            AtomicFile.Write(statePath, new State(stamp, outputSha, true, result.Outcome.Lines, result.Outcome.Guarded).ToBytes());
            if (result.Pdb != null)
            {
                AtomicFile.Write(pdbPath, result.Pdb);
            }
            else if (ours && File.Exists(savedPdb))
            {
                AtomicFile.Write(pdbPath, File.ReadAllBytes(savedPdb)); // flags only: the compiler's PDB still matches
            }

            AtomicFile.Write(assemblyPath, output);
            return result.Outcome with { Changed = true };
        }

        /// <summary>
        /// A reference rewritten for ILC alone (NativeAOT): from <paramref name="sourcePath"/> (never modified) to
        /// <paramref name="outputPath"/>, with its PDB beside it when the source has one. Null when nothing applies;
        /// the output is then not written.
        /// </summary>
        public static RewriteOutcome? RewriteCopy(string sourcePath, string outputPath, IReadOnlyList<RuntimeRecord> records, IReadOnlyList<CallEdge> edges, RewriteOptions options)
        {
            byte[] original = File.ReadAllBytes(sourcePath);
            var result = Rewrite(sourcePath, original, records, edges, options, forCompilerOnly: true);
            if (result.Assembly == null)
            {
                return null;
            }

            if (result.Pdb != null)
            {
                AtomicFile.WriteIfChanged(Path.ChangeExtension(outputPath, ".pdb"), result.Pdb);
            }

            AtomicFile.WriteIfChanged(outputPath, result.Assembly);
            return result.Outcome;
        }

        /// <summary>Both consumers over the compiler's bytes: the new image (null when unchanged), its PDB when the metadata was rebuilt.</summary>
        /// <param name="forCompilerOnly">
        /// The result is only ever compiled by ILC (a private copy of a reference): strong-name signatures, which no
        /// rewrite can keep and ILC does not check, do not stop it.
        /// </param>
        internal static (byte[]? Assembly, byte[]? Pdb, RewriteOutcome Outcome) Rewrite(string assemblyPath, byte[] original,
            IReadOnlyList<RuntimeRecord> records, IReadOnlyList<CallEdge> edges, RewriteOptions options, bool forCompilerOnly = false)
        {
            string name = Path.GetFileName(assemblyPath);
            var lines = new List<string>();
            IReadOnlyList<string> guarded = Array.Empty<string>();
            int inlined = 0;
            byte[]? image = null;
            byte[]? pdb = null;
            IReadOnlyList<string> enumerated = Array.Empty<string>();
            if (options.Delegates || options.Enumerators)
            {
                var delegates = DelegateRewriter.Rewrite(assemblyPath, original, records, edges, forCompilerOnly, options.Delegates, options.Enumerators);
                if (options.Delegates)
                {
                    lines.Add(delegates.Outcome.Summary);
                    guarded = delegates.Outcome.Guarded;
                }

                if (delegates.Outcome.EnumeratorSummary != null)
                {
                    lines.Add(delegates.Outcome.EnumeratorSummary);
                    enumerated = delegates.Outcome.Enumerated;
                }
                else if (options.Enumerators && !options.Delegates)
                {
                    lines.Add(delegates.Outcome.Summary); // why nothing was rewritten (PDB, strong name, earlier output)
                }

                image = delegates.Assembly;
                pdb = delegates.Pdb;
            }

            if (options.Inlining)
            {
                var (patched, inlining) = InliningStage.Apply(image ?? original, name, edges, options.InlineBudget, forCompilerOnly);
                lines.Add(inlining.Summary);
                inlined = inlining.Marked.Count;
                if (inlining.Changed)
                {
                    image = patched;
                }
            }

            return (image, pdb, new RewriteOutcome(lines, image != null) { Guarded = guarded, Inlined = inlined, Enumerated = enumerated });
        }

        /// <summary>
        /// The call records (delegate histograms), the records of a recorded build's guards (whose names carry their
        /// targets, <see cref="GuardName"/>; a guard whose fast path always hit has block counts only) and the hot edges.
        /// </summary>
        public static (IReadOnlyList<RuntimeRecord> Records, IReadOnlyList<CallEdge> Edges) ReadHints(string hintDirectory)
        {
            string devirt = Path.Combine(hintDirectory, HintFileNames.DevirtHints);
            string blocks = Path.Combine(hintDirectory, HintFileNames.BlockCounts);
            string inline = Path.Combine(hintDirectory, HintFileNames.InlineHints);
            var records = new List<RuntimeRecord>(File.Exists(devirt) ? RuntimeRecordFiles.ReadDevirtHints(devirt) : Array.Empty<RuntimeRecord>());
            if (File.Exists(blocks))
            {
                records.AddRange(RuntimeRecordFiles.ReadBlockCounts(blocks).Where(r => r.Method.Contains(Metadata.IlFingerprint.DelegateGuardTypeName)));
            }

            return (records, File.Exists(inline) ? InlineHintsFile.Read(inline) : Array.Empty<CallEdge>());
        }

        /// <summary>The hint files the IL consumers read, by content (their stages' stamps).</summary>
        internal static string HintsStamp(string hintDirectory) => string.Join("|",
            new[] { HintFileNames.DevirtHints, HintFileNames.BlockCounts, HintFileNames.InlineHints }.Select(n => Content(Path.Combine(hintDirectory, n))));

        private static string Content(string path) => File.Exists(path) ? Sha256Hex.Of(File.ReadAllBytes(path)) : "-";

        private static void Restore(string savedDll, string savedPdb, string assemblyPath, string pdbPath)
        {
            if (File.Exists(savedPdb))
            {
                AtomicFile.Write(pdbPath, File.ReadAllBytes(savedPdb));
            }

            AtomicFile.Write(assemblyPath, File.ReadAllBytes(savedDll));
        }

        private static void DeleteSaved(string savedDll, string savedPdb)
        {
            AtomicFile.TryDelete(savedDll);
            AtomicFile.TryDelete(savedPdb);
        }

        /// <summary>The stage's memory between builds (<c>rewrite.state</c>).</summary>
        private sealed record State(string Stamp, string OutputSha, bool Rewritten, IReadOnlyList<string> Lines, IReadOnlyList<string> Guarded)
        {
            public byte[] ToBytes()
            {
                var table = new TextTable(FormatName)
                    .Meta("stamp", Stamp)
                    .Meta("output-sha256", OutputSha)
                    .Meta("rewritten", Rewritten ? "true" : "false");
                foreach (var line in Lines)
                {
                    table.Row("line", line);
                }

                foreach (var site in Guarded)
                {
                    table.Row("guarded", site);
                }

                return table.ToBytes();
            }

            public static State? TryRead(string path)
            {
                try
                {
                    if (!File.Exists(path))
                    {
                        return null;
                    }

                    var table = TextTable.Read(path, FormatName);
                    return new State(
                        table.Get("stamp") ?? "",
                        table.Get("output-sha256") ?? "",
                        table.Get("rewritten") == "true",
                        table.Rows.Where(r => r.Length == 2 && r[0] == "line").Select(r => r[1]).ToList(),
                        table.Rows.Where(r => r.Length == 2 && r[0] == "guarded").Select(r => r[1]).ToList());
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is FormatException)
                {
                    return null;
                }
            }
        }
    }
}
