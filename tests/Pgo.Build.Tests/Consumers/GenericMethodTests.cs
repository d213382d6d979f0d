using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Hints;
using Pgo.Build.Matching;
using Pgo.Build.Metadata;
using Pgo.Build.Mibc;
using Pgo.Build.RuntimePgo;
using Pgo.Build.Tests.Tool;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Consumers
{
    /// <summary>
    /// Generic method instantiations on a real recording of tests/Fixtures/GenericTarget (one recording shared by all
    /// tests): the runtime names Filter&lt;T&gt; without its argument, but its method hash tells Filter&lt;__Canon&gt;
    /// (over a class), Filter&lt;Reading&gt; and Filter&lt;Pair&gt; (over structs, the last only through
    /// CountMatches&lt;Pair&gt;) apart, and Box&lt;T&gt;.Fold&lt;R&gt; over both its type's and its own arguments.
    /// </summary>
    [TestClass]
    public sealed class GenericMethodTests
    {
        private static RecordedFixture.Recording Recording()
        {
            var r = RecordedFixture.Get("GenericTarget");
            Assert.AreEqual(0, r.ExitCode, r.Stderr);
            return r;
        }

        private static string RuntimeDirectory => Path.GetDirectoryName(typeof(object).Assembly.Location)!;

        /// <summary>
        /// The hash the build computes from metadata equals the one the runtime wrote, for every recorded method whose
        /// instantiation the runtime names: non-generic methods (of the app and of the framework) and methods of
        /// generic types (their instantiation spelled in the runtime's text).
        /// </summary>
        [TestMethod]
        public void Build_computes_the_method_hash_the_runtime_wrote()
        {
            var r = Recording();
            var records = EmbeddedPgoReader.Read(r.Profile);
            using var program = new ProgramMetadata(Array.Empty<AssemblySymbols>(), new[] { r.Assembly }.Concat(Directory.GetFiles(RuntimeDirectory, "*.dll")));
            var methods = new Dictionary<string, Dictionary<string, MethodSymbol>>(StringComparer.Ordinal);
            int plain = 0, ofGenericTypes = 0;
            var mismatches = new List<string>();
            foreach (var g in records.Where(x => x.MethodHash != 0).GroupBy(x => (x.Method, x.Instantiation, x.MethodHash)).Select(g => g.Key))
            {
                string assemblyName = g.Method.Substring(0, g.Method.IndexOf('!'));
                var assembly = program.Get(assemblyName);
                if (assembly == null || g.Method.Contains("``", StringComparison.Ordinal))
                {
                    continue; // generic methods: the next tests
                }

                if (!methods.TryGetValue(assemblyName, out var bySystemName))
                {
                    methods.Add(assemblyName, bySystemName = assembly.Symbols.Methods().GroupBy(m => m.SystemName).ToDictionary(x => x.Key, x => x.First(), StringComparer.Ordinal));
                }

                if (!bySystemName.TryGetValue(g.Method, out var method))
                {
                    continue;
                }

                var definition = assembly.Reader.GetMethodDefinition((MethodDefinitionHandle)MetadataTokens.EntityHandle(method.Token));
                var owning = g.Instantiation.Length == 0 ? assembly.Definition(definition.GetDeclaringType()) : RuntimeNamedType(g.Instantiation);
                int hash = TypeModel.MethodHash(owning, method.MethodName, Array.Empty<TypeModel>());
                if (unchecked((uint)hash) != unchecked((uint)g.MethodHash))
                {
                    mismatches.Add($"{g.Method} {g.Instantiation}: computed {unchecked((uint)hash)}, recorded {g.MethodHash}");
                }

                if (g.Instantiation.Length == 0)
                {
                    plain++;
                }
                else
                {
                    ofGenericTypes++;
                }
            }

            Assert.AreEqual(0, mismatches.Count, string.Join("\n", mismatches));
            Assert.IsTrue(plain > 50, $"only {plain} non-generic methods checked");
            Assert.IsTrue(ofGenericTypes > 5, $"only {ofGenericTypes} methods of generic types checked");
        }

        /// <summary>The instantiations the fixture makes of its own generic methods, composed ones included.</summary>
        [TestMethod]
        public void The_catalog_holds_the_instantiations_the_program_makes()
        {
            var r = Recording();
            using var assembly = AssemblySymbols.TryOpen(r.Assembly)!;
            var catalog = GenericInstantiations.Of(assembly);

            string Of(string method) => string.Join(" ; ", catalog.Of(assembly.AssemblyName, assembly.Methods().Single(m => m.MethodName == method).Token).Select(i => i.ToString()).OrderBy(s => s, StringComparer.Ordinal));

            Assert.AreEqual("GenericTarget.Program::[GenericTarget.Pair] ; GenericTarget.Program::[GenericTarget.Reading] ; GenericTarget.Program::[System.__Canon]", Of("Filter"));
            Assert.AreEqual("GenericTarget.Program::[GenericTarget.Pair]", Of("CountMatches"));
            Assert.AreEqual("GenericTarget.Program::[System.__Canon]", Of("Total"));
            Assert.AreEqual("GenericTarget.Box`1[GenericTarget.Reading]::[System.Int64] ; GenericTarget.Box`1[System.__Canon]::[System.Double]", Of("Fold"));
        }

        /// <summary>
        /// The .mibc gets one MethodSpec entry per recorded instantiation, with its block counts and, in shared code, the
        /// receiver types of its virtual call; System.__Canon is scoped to the AssemblyRef System.Private.Canon.
        /// </summary>
        [TestMethod]
        public void Each_recorded_instantiation_becomes_a_method_spec_entry_of_the_mibc()
        {
            var r = Recording();
            using var dir = new TempDir();
            string hints = WriteHints(r.ProfilePath, dir);

            var outcome = MibcStage.Run(r.Assembly, hints);

            Assert.IsNotNull(outcome.MibcPath, outcome.Summary);
            Assert.AreEqual(6, outcome.Match.GenericMatched, outcome.Summary);
            Assert.AreEqual(0, outcome.Match.GenericSkipped, outcome.Summary);
            StringAssert.Contains(outcome.Summary, "6 generic method instantiations identified by their method hash");
            StringAssert.Contains(outcome.Summary, "0 generic method instantiations left out");
            var entries = MibcReader.Read(outcome.MibcPath!);
            var generic = entries.Where(e => e.Method.EndsWith(">", StringComparison.Ordinal)).Select(e => e.Method).OrderBy(m => m, StringComparer.Ordinal).ToList();
            CollectionAssert.AreEqual(new[]
            {
                "GenericTarget.Box`1<GenericTarget.Reading>::Fold``1(!!0,System.Func`3<!!0,!0,!!0>)<int64>",
                "GenericTarget.Box`1<System.__Canon>::Fold``1(!!0,System.Func`3<!!0,!0,!!0>)<float64>",
                "GenericTarget.Program::Filter``1(!!0[],System.Func`2<!!0,bool>)<GenericTarget.Pair>",
                "GenericTarget.Program::Filter``1(!!0[],System.Func`2<!!0,bool>)<GenericTarget.Reading>",
                "GenericTarget.Program::Filter``1(!!0[],System.Func`2<!!0,bool>)<System.__Canon>",
                "GenericTarget.Program::Total``1(!!0[])<System.__Canon>",
            }, generic, string.Join("\n", entries.Select(e => e.Method)));
            Assert.IsTrue(entries.Where(e => e.Method.Contains("::Filter``1", StringComparison.Ordinal)).All(e => e.Records.Any(x => x.Kind == InstrumentationKind.EdgeIntCount || x.Kind == InstrumentationKind.BasicBlockIntCount)),
                "each Filter instantiation carries its own counts");

            var total = entries.Single(e => e.Method.StartsWith("GenericTarget.Program::Total``1", StringComparison.Ordinal));
            var table = total.Records.Single(x => x.Kind == InstrumentationKind.HandleHistogramTypes);
            Assert.AreEqual(RecordTests.CallvirtOffset(r.Assembly, "Total"), table.IlOffset);
            Assert.IsTrue(table.Types.Count(t => t == "GenericTarget.Square") > table.Types.Count(t => t == "GenericTarget.Circle"), string.Join(",", table.Types));

            using var pe = new System.Reflection.PortableExecutable.PEReader(new MemoryStream(File.ReadAllBytes(outcome.MibcPath!)));
            var md = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
            Assert.AreEqual(6, md.GetTableRowCount(TableIndex.MethodSpec));
            var canon = md.TypeReferences.Select(md.GetTypeReference).Single(t => md.GetString(t.Name) == "__Canon");
            Assert.AreEqual("System.Private.Canon", md.GetString(md.GetAssemblyReference((AssemblyReferenceHandle)canon.ResolutionScope).Name));
        }

        /// <summary>Never guessed: a recorded hash that no instantiation of the program has (or no hash) leaves the records out, counted.</summary>
        [TestMethod]
        public void A_hash_no_instantiation_has_is_left_out_and_counted()
        {
            var r = Recording();
            using var dir = new TempDir();
            string hints = WriteHints(r.ProfilePath, dir);
            var reading = RecordedHashOf(hints, "Filter", "GenericTarget.Reading", r.Assembly);
            var provenance = new HintProvenance("hand-made", "samples/count", 99);
            string blocks = Path.Combine(hints, HintFileNames.BlockCounts);
            string devirt = Path.Combine(hints, HintFileNames.DevirtHints);
            RuntimeRecord Edit(RuntimeRecord x) => x.MethodHash == reading ? x with { MethodHash = reading ^ 0x5a5a } :
                x.Method.Contains("::Total``1", StringComparison.Ordinal) ? x with { MethodHash = 0 } : x;
            File.WriteAllBytes(blocks, RuntimeRecordFiles.WriteBlockCounts(RuntimeRecordFiles.ReadBlockCounts(blocks).Select(Edit), provenance));
            File.WriteAllBytes(devirt, RuntimeRecordFiles.WriteDevirtHints(RuntimeRecordFiles.ReadDevirtHints(devirt).Select(Edit), provenance));

            var outcome = MibcStage.Run(r.Assembly, hints);

            Assert.AreEqual(2, outcome.Match.GenericSkipped, outcome.Summary);
            Assert.AreEqual(4, outcome.Match.GenericMatched, outcome.Summary);
            StringAssert.Contains(outcome.Summary, "2 generic method instantiations left out");
            var methods = MibcReader.Read(outcome.MibcPath!).Select(e => e.Method).ToList();
            Assert.IsFalse(methods.Any(m => m.EndsWith("<GenericTarget.Reading>", StringComparison.Ordinal) && m.Contains("::Filter", StringComparison.Ordinal)), string.Join("\n", methods));
            Assert.IsFalse(methods.Any(m => m.Contains("::Total``1", StringComparison.Ordinal)), string.Join("\n", methods));
            Assert.IsTrue(methods.Any(m => m.EndsWith("Filter``1(!!0[],System.Func`2<!!0,bool>)<GenericTarget.Pair>", StringComparison.Ordinal)), string.Join("\n", methods));
        }

        /// <summary>
        /// The whole program: the framework's generic methods the recording holds are instantiated by the app or the
        /// framework itself, composed ones included (Array.Resize&lt;!!0&gt; inside Filter&lt;Reading&gt; and
        /// Filter&lt;Pair&gt;): every one is identified, none is left out.
        /// </summary>
        [TestMethod]
        public void Whole_program_mibc_identifies_the_frameworks_generic_method_instantiations()
        {
            var r = Recording();
            using var dir = new TempDir();
            string hints = WriteHints(r.ProfilePath, dir);
            var framework = Directory.GetFiles(RuntimeDirectory, "*.dll");

            var outcome = MibcStage.RunReferences("GenericTarget", framework, hints, r.Assembly);

            Assert.IsNotNull(outcome.MibcPath, outcome.Summary);
            Assert.AreEqual(0, outcome.Match.GenericSkipped, outcome.Summary);
            Assert.IsTrue(outcome.Match.GenericMatched >= 3, outcome.Summary);
            var resize = MibcReader.Read(outcome.MibcPath!).Select(e => e.Method).Where(m => m.StartsWith("System.Array::Resize``1(", StringComparison.Ordinal)).OrderBy(m => m, StringComparer.Ordinal).ToList();
            CollectionAssert.AreEqual(new[]
            {
                "System.Array::Resize``1(!!0[]&,int32)<GenericTarget.Pair>",
                "System.Array::Resize``1(!!0[]&,int32)<GenericTarget.Reading>",
                "System.Array::Resize``1(!!0[]&,int32)<System.__Canon>",
            }, resize, outcome.Summary);
        }

        /// <summary>The whole-program stage replays an unchanged run (no assembly opened) and runs again when an input changes.</summary>
        [TestMethod]
        public void Whole_program_stage_replays_an_unchanged_run()
        {
            var r = Recording();
            using var dir = new TempDir();
            string hints = WriteHints(r.ProfilePath, dir);
            var framework = Directory.GetFiles(RuntimeDirectory, "*.dll").OrderBy(f => f, StringComparer.Ordinal).ToList();

            var first = MibcStage.RunReferencesIncremental("GenericTarget", framework, hints, r.Assembly);
            var replay = MibcStage.RunReferencesIncremental("GenericTarget", framework, hints, r.Assembly);

            Assert.IsNotNull(first.MibcPath, first.Summary);
            Assert.IsFalse(first.Summary.EndsWith("(up to date)", StringComparison.Ordinal), first.Summary);
            Assert.AreEqual(first.Summary + " (up to date)", replay.Summary);
            Assert.AreEqual(first.MibcPath, replay.MibcPath);
            Assert.IsTrue(File.Exists(Path.Combine(hints, MibcState.ReferencesFileName)));

            // One reference fewer is another program: the stage runs again.
            var fewer = MibcStage.RunReferencesIncremental("GenericTarget", framework.Where(f => !f.EndsWith("System.Linq.dll", StringComparison.Ordinal)).ToList(), hints, r.Assembly);
            Assert.IsFalse(fewer.Summary.EndsWith("(up to date)", StringComparison.Ordinal), fewer.Summary);
        }

        /// <summary>The method hash the recording holds for the instantiation of <paramref name="method"/> over <paramref name="argument"/>.</summary>
        private static long RecordedHashOf(string hints, string method, string argument, string assemblyPath)
        {
            using var assembly = AssemblySymbols.TryOpen(assemblyPath)!;
            var instantiation = GenericInstantiations.Of(assembly).Of(assembly.AssemblyName, assembly.Methods().Single(m => m.MethodName == method).Token)
                .Single(i => i.MethodArguments.Single().ToString() == argument);
            var records = RuntimeRecordFiles.ReadBlockCounts(Path.Combine(hints, HintFileNames.BlockCounts));
            return records.First(x => unchecked((uint)x.MethodHash) == unchecked((uint)instantiation.Hash)).MethodHash;
        }

        /// <summary>A type of the runtime's PGO text (<c>Ns.Outer`1+Inner[System.__Canon,System.Int32]</c>): names suffice for its hash.</summary>
        private static TypeModel RuntimeNamedType(string instantiatedMethodName)
        {
            int end = instantiatedMethodName.EndsWith("..ctor", StringComparison.Ordinal) || instantiatedMethodName.EndsWith("..cctor", StringComparison.Ordinal)
                ? instantiatedMethodName.LastIndexOf("..", StringComparison.Ordinal)
                : instantiatedMethodName.LastIndexOf('.');
            return Parse(instantiatedMethodName.Substring(0, end));

            static TypeModel Parse(string name)
            {
                if (name == "System.__Canon")
                {
                    return TypeModel.Canon;
                }

                var (definition, arguments) = RuntimeTypeName.SplitInstantiation(name);
                var nesting = definition.Split('+');
                int dot = nesting[0].LastIndexOf('.');
                var type = TypeModel.Named("?", dot < 0 ? "" : nesting[0].Substring(0, dot), nesting[0].Substring(dot + 1), null, false);
                foreach (var nested in nesting.Skip(1))
                {
                    type = TypeModel.Named("?", "", nested, type, false);
                }

                return arguments.Count == 0 ? type : type.Instantiate(arguments.Select(Parse).ToList())!;
            }
        }

        private static string WriteHints(string profile, TempDir dir) => MibcStageTests.WriteHints(profile, dir);
    }
}
