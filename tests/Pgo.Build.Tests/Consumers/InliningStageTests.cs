using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.CallGraph;
using Pgo.Build.Hints;
using Pgo.Build.Inlining;
using Pgo.Build.Metadata;
using Pgo.Build.Rewriting;
using Pgo.Build.Tests.Tool;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Consumers
{
    /// <summary>
    /// The AggressiveInlining consumer on a real compiled assembly, driven by hand-made inline-hints.txt files, through
    /// the IL rewrite stage that applies it (delegate guards off: only the flags change).
    /// </summary>
    [TestClass]
    public sealed class InliningStageTests
    {
        [TestMethod]
        public void Eligible_hot_callee_is_marked_and_the_others_are_skipped_with_their_reason()
        {
            using var dir = new TempDir();
            var (assembly, hints) = Setup(dir, "RecordTarget.Program.Half", "RecordTarget.Program.Sum", "RecordTarget.Square.Area", "No.Such.Method");

            var outcome = Inline(assembly, hints, InliningStage.DefaultBudget);

            CollectionAssert.AreEqual(new[] { "RecordTarget.Program.Half" }, outcome.Marked.ToArray(), outcome.Summary);
            Assert.AreEqual(1, outcome.Skipped["NoInlining/synchronized/runtime methods"], outcome.Summary);
            Assert.AreEqual(1, outcome.Skipped["virtual"], outcome.Summary);
            Assert.IsTrue(outcome.Changed);
            Assert.IsTrue(ImplFlags(assembly, "Half").HasFlag(MethodImplAttributes.AggressiveInlining));
            Assert.IsFalse(ImplFlags(assembly, "Sum").HasFlag(MethodImplAttributes.AggressiveInlining));
        }

        [TestMethod]
        public void Only_the_flags_change_so_the_pdb_still_matches_and_the_output_is_deterministic()
        {
            using var dir = new TempDir();
            var (assembly, hints) = Setup(dir, "RecordTarget.Program.Half");
            byte[] before = File.ReadAllBytes(assembly);
            using (var original = AssemblySymbols.TryOpen(assembly)!)
            {
                Inline(assembly, hints, InliningStage.DefaultBudget);
            }

            byte[] after = File.ReadAllBytes(assembly);
            Assert.AreEqual(before.Length, after.Length);
            int differing = before.Zip(after, (a, b) => a != b).Count(d => d);
            Assert.IsTrue(differing >= 1 && differing <= 2, differing + " bytes changed");
            using (var pe = new PEReader(new MemoryStream(after)))
            using (var pe0 = new PEReader(new MemoryStream(before)))
            {
                var md = pe.GetMetadataReader();
                var md0 = pe0.GetMetadataReader();
                Assert.AreEqual(md0.GetGuid(md0.GetModuleDefinition().Mvid), md.GetGuid(md.GetModuleDefinition().Mvid));
                var codeView = pe.ReadDebugDirectory().Single(e => e.Type == DebugDirectoryEntryType.CodeView);
                var codeView0 = pe0.ReadDebugDirectory().Single(e => e.Type == DebugDirectoryEntryType.CodeView);
                Assert.AreEqual(pe0.ReadCodeViewDebugDirectoryData(codeView0).Guid, pe.ReadCodeViewDebugDirectoryData(codeView).Guid);
            }

            using var symbols = AssemblySymbols.TryOpen(assembly)!;
            Assert.IsTrue(symbols.HasPdb, "the PDB no longer opens for the rewritten assembly");
            Assert.IsTrue(symbols.Methods().Single(m => m.Name == "RecordTarget.Program.Sum").StartLine > 0);

            var again = Inline(assembly, hints, InliningStage.DefaultBudget);
            CollectionAssert.AreEqual(after, File.ReadAllBytes(assembly), "a second run on the same input changed the output");
            StringAssert.EndsWith(again.Summary, "(up to date)");
        }

        [TestMethod]
        public void A_method_that_is_no_longer_hot_loses_the_flag_and_restore_only_gives_back_the_original_bytes()
        {
            using var dir = new TempDir();
            var (assembly, hints) = Setup(dir, "RecordTarget.Program.Half");
            byte[] original = File.ReadAllBytes(assembly);
            Inline(assembly, hints, InliningStage.DefaultBudget);
            Assert.IsTrue(ImplFlags(assembly, "Half").HasFlag(MethodImplAttributes.AggressiveInlining));

            WriteHints(hints, "RecordTarget.Program.Main");
            var second = Inline(assembly, hints, 10_000);
            Assert.IsFalse(ImplFlags(assembly, "Half").HasFlag(MethodImplAttributes.AggressiveInlining), second.Summary);
            Assert.IsTrue(ImplFlags(assembly, "Main").HasFlag(MethodImplAttributes.AggressiveInlining), second.Summary);

            RewriteStage.Run(assembly, hints, RewriteOptions.None);
            CollectionAssert.AreEqual(original, File.ReadAllBytes(assembly));
            Assert.IsFalse(File.Exists(Path.Combine(hints, RewriteStage.StateFileName)), "nothing left to undo, yet the state file stayed");
            Assert.IsFalse(File.Exists(Path.Combine(hints, RewriteStage.OriginalDirectory, "RecordTarget.dll")), "the compiler's copy stayed");
        }

        [TestMethod]
        public void Callees_over_the_budget_are_not_marked()
        {
            using var dir = new TempDir();
            var (assembly, hints) = Setup(dir, "RecordTarget.Program.Main");

            var outcome = Inline(assembly, hints, 8);

            Assert.AreEqual(0, outcome.Marked.Count);
            Assert.AreEqual(1, outcome.Skipped["over the IL budget"]);
            Assert.IsFalse(outcome.Changed);
        }

        /// <summary>The rewrite stage with AggressiveInlining alone; the outcome of its inlining line.</summary>
        private static InliningOutcomeView Inline(string assembly, string hints, int budget)
        {
            var outcome = RewriteStage.Run(assembly, hints, new RewriteOptions(Delegates: false, Inlining: true, budget));
            string summary = outcome.Lines.Single();
            var plan = InliningStage.Plan(Path.Combine(hints, RewriteStage.OriginalDirectory, Path.GetFileName(assembly)) is var kept && File.Exists(kept) ? kept : assembly,
                InlineHintsFile.Read(Path.Combine(hints, HintFileNames.InlineHints)), budget);
            return new InliningOutcomeView(plan.Marked, plan.Skipped, outcome.Changed, summary);
        }

        private sealed record InliningOutcomeView(System.Collections.Generic.IReadOnlyList<string> Marked, System.Collections.Generic.IReadOnlyDictionary<string, int> Skipped, bool Changed, string Summary);

        private static (string Assembly, string Hints) Setup(TempDir dir, params string[] callees)
        {
            var fixture = RecordedFixture.Get();
            string assembly = dir.Combine("RecordTarget.dll");
            File.Copy(fixture.Assembly, assembly);
            File.Copy(Path.ChangeExtension(fixture.Assembly, ".pdb"), dir.Combine("RecordTarget.pdb"));
            string hints = dir.Combine("pgo");
            Directory.CreateDirectory(hints);
            WriteHints(hints, callees);
            return (assembly, hints);
        }

        private static void WriteHints(string hints, params string[] callees)
        {
            var edges = callees.Select((c, i) => new CallEdge("RecordTarget.Program.Run", c, 4, 100 - i)).ToList();
            File.WriteAllBytes(Path.Combine(hints, HintFileNames.InlineHints),
                InlineHintsFile.Write(edges, edges.Sum(e => e.Weight), true, new HintProvenance("hand-made", "samples/count", 99)));
        }

        private static MethodImplAttributes ImplFlags(string assembly, string method)
        {
            using var pe = new PEReader(File.OpenRead(assembly));
            var md = pe.GetMetadataReader();
            var handle = md.MethodDefinitions.Single(h => md.GetString(md.GetMethodDefinition(h).Name) == method);
            return md.GetMethodDefinition(handle).ImplAttributes;
        }
    }
}
