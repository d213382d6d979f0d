using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Mono.Cecil;
using Pgo.Build.Hints;
using Pgo.Build.Metadata;
using Pgo.Build.Rewriting;
using Pgo.Build.RuntimePgo;
using Pgo.Build.Tests.EndToEnd;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Rewriting
{
    /// <summary>
    /// The delegate-call guards on a real recording of tests/Fixtures/DelegateTarget: which calls get guarded for which
    /// targets, that the rewritten program behaves exactly like the compiler's (exceptions, null, multicast, reflection,
    /// changing targets), that the JIT then inlines the target, and the rewrite's contract (fingerprints and PDB kept,
    /// deterministic bytes, incremental, undone).
    /// </summary>
    [TestClass]
    public sealed class DelegateRewriteTests
    {
        private static readonly RewriteOptions DelegatesOnly = new RewriteOptions(Delegates: true, Inlining: false, 120);

        [TestMethod]
        public void Recorded_delegate_calls_are_guarded_for_the_targets_the_runtime_recorded()
        {
            var r = DelegateFixture.Get();
            using var dir = new TempDir();

            var outcome = RewriteStage.Run(r.CopyOutput(dir, "out"), r.CopyHints(dir), DelegatesOnly);

            var sites = Guarded(outcome);
            CollectionAssert.AreEqual(new[] { "DelegateTarget.Helpers.Count", "DelegateTarget.Helpers.Filter", "DelegateTarget.Helpers.Join", "DelegateTarget.Helpers.Map" }, sites.Keys.ToArray(), outcome.Lines[0]);
            // Count saw one closure only: guarded by the type of its target object.
            Assert.AreEqual(1, sites["DelegateTarget.Helpers.Count"].Length, outcome.Lines[0]);
            StringAssert.Matches(sites["DelegateTarget.Helpers.Count"][0], new System.Text.RegularExpressions.Regex(@"^DelegateTarget\.Work\+<>c__DisplayClass\d+_0\.<AboveThreshold>b__0 \(runtime\)$"));
            // Each instantiation of Filter saw one lambda (the class one, the struct one): both are guarded, from the runtime's own data.
            CollectionAssert.AreEquivalent(new[] { "DelegateTarget.Work+<>c.<LargeOrders>b__0_0 (runtime)", "DelegateTarget.Work+<>c.<Descending>b__1_0 (runtime)" }, sites["DelegateTarget.Helpers.Filter"]);
            CollectionAssert.AreEqual(new[] { "DelegateTarget.Work+<>c.<Codes>b__2_0 (runtime)" }, sites["DelegateTarget.Helpers.Map"]);
            // The runtime counts calls of static-method delegates without naming the method: the static method groups of the
            // delegate's type are guessed (sampled edges may name Upper first).
            CollectionAssert.Contains(sites["DelegateTarget.Helpers.Join"].Select(t => t.Split(' ')[0]).ToList(), "DelegateTarget.Program.Upper");
            StringAssert.Contains(outcome.Lines[0], "PGO: DelegateTarget.dll: delegate calls: 4 of ");
            Assert.IsTrue(outcome.Changed);
        }

        [TestMethod]
        public void The_rewritten_program_behaves_exactly_like_the_compilers_on_every_path()
        {
            using var dir = new TempDir();

            // With its frames: the guard itself (not inlined by the first tier) stays out of stack traces.
            var (expected, actual) = RewriteContract.RunBoth(DelegateFixture.Get(), dir, DelegatesOnly, "check-frames");

            // Not vacuous: the exception came out of the guarded lambda, the null delegate failed where the call is.
            StringAssert.Contains(expected, "exception in lambda: System.InvalidOperationException: negative quantity -3 at DelegateTarget.Work.<>c.<LargeOrders>b__0_0 < DelegateTarget.Helpers.Filter[T] < DelegateTarget.Work.LargeOrders");
            StringAssert.Contains(expected, "null delegate: System.NullReferenceException");
            StringAssert.Contains(expected, "multicast: alpha!,beta!,gamma! calls=3");
            StringAssert.Contains(expected, "closure: 30 8");
            Assert.AreEqual(expected, actual);
        }

        [TestMethod]
        public void The_jit_inlines_the_guarded_target_into_the_call_site()
        {
            var r = DelegateFixture.Get();
            using var dir = new TempDir();
            string rewritten = r.CopyOutput(dir, "out");
            RewriteStage.Run(rewritten, r.CopyHints(dir), DelegatesOnly);

            string before = Disassemble(dir, r.Assembly, "original.txt");
            string after = Disassemble(dir, rewritten, "rewritten.txt");

            // Join calls its delegate per word; guarded, the JIT sees Upper and inlines it: the casing call Upper makes
            // (string.ToUpperInvariant, itself inlined down to the invariant-mode helper) appears in Join.
            StringAssert.Contains(before, ":Invoke(", before);
            Assert.IsFalse(before.Contains("ToUpper"), before);
            StringAssert.Contains(after, "ToUpper", after);
            StringAssert.Contains(after, ":Invoke(", "the original call stays on the other path:\n" + after);
        }

        [TestMethod]
        public void The_rewrite_keeps_every_fingerprint_line_and_the_pdb_and_is_deterministic()
        {
            var r = DelegateFixture.Get();
            using var dir = new TempDir();
            string first = r.CopyOutput(dir, "a");
            string second = r.CopyOutput(dir, "b");
            using var other = new TempDir();
            RewriteStage.Run(first, r.CopyHints(dir), DelegatesOnly);
            RewriteStage.Run(second, r.CopyHints(other), DelegatesOnly);

            RewriteContract.AssertKept(r.Assembly, first, second, IlFingerprint.DelegateGuardTypeName);
        }

        [TestMethod]
        public void An_unchanged_build_replays_a_new_compile_is_rewritten_again_and_off_restores_the_compilers_bytes()
        {
            var r = DelegateFixture.Get();
            using var dir = new TempDir();
            string assembly = r.CopyOutput(dir, "out");
            string hints = r.CopyHints(dir);
            RewriteStage.Run(assembly, hints, DelegatesOnly);
            byte[] rewritten = File.ReadAllBytes(assembly);

            var again = RewriteStage.Run(assembly, hints, DelegatesOnly);
            StringAssert.EndsWith(again.Lines[0], "(up to date)");
            Assert.IsFalse(again.Changed);
            CollectionAssert.AreEqual(rewritten, File.ReadAllBytes(assembly));

            // The compiler wrote its output again (a rebuild): the stage starts from it, with the same result.
            File.Copy(r.Assembly, assembly, overwrite: true);
            File.Copy(Path.ChangeExtension(r.Assembly, ".pdb"), Path.ChangeExtension(assembly, ".pdb"), overwrite: true);
            var rebuilt = RewriteStage.Run(assembly, hints, DelegatesOnly);
            Assert.IsTrue(rebuilt.Changed);
            CollectionAssert.AreEqual(rewritten, File.ReadAllBytes(assembly));

            RewriteStage.Run(assembly, hints, RewriteOptions.None);
            CollectionAssert.AreEqual(File.ReadAllBytes(r.Assembly), File.ReadAllBytes(assembly));
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.ChangeExtension(r.Assembly, ".pdb")), File.ReadAllBytes(Path.ChangeExtension(assembly, ".pdb")));
            Assert.IsFalse(File.Exists(Path.Combine(hints, RewriteStage.StateFileName)));
            Assert.IsFalse(Directory.Exists(Path.Combine(hints, RewriteStage.OriginalDirectory)) && Directory.EnumerateFiles(Path.Combine(hints, RewriteStage.OriginalDirectory)).Any());
        }

        /// <summary>
        /// Go's iterative stability: a recording of the guarded build has no delegate histogram at a guarded call (it is
        /// a direct call now), but names its guards; the next build guards the same calls for the same targets.
        /// </summary>
        [TestMethod]
        public void A_recording_of_the_guarded_build_gives_the_same_guards()
        {
            var r = DelegateFixture.Get();
            using var dir = new TempDir();
            string guarded = r.CopyOutput(dir, "guarded");
            var first = RewriteStage.Run(guarded, r.CopyHints(dir), DelegatesOnly);
            string hints = RewriteContract.RecordRewritten(dir, guarded);

            var second = RewriteStage.Run(r.CopyOutput(dir, "rebuilt"), hints, DelegatesOnly);

            Assert.AreEqual(0, RuntimeRecordFiles.ReadDevirtHints(Path.Combine(hints, HintFileNames.DevirtHints))
                .Count(x => x.Method.Contains("Helpers::Join") && x.Kind == InstrumentationKind.HandleHistogramIntCount),
                "the guarded build still recorded a delegate histogram at Join's call: not a test of the carried guards");
            var expected = Guarded(first).ToDictionary(kv => kv.Key, kv => kv.Value.Select(t => t.Split(' ')[0]).OrderBy(t => t, StringComparer.Ordinal).ToArray());
            var actual = Guarded(second).ToDictionary(kv => kv.Key, kv => kv.Value.Select(t => t.Split(' ')[0]).OrderBy(t => t, StringComparer.Ordinal).ToArray());
            CollectionAssert.AreEqual(expected.Keys.ToList(), actual.Keys.ToList(), second.Lines[0]);
            foreach (var site in expected.Keys)
            {
                CollectionAssert.AreEqual(expected[site], actual[site], site + ": " + second.Lines[0]);
            }

            StringAssert.Contains(second.Lines[0], "kept from the recorded build's guards");
        }

        [TestMethod]
        public void Only_the_compilers_caches_qualify_a_user_field_assigned_a_delegate_does_not()
        {
            var r = DelegateFixture.Get();
            using var module = ModuleDefinition.ReadModule(r.Assembly);

            var caches = DelegateCaches.Find(module);

            var names = caches.Select(c => c.Field!.DeclaringType.Name + "::" + c.Field.Name + " -> " + c.Target.Name).ToList();
            CollectionAssert.Contains(names, "<>c::<>9__0_0 -> <LargeOrders>b__0_0", string.Join("\n", names));
            CollectionAssert.Contains(names, "<>O::<0>__Upper -> Upper", string.Join("\n", names));
            Assert.IsTrue(caches.All(c => c.Field!.DeclaringType.Name == "<>c" || c.Field!.DeclaringType.Name == "<>O"), string.Join("\n", names));
            Assert.IsTrue(caches.All(c => c.Instance == null ? c.Target.IsStatic : c.Instance.Name == "<>9"), string.Join("\n", names));
            // Work._shout holds Upper too (assigned through the compiler's cache), but as a user field it could be assigned anything.
            Assert.IsFalse(caches.Any(c => c.Field!.Name == "_shout"), string.Join("\n", names));
        }

        /// <summary>
        /// Hand-edited copies of the recorded histograms: a target under the minimum share is left out and counted; a
        /// closure that dominates its site is guarded by its target object's type.
        /// </summary>
        [TestMethod]
        public void A_rare_target_is_left_out_and_a_dominant_closure_is_guarded_by_its_type()
        {
            var r = DelegateFixture.Get();
            using var dir = new TempDir();
            string hints = r.CopyHints(dir);
            string devirt = Path.Combine(hints, HintFileNames.DevirtHints);
            var records = RuntimeRecordFiles.ReadDevirtHints(devirt).ToList();
            var filter = records.Where(x => x.Method.Contains("Helpers::Filter") && x.Kind == InstrumentationKind.HandleHistogramMethods).ToList();
            Assert.AreEqual(2, filter.Count, string.Join("\n", filter));
            // One instantiation's histogram: the struct lambda 1 slot of 33 (under 10%), a closure of Check 32.
            var structLambda = filter.Single(x => x.Handle.Contains("<Descending>"));
            var classLambda = filter.Single(x => x.Handle.Contains("<LargeOrders>"));
            var counts = records.Where(x => x.Method.Contains("Helpers::Filter") && x.Kind == InstrumentationKind.HandleHistogramIntCount).ToList();
            records.RemoveAll(x => counts.Contains(x));
            records.Add(counts[0] with { Value = 33 });
            records.Remove(structLambda);
            records.Remove(classLambda);
            records.Add(structLambda with { Value = 1 });
            string closure = ClosureOverOrders(r.Assembly);
            records.Add(classLambda with { Handle = classLambda.Handle.Replace("<LargeOrders>b__0_0|@|DelegateTarget.Work+<>c", closure) });
            File.WriteAllBytes(devirt, RuntimeRecordFiles.WriteDevirtHints(records, new HintProvenance("hand-made", "samples/count", 99)));

            var outcome = RewriteStage.Run(r.CopyOutput(dir, "out"), hints, DelegatesOnly);

            CollectionAssert.AreEqual(new[] { "DelegateTarget." + closure.Substring(closure.IndexOf("|@|", StringComparison.Ordinal) + 3).Replace("DelegateTarget.", "") + "." + closure.Substring(0, closure.IndexOf('|')) + " (runtime)" },
                Guarded(outcome)["DelegateTarget.Helpers.Filter"], outcome.Lines[0]);
            StringAssert.Contains(outcome.Lines[0], "1 under 10% of their site");
        }

        /// <summary><c>name|@|Type+Display</c> of Check's closure <c>o =&gt; o.Quantity &lt; threshold</c>, as the runtime would name it.</summary>
        private static string ClosureOverOrders(string assembly)
        {
            using var module = ModuleDefinition.ReadModule(assembly);
            var closure = module.GetType("DelegateTarget.Program").NestedTypes.Where(t => t.Name.StartsWith("<>c__DisplayClass", StringComparison.Ordinal))
                .SelectMany(t => t.Methods)
                .Single(m => m.Parameters.Count == 1 && m.Parameters[0].ParameterType.Name == "Order" && m.ReturnType.MetadataType == MetadataType.Boolean);
            return closure.Name + "|@|DelegateTarget.Program+" + closure.DeclaringType.Name;
        }

        private static Dictionary<string, string[]> Guarded(RewriteOutcome outcome) => outcome.Guarded
            .Select(line => (Site: line.Substring(0, line.IndexOf(" IL_", StringComparison.Ordinal)), Targets: line.Substring(line.IndexOf(": ", StringComparison.Ordinal) + 2).Split(", ")))
            .ToDictionary(x => x.Site, x => x.Targets);

        /// <summary>The JIT's listing of Helpers.Join, compiled fully optimized on first call (no tiering).</summary>
        private static string Disassemble(TempDir dir, string assembly, string name)
        {
            string file = dir.Combine(name);
            var run = DotNetCli.Run(dir.Path, new Dictionary<string, string>
            {
                ["DOTNET_TieredCompilation"] = "0",
                ["DOTNET_JitDisasm"] = "Join",
                ["DOTNET_JitStdOutFile"] = file,
            }, "exec", assembly, "check");
            Assert.AreEqual(0, run.ExitCode, run.ToString());
            return File.ReadAllText(file);
        }
    }
}
