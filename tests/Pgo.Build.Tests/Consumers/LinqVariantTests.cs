using System;
using System.IO;
using System.Linq;
using Microsoft.Build.Framework;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.CallGraph;
using Pgo.Build.Engine;
using Pgo.Build.Hints;
using Pgo.Build.Linq;
using Pgo.Build.Tasks;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Consumers
{
    /// <summary>
    /// Which LINQ ILC compiles: speed-optimized when the profile's hot functions include System.Linq.Enumerable's
    /// (the variant the JIT ran while recording), NativeAOT's size-optimized default otherwise, the project's own
    /// UseSizeOptimizedLinq always kept.
    /// </summary>
    [TestClass]
    public sealed class LinqVariantTests
    {
        private static readonly FunctionWeight[] HotWithLinq =
        {
            new FunctionWeight("App.Program.Main", 60, 100),
            new FunctionWeight("System.Linq.Enumerable.Sum<TSource,TResult,TAccumulator>", 30, 35),
            new FunctionWeight("System.Linq.Enumerable+ArrayWhereIterator`1.MoveNext", 5, 5),
        };

        private static readonly FunctionWeight[] HotWithoutLinq =
        {
            new FunctionWeight("App.Program.Main", 60, 100),
            new FunctionWeight("System.Linq.EnumerableQuery`1.GetEnumerator", 30, 30),
            new FunctionWeight("System.Linq.ParallelEnumerable.Sum", 10, 10),
        };

        [TestMethod]
        public void Frames_of_Enumerable_and_its_iterators_count_other_types_of_the_namespace_do_not()
        {
            foreach (var name in new[] { "System.Linq.Enumerable.Sum<TSource>", "System.Linq.Enumerable+SizeOptIListWhereIterator`1.MoveNext",
                "System.Linq.Enumerable/ArrayWhereIterator`1.MoveNext", "System.Linq!Enumerable.WhereSelectArrayIterator<TSource, TResult>.ToArray",
                "|lm:System.Linq |ns:System.Linq |ct:Enumerable |cg: |fn:Sum |fg:<TSource> |sg:(class System.Collections.Generic.IEnumerable`1<!!0>)",
                "System.Linq!System.Linq.Enumerable+ArrayWhereIterator`1[System.__Canon].MoveNext()",
                "instance bool [System.Linq] System.Linq.Enumerable+ArrayWhereIterator`1[System.__Canon]::MoveNext()[Optimized]" })
            {
                Assert.IsTrue(LinqVariant.IsEnumerableFrame(name), name);
            }

            foreach (var name in new[] { "System.Linq.Enumerable", "System.Linq.EnumerableQuery`1.GetEnumerator", "System.Linq.EnumerableRewriter.Visit",
                "System.Linq.ParallelEnumerable.Sum", "System.Linq.Queryable.Where", "MyApp.System.Linq.Enumerable.Sum", "system.linq.enumerable.Sum",
                "System.Linq!EnumerableQuery<T>.GetEnumerator", "System.Linq.Expressions!Expression<TDelegate>.Compile", "[native] libc.so", "" })
            {
                Assert.IsFalse(LinqVariant.IsEnumerableFrame(name), name);
            }
        }

        [TestMethod]
        public void Auto_picks_speed_only_when_Enumerable_is_hot_and_the_project_left_the_switch_alone()
        {
            var hot = LinqVariant.Decide(null, null, HotWithLinq, 100, "App");
            Assert.IsTrue(hot.SpeedOptimized);
            Assert.IsTrue(hot.WorthSaying);
            Assert.AreEqual("PGO: App: speed-optimized LINQ for ILC (System.Linq.Enumerable.IsSizeOptimized=false, the variant the recording ran): " +
                "2 hot functions of System.Linq.Enumerable in the profile (35.0% of its CPU samples, flat; hottest System.Linq.Enumerable.Sum<TSource,TResult,TAccumulator>); " +
                "PgoSpeedOptimizedLinq=false keeps NativeAOT's size-optimized LINQ.", hot.Summary);

            var cold = LinqVariant.Decide("auto", "", HotWithoutLinq, 100, "App");
            Assert.IsFalse(cold.SpeedOptimized);
            Assert.IsFalse(cold.WorthSaying);
            StringAssert.Contains(cold.Summary, "size-optimized LINQ kept (NativeAOT's default): no hot function of System.Linq.Enumerable");

            var project = LinqVariant.Decide("AUTO", "true", HotWithLinq, 100, "App");
            Assert.IsFalse(project.SpeedOptimized, "the project's own UseSizeOptimizedLinq wins");
            Assert.IsTrue(project.WorthSaying, "hot LINQ kept size-optimized is worth a line");
            StringAssert.StartsWith(project.Summary, "PGO: App: LINQ as the project sets it (UseSizeOptimizedLinq=true); 2 hot functions");
        }

        [TestMethod]
        public void True_forces_speed_false_never_changes_anything_else_is_PGO005()
        {
            Assert.IsTrue(LinqVariant.Decide("true", null, Array.Empty<FunctionWeight>(), 0, "App").SpeedOptimized);
            Assert.IsFalse(LinqVariant.Decide(" False ", null, HotWithLinq, 100, "App").SpeedOptimized);
            var e = Assert.ThrowsExactly<PgoException>(() => LinqVariant.Decide("sometimes", null, HotWithLinq, 100, "App"));
            Assert.AreEqual("PGO005", e.Code);
            StringAssert.Contains(e.Message, "invalid PgoSpeedOptimizedLinq 'sometimes': expected auto, true or false.");
        }

        [TestMethod]
        public void The_engine_hot_functions_of_a_profile_with_hot_LINQ_frames_select_speed()
        {
            using var dir = new TempDir();
            var b = PprofBuilder.Cpu();
            ulong main = b.Function("App.Program.Main", 10, "Program.cs");
            ulong sum = b.Function("System.Linq.Enumerable.Sum<TSource,TResult,TAccumulator>", 0, "");
            ulong work = b.Function("App.Program.Work", 20, "Program.cs");
            ulong mainLoc = b.Location(0x1000, (main, 12));
            b.Sample(new long[] { 70, 70_000_000 }, b.Location(0x2000, (work, 22)), mainLoc);
            b.Sample(new long[] { 30, 30_000_000 }, b.Location(0x3000, (sum, 0)), mainLoc);
            string profile = dir.Write("default.pgo", b.ToGzip());
            string hints = dir.Combine("pgo");
            PgoEngine.Run(new PgoRequest(profile, hints, dir.Combine("cache")), new RecordingLog());

            var decision = LinqVariant.DecideFromHints(null, null, hints, "App");

            Assert.IsTrue(decision.SpeedOptimized, decision.Summary);
            StringAssert.Contains(decision.Summary, "1 hot function of System.Linq.Enumerable in the profile (30.0% of its CPU samples, flat;");
            Assert.IsFalse(LinqVariant.DecideFromHints(null, null, dir.Combine("none"), "App").SpeedOptimized, "no hint files: nothing is hot");
        }

        [TestMethod]
        public void Task_reports_its_choice_rejects_a_bad_setting_and_survives_a_bad_hint_file()
        {
            using var dir = new TempDir();
            var provenance = new HintProvenance(new string('0', 64), "samples/count", 99);
            dir.Write("hot/" + HintFileNames.HotFunctions, HotFunctionsFile.Write(HotWithLinq, 100, provenance));
            var engine = new FakeBuildEngine();
            var task = new SelectPgoLinqVariant { BuildEngine = engine, AssemblyName = "App", HintDirectory = dir.Combine("hot") };

            Assert.IsTrue(task.Execute());
            Assert.IsTrue(task.SpeedOptimized);
            var line = engine.Messages.Single(m => m.Message!.StartsWith("PGO: App: ", StringComparison.Ordinal));
            Assert.AreEqual(MessageImportance.High, line.Importance);
            StringAssert.Contains(line.Message, "speed-optimized LINQ for ILC");

            var bad = new FakeBuildEngine();
            Assert.IsFalse(new SelectPgoLinqVariant { BuildEngine = bad, AssemblyName = "App", HintDirectory = dir.Combine("hot"), Setting = "yes" }.Execute());
            Assert.AreEqual("PGO005", bad.Errors.Single().Code);

            dir.Write("broken/" + HintFileNames.HotFunctions, new byte[] { 0x50, 0x47, 0x4f, 0x0a, 0xff });
            var broken = new FakeBuildEngine();
            var survivor = new SelectPgoLinqVariant { BuildEngine = broken, AssemblyName = "App", HintDirectory = dir.Combine("broken") };
            Assert.IsTrue(survivor.Execute());
            Assert.IsFalse(survivor.SpeedOptimized);
            Assert.AreEqual("PGO103", broken.Warnings.Single().Code);
            Assert.AreEqual(0, broken.Errors.Count);
        }
    }
}
