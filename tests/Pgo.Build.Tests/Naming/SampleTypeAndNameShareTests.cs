using System;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Caching;
using Pgo.Build.Engine;
using Pgo.Build.Profiles;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Naming
{
    /// <summary>Sample types of .NET profilers (cpu, cpu_samples, wall), PgoSampleType, and the PGO105 name-share warning.</summary>
    [TestClass]
    public sealed class SampleTypeAndNameShareTests
    {
        /// <summary>Main -> Work with the given sample types; every value of a sample is its index + 1 times 10.</summary>
        private static byte[] Profile(params (string Type, string Unit)[] types)
        {
            var b = new PprofBuilder();
            foreach (var (type, unit) in types)
            {
                b.SampleType(type, unit);
            }

            ulong main = b.Function("App!Program.Main", 0, "App");
            ulong work = b.Function("App!Program.Work", 0, "App");
            ulong lm = b.Location(0, (main, 0));
            ulong lw = b.Location(0, (work, 0));
            b.Sample(types.Select((_, i) => (long)(i + 1) * 10).ToArray(), lw, lm);
            return b.ToBytes();
        }

        private static PreprocessedProfile Analyze(byte[] bytes, string? sampleType = null) =>
            PgoEngine.Analyze(bytes, "prof.pprof", ProfileLimits.Default, CancellationToken.None, new AnalysisOptions(sampleType));

        private static PgoException Rejects(byte[] bytes, string? sampleType = null) =>
            Assert.ThrowsExactly<PgoException>(() => Analyze(bytes, sampleType));

        [TestMethod]
        public void WallTimeOnlyIsRejectedWithTheWayOut()
        {
            var e = Rejects(Profile(("wall", "nanoseconds"), ("alloc_samples", "count")));

            Assert.AreEqual(PgoCodes.NoUsableSampleType, e.Code);
            Assert.AreEqual(
                "the profile holds wall-clock time (wall/nanoseconds) but no CPU samples (it has: wall/nanoseconds, alloc_samples/count). " +
                "Wall time counts threads that wait, so waiting code would look hot. Use a CPU profile, or set PgoSampleType=wall to use wall time anyway.",
                e.Message);

            var wall = Analyze(Profile(("wall", "nanoseconds"), ("alloc_samples", "count")), "wall");
            Assert.AreEqual("wall/nanoseconds", wall.Graph.SampleType);
            Assert.AreEqual(10, wall.Graph.SampleValue);
        }

        [TestMethod]
        [DataRow("cpu_samples")]
        [DataRow("cpu-samples")]
        public void CpuSampleCountsOfDotnetProfilersAreAccepted(string name)
        {
            var graph = Analyze(Profile(("wall", "nanoseconds"), (name, "count"))).Graph;

            Assert.AreEqual(name + "/count", graph.SampleType);
            Assert.AreEqual(20, graph.SampleValue);
        }

        [TestMethod]
        public void GoRuleComesFirstAndPgoSampleTypeOverridesIt()
        {
            byte[] bytes = Profile(("wall", "nanoseconds"), ("samples", "count"), ("cpu", "nanoseconds"));

            Assert.AreEqual("samples/count", Analyze(bytes).Graph.SampleType);
            Assert.AreEqual("cpu/nanoseconds", Analyze(bytes, "cpu").Graph.SampleType);
            Assert.AreEqual("cpu/nanoseconds", Analyze(bytes, "cpu/nanoseconds").Graph.SampleType);
            Assert.AreEqual(30, Analyze(bytes, " cpu ").Graph.SampleValue);

            var e = Rejects(bytes, "alloc_space");
            Assert.AreEqual(PgoCodes.NoUsableSampleType, e.Code);
            Assert.AreEqual("the profile has no sample type \"alloc_space\" (PgoSampleType); it has: wall/nanoseconds, samples/count, cpu/nanoseconds.", e.Message);
        }

        [TestMethod]
        public void HeapProfileStillNamesTheTypesItHas()
        {
            var e = Rejects(Profile(("alloc_objects", "count"), ("inuse_space", "bytes")));

            StringAssert.Contains(e.Message, "(it has: alloc_objects/count, inuse_space/bytes)");
            StringAssert.Contains(e.Message, "PgoSampleType");
        }

        [TestMethod]
        public void ChosenSampleTypeIsItsOwnCacheEntryAndSetting()
        {
            using var dir = new TempDir();
            string path = dir.Combine("default.pgo");
            File.WriteAllBytes(path, Profile(("samples", "count"), ("cpu", "nanoseconds")));
            var cache = new GraphCache(dir.Combine("cache"));
            var log = new RecordingLog();

            var byDefault = PgoEngine.PreprocessProfile(path, cache, log, ProfileLimits.Default, CancellationToken.None);
            var cpu = PgoEngine.PreprocessProfile(path, cache, log, ProfileLimits.Default, CancellationToken.None, new AnalysisOptions("cpu"));
            var cpuAgain = PgoEngine.PreprocessProfile(path, cache, log, ProfileLimits.Default, CancellationToken.None, new AnalysisOptions("cpu"));

            Assert.IsFalse(cpu.CacheHit, "the default entry must not answer for another sample type");
            Assert.AreEqual(10, byDefault.Profile.Graph.SampleValue);
            Assert.AreEqual(20, cpu.Profile.Graph.SampleValue);
            Assert.IsTrue(cpuAgain.CacheHit);
            Assert.AreNotEqual(new PgoRequest(path, "o", "c").SettingsKey, new PgoRequest(path, "o", "c") { Options = new AnalysisOptions("cpu") }.SettingsKey);
        }

        [TestMethod]
        public void FramesThatAreNotDotnetMethodsGivePgo105AndDotnetNamesAMessage()
        {
            using var dir = new TempDir();
            var b = PprofBuilder.Cpu();
            ulong native = b.Function("0x7f3a9c001234", 0, "");
            ulong unknown = b.Function("[Unknown]", 0, "");
            ulong main = b.Function("App!Program.Main", 0, "App");
            b.Sample(new long[] { 9, 90 }, b.Location(0, (native, 0)), b.Location(0, (unknown, 0)));
            b.Sample(new long[] { 1, 10 }, b.Location(0, (main, 0)));
            string path = dir.Combine("native.pprof");
            File.WriteAllBytes(path, b.ToBytes());
            var log = new RecordingLog();

            PgoEngine.Run(new PgoRequest(path, dir.Combine("out"), dir.Combine("cache")), log);

            var warning = log.Warnings.Single(w => w.Code == PgoCodes.UnrecognizedFrameNames);
            Assert.AreEqual(
                "the profile may not belong to a .NET program: frame names: Pyroscope; 1 of 3 functions (10.0% of the flat weight) parsed into .NET methods. " +
                "Functions are matched by their plain names; frames that are not .NET methods are ignored.",
                warning.Text);

            var good = new RecordingLog();
            string real = TestData.Path_("dotnet", "profiles", "pyroscope__dotnet-pprof-3.pb.gz");
            PgoEngine.Run(new PgoRequest(real, dir.Combine("out2"), dir.Combine("cache")), good);
            Assert.IsFalse(good.Warnings.Any(w => w.Code == PgoCodes.UnrecognizedFrameNames));
            CollectionAssert.Contains(good.Messages, "PGO: frame names: Pyroscope; 41 of 41 functions (100.0% of the flat weight) parsed into .NET methods.");
        }
    }
}
