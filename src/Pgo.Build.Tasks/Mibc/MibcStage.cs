using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Pgo.Build.Engine;
using Pgo.Build.Hints;
using Pgo.Build.IO;
using Pgo.Build.Matching;
using Pgo.Build.Metadata;
using Pgo.Build.RuntimePgo;

namespace Pgo.Build.Mibc
{
    /// <summary>What the .mibc stage did for one assembly.</summary>
    public sealed record MibcOutcome(string? MibcPath, RecordMatchReport Match, MibcWriteResult? Written, string Summary)
    {
        /// <summary>Receiver types derived from sampled call edges (profiles without the runtime's data).</summary>
        public SampledDevirtReport? Sampled { get; init; }

        /// <summary>PGO104 text when the profile looks like another program's or a stale one; null otherwise.</summary>
        public string? Mismatch { get; init; }
    }

    /// <summary>
    /// The .mibc consumer, after compilation: reads <c>devirt-hints.txt</c> and <c>block-counts.txt</c> (never engine
    /// state), matches their methods to the compiled assembly and writes <c>&lt;assembly&gt;.&lt;content hash&gt;.mibc</c>
    /// into the hint directory, so that a new profile is a new compiler input path. Stale .mibc files are removed.
    /// </summary>
    public static class MibcStage
    {
        /// <summary>
        /// <see cref="Run"/> unless <see cref="MibcState"/> says its inputs are unchanged since the last run: then that
        /// run's result is replayed (the build line ends with "(up to date)", the PGO104 text is repeated).
        /// </summary>
        public static MibcState RunIncremental(string assemblyPath, string hintDirectory, bool isExecutable) =>
            Incremental(hintDirectory, MibcState.FileName, MibcState.StampFor(assemblyPath, hintDirectory, isExecutable), () => Run(assemblyPath, hintDirectory, isExecutable));

        /// <summary>
        /// <see cref="RunReferences"/> unless <c>mibc.references.state</c> says the application, every reference and the
        /// hint files are unchanged since the last run: then that run's line is replayed with "(up to date)".
        /// </summary>
        public static MibcState RunReferencesIncremental(string appAssemblyName, IReadOnlyList<string> references, string hintDirectory, string? appAssemblyPath) =>
            Incremental(hintDirectory, MibcState.ReferencesFileName, MibcState.StampForReferences(appAssemblyName, appAssemblyPath, references, hintDirectory),
                () => RunReferences(appAssemblyName, references, hintDirectory, appAssemblyPath));

        private static MibcState Incremental(string hintDirectory, string stateFile, string stamp, Func<MibcOutcome> run)
        {
            var previous = MibcState.TryRead(hintDirectory, stateFile);
            if (previous != null && previous.IsCurrent(stamp))
            {
                return previous with { Summary = previous.Summary + " (up to date)" };
            }

            var outcome = run();
            var state = new MibcState(stamp, outcome.MibcPath, outcome.Summary, outcome.Mismatch);
            AtomicFile.WriteIfChanged(Path.Combine(hintDirectory, stateFile), state.ToBytes());
            return state;
        }

        /// <summary>
        /// Type definitions for the generic receiver types of the application's .mibc (<c>List`1+Enumerator[[...]]</c>):
        /// the application's own types and the framework's, read from the runtime that runs the build (what is read of
        /// them, a type's nesting and whether it is a value type, does not change between runtime versions). Where the
        /// build runs on .NET Framework, only the application's types are known.
        /// </summary>
        private static ProgramMetadata FrameworkDefinitions(AssemblySymbols application)
        {
            string? directory = Path.GetDirectoryName(typeof(object).Assembly.Location);
            var framework = directory != null && File.Exists(Path.Combine(directory, "System.Private.CoreLib.dll"))
                ? Directory.GetFiles(directory, "*.dll").OrderBy(p => p, StringComparer.Ordinal).ToArray()
                : Array.Empty<string>();
            return new ProgramMetadata(new[] { application }, framework);
        }

        public static MibcOutcome Run(string assemblyPath, string hintDirectory, bool isExecutable = false)
        {
            var records = ReadRecords(hintDirectory);
            var edges = ReadEdges(hintDirectory);

            using var assembly = AssemblySymbols.TryOpen(assemblyPath)
                ?? throw new PgoException(PgoCodes.UnreadableProfile, $"'{assemblyPath}' is not a readable managed assembly", assemblyPath);
            var (recordedMatches, report) = RuntimeRecordMatcher.Match(assembly, records);
            var (sampledRecords, sampled) = SampledReceiverTypes.Derive(assembly, edges, new HashSet<string>(records.Select(r => r.Method), StringComparer.Ordinal));
            var (functions, sampleValue) = ReadFunctions(hintDirectory);
            var matched = SampledWeights.Attach(assembly, recordedMatches.Concat(RuntimeRecordMatcher.Match(assembly, sampledRecords).Matched).ToList(), functions, edges);
            string name = assembly.AssemblyName;
            double? cpuShare = CpuShare(assembly, functions, sampleValue);
            string? mismatch = Mismatch(name, records, report, isExecutable) ?? CpuMismatch(name, cpuShare, report, isExecutable);
            string detail = (sampled.Edges + sampled.Ambiguous > 0 ? "; " + sampled : "") +
                (cpuShare.HasValue ? string.Format(CultureInfo.InvariantCulture, "; {0:0.0}% of the profile's CPU samples run code of {1}", 100 * cpuShare.Value, name) : "");
            if (matched.Count == 0)
            {
                DeleteStale(hintDirectory, null, name);
                return new MibcOutcome(null, report, null, $"PGO: {name}: no .mibc ({report}{detail}).") { Mismatch = mismatch, Sampled = sampled };
            }

            using var definitions = FrameworkDefinitions(assembly);
            var written = MibcWriter.Write(assembly, matched, name + ".mibc", definitions.Definition);
            if (written.IsEmpty)
            {
                DeleteStale(hintDirectory, null, name);
                return new MibcOutcome(null, report, written, $"PGO: {name}: no .mibc ({report}{detail}; nothing encodable).") { Mismatch = mismatch, Sampled = sampled };
            }

            string path = Path.Combine(hintDirectory, name + "." + Sha256Hex.Of(written.Bytes).Substring(0, 16) + ".mibc");
            AtomicFile.WriteIfChanged(path, written.Bytes);
            DeleteStale(hintDirectory, path, name);
            string summary = string.Format(CultureInfo.InvariantCulture,
                "PGO: {0}: .mibc for {1:N0} methods ({2:N0} runtime PGO records, {3:N0} receiver-type histograms; CPU weights of {9:N0} methods, {10:N0} hot call edges) -> {4}; {5}{8}{7}{6}",
                name, written.Methods, written.Records, written.TypeHistograms, path, report,
                written.SkippedMethods > 0 ? string.Format(CultureInfo.InvariantCulture, "; {0:N0} methods left out (a signature or instantiation this writer cannot express)", written.SkippedMethods) : "",
                written.DroppedTypeSlots > 0 ? string.Format(CultureInfo.InvariantCulture, "; {0:N0} receiver-type slots left out (types a call site cannot receive, arrays, or generic instantiations the build cannot resolve)", written.DroppedTypeSlots) : "",
                detail, written.Weighted, written.CallEdges);
            return new MibcOutcome(path, report, written, summary) { Mismatch = mismatch, Sampled = sampled };
        }

        /// <summary>
        /// The profile carries runtime data of an application, yet none for this executable (another program's
        /// profile), or most of this assembly's recorded methods changed since the recording (a stale profile).
        /// Framework assemblies (System.*, Microsoft.*, netstandard, mscorlib) do not count as an application.
        /// </summary>
        private static string? Mismatch(string assemblyName, IReadOnlyList<RuntimeRecord> records, RecordMatchReport report, bool isExecutable)
        {
            if (report.Recorded > 0 && report.Changed * 2 > report.Recorded)
            {
                return string.Format(CultureInfo.InvariantCulture,
                    "the profile is stale for {0}: {1} of its {2} recorded methods changed since the recording and lose their counts (receiver types are kept where the call line still says where); record the current build again (pgo record).",
                    assemblyName, report.Changed, report.Recorded);
            }

            if (!isExecutable || report.Recorded > 0)
            {
                return null;
            }

            var applications = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var r in records)
            {
                int bang = r.Method.IndexOf('!');
                string owner = bang > 0 ? r.Method.Substring(0, bang) : "";
                if (owner.Length > 0 && !MetadataNames.IsFrameworkAssembly(owner))
                {
                    applications.Add(owner);
                }
            }

            return applications.Count == 0
                ? null
                : $"the profile may not belong to this program: it holds runtime PGO data of {string.Join(", ", applications)} but none of {assemblyName}; nothing of it applies.";
        }

        /// <summary>
        /// The share of the profile's samples that have a method of this assembly on their stack (at least: the
        /// largest cumulative weight of one of its methods); null without CPU samples or <c>functions.txt</c>.
        /// </summary>
        private static double? CpuShare(AssemblySymbols assembly, IReadOnlyList<CallGraph.FunctionWeight> functions, long sampleValue)
        {
            if (sampleValue <= 0)
            {
                return null;
            }

            var keys = MethodKeys.Of(assembly);
            long best = 0;
            foreach (var f in functions)
            {
                // Compiler-generated top-level types (<PrivateImplementationDetails>, <Module>) exist in every assembly
                // under the same name: a frame of one of them says nothing about which program was recorded.
                string? key = Naming.FrameNames.Parse(f.Name)?.Key;
                if (key != null && !key.StartsWith("<", StringComparison.Ordinal) && keys.ContainsKey(key) && f.Cum > best)
                {
                    best = f.Cum;
                }
            }

            return Math.Min(1.0, (double)best / sampleValue);
        }

        /// <summary>
        /// Without runtime data to judge by: an executable none of whose methods is on the stack of even 1% of the
        /// profile's CPU samples is not the program the profile was recorded from.
        /// </summary>
        private static string? CpuMismatch(string assemblyName, double? cpuShare, RecordMatchReport report, bool isExecutable)
        {
            if (!isExecutable || report.Recorded > 0 || cpuShare is not double share || share >= MinCpuShare)
            {
                return null;
            }

            return string.Format(CultureInfo.InvariantCulture,
                "the profile may not belong to this program: {0:0.0}% of its CPU samples have a method of {1} on the stack (under {2:0}%); what does not match is not used.",
                100 * share, assemblyName, 100 * MinCpuShare);
        }

        /// <summary><c>inline-hints.txt</c> (the hot call edges); empty when the hint directory has none.</summary>
        private static IReadOnlyList<CallGraph.CallEdge> ReadEdges(string hintDirectory) =>
            ReadHint(hintDirectory, HintFileNames.InlineHints, InlineHintsFile.Read, Array.Empty<CallGraph.CallEdge>());

        /// <summary><c>functions.txt</c> (every sampled function's weight); empty when the hint directory has none.</summary>
        private static (IReadOnlyList<CallGraph.FunctionWeight> Functions, long SampleValue) ReadFunctions(string hintDirectory) =>
            ReadHint(hintDirectory, HintFileNames.Functions, FunctionsFile.Read, (Array.Empty<CallGraph.FunctionWeight>(), 0L));

        /// <summary>One hint file read with <paramref name="read"/>, <paramref name="absent"/> when missing; a malformed file is PGO002 naming it.</summary>
        private static T ReadHint<T>(string hintDirectory, string fileName, Func<string, T> read, T absent)
        {
            string path = Path.Combine(hintDirectory, fileName);
            try
            {
                return File.Exists(path) ? read(path) : absent;
            }
            catch (FormatException e)
            {
                throw new PgoException(PgoCodes.UnreadableProfile, "unreadable hint file: " + e.Message, path, e);
            }
        }

        /// <summary>Below this share of the CPU samples running its code, an executable's profile is another program's (PGO104).</summary>
        public const double MinCpuShare = 0.01;

        /// <summary>
        /// Removes the .mibc files of the hint directory except <paramref name="keep"/>: all of them, or with
        /// <paramref name="owner"/> only that stage's own (<c>&lt;owner&gt;.&lt;hash&gt;.mibc</c>).
        /// </summary>
        public static void DeleteStale(string hintDirectory, string? keep, string? owner = null)
        {
            if (!Directory.Exists(hintDirectory))
            {
                return;
            }

            foreach (var file in Directory.GetFiles(hintDirectory, "*.mibc"))
            {
                string fileName = Path.GetFileName(file);
                if (owner != null && !IsOwnedBy(fileName, owner))
                {
                    continue;
                }

                if (keep == null || !string.Equals(Path.GetFullPath(file), Path.GetFullPath(keep), StringComparison.Ordinal))
                {
                    AtomicFile.TryDelete(file);
                }
            }
        }

        /// <summary><c>&lt;owner&gt;.&lt;16 hex digits&gt;.mibc</c>.</summary>
        private static bool IsOwnedBy(string fileName, string owner)
        {
            const int HashLength = 16;
            if (fileName.Length != owner.Length + 1 + HashLength + 5 || !fileName.StartsWith(owner + ".", StringComparison.Ordinal))
            {
                return false;
            }

            for (int i = owner.Length + 1; i < owner.Length + 1 + HashLength; i++)
            {
                char c = fileName[i];
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                {
                    return false;
                }
            }

            return fileName.EndsWith(".mibc", StringComparison.Ordinal);
        }

        /// <summary>
        /// The whole program's .mibc for NativeAOT: the runtime data of every other assembly the compiler compiles
        /// (the framework from ILC's own runtime pack, project and package references), each recorded method kept only
        /// when it is found there with unchanged IL, so the compiler resolves every entry. Written as
        /// <c>&lt;app&gt;.references.&lt;hash&gt;.mibc</c>; ILC reads every group of it.
        /// </summary>
        /// <param name="appAssemblyPath">The application's compiled assembly: its calls instantiate generic methods of the references.</param>
        public static MibcOutcome RunReferences(string appAssemblyName, IEnumerable<string> references, string hintDirectory, string? appAssemblyPath = null)
        {
            var records = ReadRecords(hintDirectory);
            var edges = ReadEdges(hintDirectory);
            var (functions, _) = ReadFunctions(hintDirectory);
            string owner = appAssemblyName + ".references";
            var recordedAssemblies = new HashSet<string>(
                records.Select(r => r.Method.IndexOf('!') is int bang && bang > 0 ? r.Method.Substring(0, bang) : "").Where(a => a.Length > 0 && a != appAssemblyName),
                StringComparer.Ordinal);
            var programFiles = references.ToList();
            var opened = programFiles.Where(p => recordedAssemblies.Contains(Path.GetFileNameWithoutExtension(p)))
                .GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.Ordinal).Select(g => g.First())
                .OrderBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.Ordinal)
                .Select(AssemblySymbols.TryOpen).OfType<AssemblySymbols>().ToList();
            if (appAssemblyPath != null)
            {
                programFiles.Insert(0, appAssemblyPath);
            }

            // Built when the first recorded generic method is matched: the instantiations made by the assemblies the
            // application reaches through its references (ILC compiles no others), or by all when it is not known.
            using var program = new ProgramMetadata(opened, programFiles);
            GenericInstantiations? instantiations = null;
            GenericInstantiations Instantiations() => instantiations ??= GenericInstantiations.Collect(program,
                appAssemblyPath == null ? program.Names : program.ReferenceClosure(new[] { Path.GetFileNameWithoutExtension(appAssemblyPath) }));
            try
            {
                var groups = new List<(AssemblySymbols, IReadOnlyList<MatchedMethod>)>();
                int recorded = 0, matchedCount = 0, changed = 0, missing = 0, generic = 0, remapped = 0, genericMatched = 0;
                var perAssembly = new List<string>();
                foreach (var assembly in opened)
                {
                    var (recordedMatches, report) = RuntimeRecordMatcher.Match(assembly, records, Instantiations);
                    var matched = SampledWeights.Attach(assembly, recordedMatches, functions, edges);
                    recorded += report.Recorded;
                    matchedCount += report.Matched;
                    changed += report.Changed;
                    missing += report.Missing;
                    generic += report.GenericSkipped;
                    remapped += report.Remapped;
                    genericMatched += report.GenericMatched;
                    if (matched.Count > 0)
                    {
                        groups.Add((assembly, matched));
                        perAssembly.Add(assembly.AssemblyName + " " + matched.Count.ToString(CultureInfo.InvariantCulture));
                    }
                }

                var total = new RecordMatchReport(recorded, matchedCount, changed, missing, generic) { Remapped = remapped, GenericMatched = genericMatched };
                var written = groups.Count == 0 ? null : MibcWriter.Write(groups, owner + ".mibc", program.Definition);
                if (written == null || written.IsEmpty)
                {
                    DeleteStale(hintDirectory, null, owner);
                    return new MibcOutcome(null, total, written, $"PGO: {appAssemblyName}: no whole-program .mibc for the referenced assemblies ({total}).");
                }

                string path = Path.Combine(hintDirectory, owner + "." + Sha256Hex.Of(written.Bytes).Substring(0, 16) + ".mibc");
                AtomicFile.WriteIfChanged(path, written.Bytes);
                DeleteStale(hintDirectory, path, owner);
                string summary = string.Format(CultureInfo.InvariantCulture,
                    "PGO: {0}: whole-program .mibc for {1:N0} methods of referenced assemblies ({3:N0} runtime PGO records, {4:N0} receiver-type histograms; CPU weights of {7:N0} methods, {8:N0} hot call edges; per assembly: {2}) -> {5}; {6}",
                    appAssemblyName, written.Methods, string.Join(", ", perAssembly), written.Records, written.TypeHistograms, path, total, written.Weighted, written.CallEdges);
                return new MibcOutcome(path, total, written, summary);
            }
            finally
            {
                foreach (var a in opened)
                {
                    a.Dispose();
                }
            }
        }

        private static List<RuntimeRecord> ReadRecords(string hintDirectory) =>
            ReadHint(hintDirectory, HintFileNames.DevirtHints, RuntimeRecordFiles.ReadDevirtHints, Array.Empty<RuntimeRecord>())
                .Concat(ReadHint(hintDirectory, HintFileNames.BlockCounts, RuntimeRecordFiles.ReadBlockCounts, Array.Empty<RuntimeRecord>()))
                .ToList();
    }
}
