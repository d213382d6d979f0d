using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Mono.Cecil;
using Mono.Cecil.Cil;
using Pgo.Build.Hints;
using Pgo.Build.Metadata;
using Pgo.Build.Rewriting;
using Pgo.Build.RuntimePgo;
using Pgo.Build.Tests.EndToEnd;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Rewriting
{
    /// <summary>
    /// The foreach rewrite on a real recording of tests/Fixtures/DelegateTarget (its <c>Sequences</c> loops over
    /// interfaces saw a <c>List&lt;int&gt;</c>, an <c>Order[]</c> in generic code, a <c>List&lt;object&gt;</c>): which loops
    /// are rewritten, that the rewritten program behaves exactly like the compiler's with every other collection at the
    /// same loops, that the enumeration no longer allocates, and the contract (IL offsets, fingerprints and PDB kept,
    /// deterministic, carried through a recording of the rewritten build).
    /// </summary>
    [TestClass]
    public sealed class EnumeratorRewriteTests
    {
        private static readonly RewriteOptions EnumeratorsOnly = new RewriteOptions(Delegates: false, Inlining: false, 120) { Enumerators = true };

        [TestMethod]
        public void Loops_whose_recorded_collection_was_a_list_or_an_array_are_rewritten()
        {
            var r = DelegateFixture.Get();
            using var dir = new TempDir();

            var outcome = RewriteStage.Run(r.CopyOutput(dir, "out"), r.CopyHints(dir), EnumeratorsOnly);

            string line = outcome.Lines.Single();
            StringAssert.StartsWith(line, "PGO: DelegateTarget.dll: foreach over interfaces: 7 of 7 recorded loops enumerate a List<T> or T[] without allocating (6 List<T>, 1 T[], 0 kept from the recorded build's rewrite; 3 in methods whose later IL offsets move, translated for the .mibc and pgo record)");
            CollectionAssert.AreEqual(new[]
            {
                "DelegateTarget.Sequences.Balance IL_0003, IL_002b: List<T> (100% of the recorded receivers)",
                "DelegateTarget.Sequences.Copy IL_0009: List<T> (100% of the recorded receivers)",
                "DelegateTarget.Sequences.Describe IL_0011: List<T> (100% of the recorded receivers)",
                "DelegateTarget.Sequences.Names IL_000a: T[] (100% of the recorded receivers)",
                "DelegateTarget.Sequences.Sum IL_0003: List<T> (100% of the recorded receivers)",
                "DelegateTarget.Sequences.Total IL_0012: List<T> (100% of the recorded receivers)",
            }, outcome.Enumerated.ToArray(), string.Join("\n", outcome.Enumerated));
            Assert.IsTrue(outcome.Changed);
        }

        [TestMethod]
        public void The_rewritten_program_behaves_exactly_like_the_compilers_with_every_collection()
        {
            using var dir = new TempDir();

            var (expected, actual) = RewriteContract.RunBoth(DelegateFixture.Get(), dir, EnumeratorsOnly, "check");

            // Not vacuous: every kind of collection reached the rewritten loops, with their exceptions.
            StringAssert.Contains(expected, "foreach null: System.NullReferenceException");
            StringAssert.Contains(expected, "foreach list modified while enumerated: System.InvalidOperationException: Collection was modified");
            StringAssert.Contains(expected, "foreach list re-implementing IEnumerable: 3:1,2,30 3064 30,2,1");
            StringAssert.Contains(expected, "foreach failing enumerator: System.InvalidOperationException: enumerator failed");
            StringAssert.Contains(expected, "failing enumerator disposed: 1");
            StringAssert.Contains(expected, "foreach covariant list: 2:x,y");
            StringAssert.Contains(expected, "small foreach null: System.NullReferenceException");
            StringAssert.Contains(expected, "two loops, the second null: System.NullReferenceException");
            Assert.AreEqual(expected, actual);
        }

        [TestMethod]
        public void The_rewritten_loops_do_not_allocate_an_enumerator()
        {
            var r = DelegateFixture.Get();
            using var dir = new TempDir();
            string rewritten = r.CopyOutput(dir, "out");
            RewriteStage.Run(rewritten, r.CopyHints(dir), EnumeratorsOnly);
            // Fully optimized code from the start, without the JIT's own profile: what a static compiler sees.
            var env = new Dictionary<string, string> { ["DOTNET_TieredCompilation"] = "0" };

            var before = Bytes(DotNetCli.Run(dir.Path, env, r.Assembly, "alloc"));
            var after = Bytes(DotNetCli.Run(dir.Path, env, rewritten, "alloc"));

            Assert.IsTrue(before.List >= 1000 * 24 && before.Array >= 1000 * 24, $"the compiler's loops should box or allocate an enumerator per call: {before}");
            Assert.AreEqual(0, after.List, $"rewritten list loop: {after}");
            Assert.AreEqual(0, after.Array, $"rewritten array loop: {after}");
        }

        [TestMethod]
        public void The_rewrite_keeps_every_il_offset_fingerprint_and_the_pdb_and_is_deterministic()
        {
            var r = DelegateFixture.Get();
            using var dir = new TempDir();
            string first = r.CopyOutput(dir, "a");
            string second = r.CopyOutput(dir, "b");
            using var other = new TempDir();
            RewriteStage.Run(first, r.CopyHints(dir), EnumeratorsOnly);
            RewriteStage.Run(second, r.CopyHints(other), EnumeratorsOnly);

            // Sum's enumerator is local 1: its ldloca.s is a byte longer than ldloc.1, so that method's later offsets move;
            // it carries the compiler's fingerprint and where its offsets moved (IlMoves). Every other method keeps both.
            RewriteContract.AssertKept(r.Assembly, first, second, "<Pgo", "Sequences::Sum(", "Sequences::Balance(");
            using (var symbols = AssemblySymbols.TryOpen(first)!)
            {
                var sum = symbols.Methods().Single(m => m.SystemName.Contains("Sequences::Sum("));
                Assert.AreEqual(sum.IlSize + 4, sum.CurrentIlSize, "four one-byte loads of the enumerator became two-byte ldloca.s");
            }


            // Every instruction of a rewritten loop kept its offset; the loop now calls the value type.
            using var before = ModuleDefinition.ReadModule(r.Assembly);
            using var after = ModuleDefinition.ReadModule(first);
            var total = Method(before, "Total");
            var total2 = Method(after, "Total");
            CollectionAssert.AreEqual(total.Body.Instructions.Select(i => i.Offset).ToList(), total2.Body.Instructions.Select(i => i.Offset).ToList());
            Assert.IsTrue(total2.Body.Instructions.Any(i => i.OpCode.Code == Code.Call && i.Operand is MethodReference m && m.DeclaringType.Name == IlFingerprint.ListEnumeratorTypeName && m.Name == "MoveNext"));
            Assert.IsFalse(total2.Body.Instructions.Any(i => i.OpCode.Code == Code.Callvirt), "a loop's interface call is left");
        }

        /// <summary>
        /// A method whose offsets the rewrite moved keeps its recorded data: the .mibc stage (which reads the rewritten
        /// assembly) matches it by the compiler's fingerprint and writes every record at the moved offset, each of them an
        /// instruction of the rewritten IL.
        /// </summary>
        [TestMethod]
        public void The_mibc_of_the_rewritten_assembly_puts_a_moved_methods_records_at_its_new_offsets()
        {
            var r = DelegateFixture.Get();
            using var dir = new TempDir();
            string rewritten = r.CopyOutput(dir, "out");
            string hints = r.CopyHints(dir);
            RewriteStage.Run(rewritten, hints, EnumeratorsOnly);

            var outcome = global::Pgo.Build.Mibc.MibcStage.Run(rewritten, hints);

            Assert.AreEqual(0, outcome.Match.Changed, outcome.Summary);
            var recorded = RuntimeRecordFiles.ReadBlockCounts(Path.Combine(hints, HintFileNames.BlockCounts))
                .Concat(RuntimeRecordFiles.ReadDevirtHints(Path.Combine(hints, HintFileNames.DevirtHints)))
                .Where(x => x.Method.Contains("Sequences::Sum(")).Select(x => x.IlOffset).Distinct().OrderBy(o => o).ToList();
            var sum = global::Pgo.Build.Mibc.MibcReader.Read(outcome.MibcPath!).Single(e => e.Method.Contains("Sequences::Sum("));
            using var symbols = AssemblySymbols.TryOpen(rewritten)!;
            var moves = symbols.Methods().Single(m => m.SystemName.Contains("Sequences::Sum(")).Moves!;
            using var module = ModuleDefinition.ReadModule(rewritten);
            var starts = Method(module, "Sum").Body.Instructions.Select(i => i.Offset).ToHashSet();
            Assert.IsTrue(recorded.Count > 1 && recorded.Any(o => moves.ToCurrent(o) != o), "Sum's recorded data does not reach past the moved loads: not a test of the translation");
            CollectionAssert.AreEquivalent(recorded.Select(moves.ToCurrent).ToList(), sum.Records.Select(x => x.IlOffset).Distinct().ToList(), outcome.Summary);
            Assert.IsTrue(sum.Records.All(x => starts.Contains(x.IlOffset)), "a record is not at an instruction of the rewritten IL");
            // An edge's target (Other) moves with it.
            var edges = sum.Records.Where(x => InstrumentationKind.IsEdge(x.Kind)).ToList();
            Assert.IsTrue(edges.Count > 0, "no edge counts recorded for Sum: not a test of the edge targets");
            Assert.IsTrue(edges.All(x => starts.Contains(x.Other)), "an edge's target is not an instruction of the rewritten IL");
            var recordedEdges = RuntimeRecordFiles.ReadBlockCounts(Path.Combine(hints, HintFileNames.BlockCounts))
                .Where(x => x.Method.Contains("Sequences::Sum(") && InstrumentationKind.IsEdge(x.Kind))
                .Select(x => (moves.ToCurrent(x.IlOffset), moves.ToCurrent((int)x.Other))).Distinct().ToList();
            Assert.IsTrue(recordedEdges.Any(e => moves.ToOriginal(e.Item2) != e.Item2), "no recorded edge target past a moved load: not a test of the target translation");
            CollectionAssert.AreEquivalent(recordedEdges, edges.Select(x => (x.IlOffset, x.Other)).Distinct().ToList(), "edge (source, target) pairs at the moved offsets");
        }

        /// <summary>
        /// Go's iterative stability: a recording of the rewritten build has no receiver types at a rewritten loop (its
        /// <c>GetEnumerator</c> is a direct call now), but <c>pgo record</c> notes the rewrite; the next build rewrites the same loops.
        /// </summary>
        [TestMethod]
        public void A_recording_of_the_rewritten_build_gives_the_same_rewrite()
        {
            var r = DelegateFixture.Get();
            using var dir = new TempDir();
            string rewritten = r.CopyOutput(dir, "rewritten");
            var first = RewriteStage.Run(rewritten, r.CopyHints(dir), EnumeratorsOnly);
            string hints = RewriteContract.RecordRewritten(dir, rewritten);

            var second = RewriteStage.Run(r.CopyOutput(dir, "rebuilt"), hints, EnumeratorsOnly);

            var records = RuntimeRecordFiles.ReadDevirtHints(Path.Combine(hints, HintFileNames.DevirtHints)).Where(x => x.Method.Contains("Sequences::Total")).ToList();
            Assert.IsFalse(records.Any(x => x.Handle.StartsWith("System.Collections.Generic.List`1", StringComparison.Ordinal)),
                "the rewritten build still recorded List<int> at Total's loop: not a test of the carried rewrite");
            Assert.IsTrue(records.Any(x => x.Handle.StartsWith(IlFingerprint.ListEnumeratorTypeName + ", DelegateTarget", StringComparison.Ordinal)), "pgo record did not note the rewritten loop");
            CollectionAssert.AreEqual(first.Enumerated.Select(Kept).ToList(), second.Enumerated.ToList(), second.Lines.Single());
            StringAssert.Contains(second.Lines.Single(), "7 kept from the recorded build's rewrite; 3 in methods whose later IL offsets move");

            // pgo top on that recording lists the loops as kept, and never offers the note as a receiver type to guard for.
            var output = new StringWriter();
            Assert.AreEqual(0, global::Pgo.Tool.Program.Run(new[] { "top", dir.Combine("rewritten.pgo"), "--no-cache", "--assembly", r.Assembly }, output, new StringWriter()));
            StringAssert.Contains(output.ToString(), "    enumerate DelegateTarget.Sequences.Total IL_0012: List<T> (kept from the recorded build's rewrite)");
            Assert.IsFalse(output.ToString().Split('\n').Any(l => l.Contains("devirtualize") && l.Contains("Pgo")), output.ToString());
        }

        [TestMethod]
        public void Recorded_types_are_compared_with_the_loops_element_type()
        {
            using var module = ModuleDefinition.CreateModule("M", ModuleKind.Dll);
            var int32 = module.TypeSystem.Int32;
            var stringType = module.TypeSystem.String;
            Assert.IsTrue(EnumeratorSitePlanner.Same(QualifiedTypeName.Parse("System.Int32, System.Private.CoreLib")!, int32));
            Assert.IsFalse(EnumeratorSitePlanner.Same(QualifiedTypeName.Parse("System.String, System.Private.CoreLib")!, int32));
            Assert.IsTrue(EnumeratorSitePlanner.IsArrayOf(QualifiedTypeName.Parse("System.String[], System.Private.CoreLib")!, stringType));
            Assert.IsFalse(EnumeratorSitePlanner.IsArrayOf(QualifiedTypeName.Parse("System.String[,], System.Private.CoreLib")!, stringType));
            Assert.IsFalse(EnumeratorSitePlanner.IsArrayOf(QualifiedTypeName.Parse("System.String, System.Private.CoreLib")!, stringType));
            var func = new GenericInstanceType(new TypeReference("System", "Func`2", module, module.TypeSystem.CoreLibrary));
            func.GenericArguments.Add(stringType);
            func.GenericArguments.Add(int32);
            Assert.IsTrue(EnumeratorSitePlanner.Same(QualifiedTypeName.Parse("System.Func`2[[System.String, System.Private.CoreLib],[System.Int32, System.Private.CoreLib]], System.Private.CoreLib")!, func));
            Assert.IsFalse(EnumeratorSitePlanner.Same(QualifiedTypeName.Parse("System.Func`2[[System.String, System.Private.CoreLib],[System.String, System.Private.CoreLib]], System.Private.CoreLib")!, func));
        }

        /// <summary>The line of a loop the next build keeps: the same loop and collection, "kept from the recorded build's rewrite".</summary>
        private static string Kept(string line) => Regex.Replace(line, @" \(\d+% of the recorded receivers\)$", " (kept from the recorded build's rewrite)");

        private static MethodDefinition Method(ModuleDefinition module, string name) =>
            module.GetTypes().Single(t => t.Name == "Sequences").Methods.Single(m => m.Name == name);

        private static (long List, long Array) Bytes(CommandResult run)
        {
            Assert.AreEqual(0, run.ExitCode, run.ToString());
            var match = Regex.Match(run.Output, @"list: (\d+) bytes, array: (\d+) bytes");
            Assert.IsTrue(match.Success, run.Output);
            return (long.Parse(match.Groups[1].Value), long.Parse(match.Groups[2].Value));
        }
    }
}
