using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using MethodDefinition = Mono.Cecil.MethodDefinition;
using ModuleDefinition = Mono.Cecil.ModuleDefinition;
using System.Reflection.PortableExecutable;
using Mono.Cecil;
using Mono.Cecil.Cil;
using Pgo.Build.CallGraph;
using Pgo.Build.Hints;
using Pgo.Build.IO;
using Pgo.Build.Metadata;
using Pgo.Build.RuntimePgo;

namespace Pgo.Build.Rewriting
{
    /// <summary>What the delegate stage did to one assembly.</summary>
    public sealed record DelegateOutcome(int Sites, int Targets, bool Changed, string Summary)
    {
        /// <summary>One line per guarded site (<c>Type.Method IL_xxxx: target (source), ...</c>), for <c>pgo top --project</c>.</summary>
        public IReadOnlyList<string> Guarded { get; init; } = Array.Empty<string>();

        /// <summary>The foreach rewrite's build line (null when it did not run).</summary>
        public string? EnumeratorSummary { get; init; }

        /// <summary>One line per rewritten <c>foreach</c> (<c>Type.Method IL_xxxx: List&lt;T&gt; (share)</c>).</summary>
        public IReadOnlyList<string> Enumerated { get; init; } = Array.Empty<string>();
    }

    /// <summary>
    /// The delegate-call rewrite (Go's devirtualization of hot function-value calls), in memory: plans the guards
    /// (<see cref="DelegateSitePlanner"/>) from the runtime's histograms and the sampled edges and emits them
    /// (<see cref="DelegateGuardWriter"/>) into a copy of the compiler's output and its PDB. <see cref="RewriteStage"/>
    /// decides which bytes it starts from and where the result goes.
    /// </summary>
    public static class DelegateRewriter
    {
        /// <summary>What the stage would guard in this assembly with these hint files, without touching any file.</summary>
        public static DelegateOutcome Plan(string assemblyPath, IReadOnlyList<RuntimeRecord> records, IReadOnlyList<CallEdge> edges) =>
            Rewrite(assemblyPath, File.ReadAllBytes(assemblyPath), records, edges, enumerators: true).Outcome;

        /// <summary>The guarded copy of the compiler's output and its PDB (null when nothing is guarded), and the build line.</summary>
        /// <param name="assemblyPath">The compiler's output (its PDB, if any, beside it with the same name).</param>
        public static (byte[]? Assembly, byte[]? Pdb, DelegateOutcome Outcome) Rewrite(string assemblyPath, byte[] image,
            IReadOnlyList<RuntimeRecord> records, IReadOnlyList<CallEdge> edges, bool ignoreStrongName = false, bool guardDelegates = true, bool enumerators = false)
        {
            string name = Path.GetFileName(assemblyPath);
            string pdbPath = Path.ChangeExtension(assemblyPath, ".pdb");
            byte[]? pdb = File.Exists(pdbPath) ? File.ReadAllBytes(pdbPath) : null;
            var debug = DebugKind(image, pdb);
            if (debug == PdbKind.Unsupported)
            {
                return (null, null, new DelegateOutcome(0, 0, false, $"PGO: {name}: delegate calls not rewritten (its PDB is not a portable PDB)."));
            }

            using var peImage = new PEReader(new MemoryStream(image, writable: false));
            if (!ignoreStrongName && (peImage.PEHeaders.CorHeader!.Flags & CorFlags.StrongNameSigned) != 0)
            {
                return (null, null, new DelegateOutcome(0, 0, false, $"PGO: {name}: strong-name signed, delegate calls not rewritten."));
            }

            // The compiler's symbols (lines, for sampled edges and edited methods).
            using var symbols = AssemblySymbols.TryOpen(assemblyPath)
                ?? throw new BadImageFormatException($"'{assemblyPath}' is not a readable managed assembly");
            var parameters = new ReaderParameters(ReadingMode.Deferred) { InMemory = true };
            if (debug == PdbKind.Portable)
            {
                parameters.ReadSymbols = true;
                parameters.SymbolStream = new MemoryStream(pdb!, writable: false);
                parameters.SymbolReaderProvider = new PortablePdbReaderProvider();
            }
            else if (debug == PdbKind.Embedded)
            {
                parameters.ReadSymbols = true;
                parameters.SymbolReaderProvider = new EmbeddedPortablePdbReaderProvider();
            }

            using var module = ModuleDefinition.ReadModule(new MemoryStream(image, writable: false), parameters);
            if (DelegateCaches.AllTypes(module).Any(t => t.Name == DelegateGuardWriter.GuardTypeName || IlFingerprint.IsEnumeratorType(t.Name)))
            {
                return (null, null, new DelegateOutcome(0, 0, false, $"PGO: {name}: delegate calls already guarded (an earlier rewrite's output), not rewritten again."));
            }

            var attributes = new DelegateGuardWriter(module).Attributes;
            var (enumerated, enumeratorSummary) = enumerators ? RewriteEnumerators(module, symbols, records, name, attributes) : (new List<ForeachSite>(), null);
            var report = new DelegatePlanReport();
            // A lambda the compiler caches in a field is tested by the cheap reference compare; its closure-style binding
            // (the <>c singleton looks like a display class) would only add a costlier test.
            var fields = DelegateCaches.Find(module);
            var cached = new HashSet<MethodDefinition>(fields.Select(c => c.Target));
            var caches = new DelegateCachesIndex(DelegateGuardWriter.SupportsClosures(module)
                ? fields.Concat(DelegateCaches.FindClosures(module).Where(c => !cached.Contains(c.Target))).ToList()
                : fields);
            var sites = guardDelegates ? DelegateSitePlanner.Plan(module, symbols, records, edges, caches, report) : Array.Empty<PlannedSite>();
            var writer = new DelegateGuardWriter(module);
            var guarded = new List<PlannedSite>();
            foreach (var site in sites)
            {
                if (writer.Rewrite(site))
                {
                    guarded.Add(site);
                }
                else
                {
                    report.Unreachable += site.Targets.Count;
                }
            }

            int targets = guarded.Sum(s => s.Targets.Count);
            var bySource = guarded.SelectMany(s => s.Targets).GroupBy(t => t.Source).OrderBy(g => g.Key)
                .Select(g => string.Format(CultureInfo.InvariantCulture, "{0} {1}", g.Count(), SourceText(g.Key)));
            string summary = string.Format(CultureInfo.InvariantCulture,
                "PGO: {0}: delegate calls: {1} of {2} recorded or sampled sites guarded for {3} targets ({4}); {5} delegate caches and {10} closure types found; not guarded: {6} targets without a cache (closures the type test cannot prove, instance method groups, generic code or other assemblies), {7} under {8:0%} of their site, {11} closures under {12:0%}, {9} the site cannot reach",
                name, guarded.Count, report.Sites, targets, targets == 0 ? "none" : string.Join(", ", bySource), caches.All.Count(c => c.Field != null),
                report.Uncached, report.Rare, DelegateSitePlanner.MinShare, report.Unreachable, caches.All.Count(c => c.Closure != null), report.RareClosures, DelegateSitePlanner.MinClosureShare);
            var lines = guarded.Select(s => s.Describe()).ToList();
            var enumeratedLines = enumerated.Select(s => s.Describe()).ToList();
            if (guarded.Count == 0 && enumerated.Count == 0)
            {
                return (null, null, new DelegateOutcome(0, 0, false, summary + ".") { Guarded = lines, EnumeratorSummary = enumeratorSummary, Enumerated = enumeratedLines });
            }

            var output = new MemoryStream();
            var pdbOutput = debug == PdbKind.Portable ? new MemoryStream() : null;
            var writerParameters = new WriterParameters { DeterministicMvid = true };
            if (debug == PdbKind.Portable)
            {
                writerParameters.WriteSymbols = true;
                writerParameters.SymbolStream = pdbOutput;
                writerParameters.SymbolWriterProvider = new PortablePdbWriterProvider();
            }
            else if (debug == PdbKind.Embedded)
            {
                writerParameters.WriteSymbols = true;
                writerParameters.SymbolWriterProvider = new EmbeddedPortablePdbWriterProvider();
            }

            module.Write(output, writerParameters);
            return (output.ToArray(), pdbOutput?.ToArray(), new DelegateOutcome(guarded.Count, targets, true, summary + ".") { Guarded = lines, EnumeratorSummary = enumeratorSummary, Enumerated = enumeratedLines });
        }

        /// <summary>The foreach rewrite (<see cref="EnumeratorSitePlanner"/>, <see cref="EnumeratorWriter"/>) on the module in memory, and its build line.</summary>
        private static (List<ForeachSite> Sites, string Summary) RewriteEnumerators(ModuleDefinition module, AssemblySymbols symbols, IReadOnlyList<RuntimeRecord> records, string name, IReadOnlyList<MethodReference> attributes)
        {
            var report = new EnumeratorPlanReport();
            var sites = EnumeratorSitePlanner.Plan(module, symbols, records, report).ToList();
            var writer = new EnumeratorWriter(module, attributes);
            foreach (var site in sites)
            {
                writer.Rewrite(site);
            }

            var identities = symbols.Methods().ToDictionary(m => m.Token);
            writer.MarkMovedMethods(token => identities.TryGetValue(token, out var m) ? (m.IlHash, m.IlSize) : null);

            string summary = string.Format(CultureInfo.InvariantCulture,
                "PGO: {0}: foreach over interfaces: {1} of {2} recorded loops enumerate a List<T> or T[] without allocating ({3} List<T>, {4} T[], {8} kept from the recorded build's rewrite; {9} in methods whose later IL offsets move, translated for the .mibc and pgo record); not rewritten: {5} mostly other collections (under {6:0%}), {7} not the compiler's foreach shape.",
                name, sites.Sum(s => s.RecordedLoops), report.Recorded, sites.Where(s => !s.Carried && s.Kind == EnumeratedKind.List).Sum(s => s.RecordedLoops),
                sites.Where(s => !s.Carried && s.Kind == EnumeratedKind.Array).Sum(s => s.RecordedLoops),
                report.OtherCollections, EnumeratorSitePlanner.MinShare, report.Shape, sites.Where(s => s.Carried).Sum(s => s.RecordedLoops), sites.Where(s => s.ShiftsOffsets).Sum(s => s.RecordedLoops));
            return (sites, summary);
        }

        private static string SourceText(DelegateTargetSource source) => source switch
        {
            DelegateTargetSource.Runtime => "from the runtime's histograms",
            DelegateTargetSource.Sampled => "from sampled call edges",
            DelegateTargetSource.Carried => "kept from the recorded build's guards",
            _ => "static method groups the runtime counts without naming",
        };

        internal static Guid Mvid(byte[] image)
        {
            using var pe = new PEReader(new MemoryStream(image, writable: false));
            var reader = pe.GetMetadataReader();
            return reader.GetGuid(reader.GetModuleDefinition().Mvid);
        }

        private enum PdbKind
        {
            None,
            Portable,
            Embedded,
            Unsupported,
        }

        private static PdbKind DebugKind(byte[] image, byte[]? pdb)
        {
            using var pe = new PEReader(new MemoryStream(image, writable: false));
            var entries = pe.ReadDebugDirectory();
            if (entries.Any(e => e.Type == DebugDirectoryEntryType.EmbeddedPortablePdb))
            {
                return PdbKind.Embedded;
            }

            if (pdb == null)
            {
                return PdbKind.None;
            }

            // A portable PDB starts with the metadata signature "BSJB"; a Windows PDB does not.
            return pdb.Length >= 4 && pdb[0] == (byte)'B' && pdb[1] == (byte)'S' && pdb[2] == (byte)'J' && pdb[3] == (byte)'B' ? PdbKind.Portable : PdbKind.Unsupported;
        }

    }
}
