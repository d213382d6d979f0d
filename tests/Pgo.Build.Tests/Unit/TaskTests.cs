using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.Build.Framework;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Hints;
using Pgo.Build.Tasks;

namespace Pgo.Build.Tests.Unit
{
    [TestClass]
    public sealed class TaskTests
    {
        private const string InlineHotSha = "f021feb8375fc3ace6eddf03a91a80cfdd8a85bdb2db7d4ae4149e91944012ff";

        private static FakeBuildEngine Engine(params (string Key, string Value)[] globals) =>
            new FakeBuildEngine(globals.ToDictionary(g => g.Key, g => g.Value));

        private static ResolvePgoProfile Resolve(FakeBuildEngine engine, string? pgo, string project, string? startup = null, string outputType = "Exe") =>
            new ResolvePgoProfile { BuildEngine = engine, Pgo = pgo, ProjectDirectory = project, StartupDirectory = startup, OutputType = outputType };

        [TestMethod]
        public void RelativePgoGlobalPropertyResolvesAgainstTheStartupDirectory()
        {
            using var dir = new TempDir();
            string profile = dir.Write("start/cpu.pprof", new byte[0]);
            dir.Write("project/cpu.pprof", new byte[0]);
            var engine = Engine(("Pgo", "cpu.pprof"));
            var task = Resolve(engine, "cpu.pprof", dir.Combine("project"), dir.Combine("start"));

            Assert.IsTrue(task.Execute());

            Assert.AreEqual(profile, task.ProfilePath);
            Assert.AreEqual("path", task.Mode);
            Assert.AreEqual(0, engine.Errors.Count);
            var message = engine.Messages.Single();
            Assert.AreEqual(MessageImportance.Low, message.Importance);
            Assert.AreEqual($"PGO: Pgo='cpu.pprof' resolved against {dir.Combine("start")} (global property): {profile}", message.Message);
        }

        [TestMethod]
        public void GlobalPropertyNameIsCaseInsensitive()
        {
            using var dir = new TempDir();
            string profile = dir.Write("start/cpu.pprof", new byte[0]);
            var task = Resolve(Engine(("PGO", "cpu.pprof")), "cpu.pprof", dir.Combine("project"), dir.Combine("start"));

            Assert.IsTrue(task.Execute());

            Assert.AreEqual(profile, task.ProfilePath);
        }

        [TestMethod]
        public void RelativePgoProjectPropertyResolvesAgainstTheProjectDirectory()
        {
            using var dir = new TempDir();
            dir.Write("start/cpu.pprof", new byte[0]);
            string profile = dir.Write("project/cpu.pprof", new byte[0]);
            var engine = Engine(("Configuration", "Release"));
            var task = Resolve(engine, "cpu.pprof", dir.Combine("project"), dir.Combine("start"));

            Assert.IsTrue(task.Execute());

            Assert.AreEqual(profile, task.ProfilePath);
            Assert.AreEqual($"PGO: Pgo='cpu.pprof' resolved against {dir.Combine("project")} (project property): {profile}", engine.Messages.Single().Message);
        }

        [TestMethod]
        public void GlobalPropertyWithoutAStartupDirectoryResolvesAgainstTheProject()
        {
            using var dir = new TempDir();
            string profile = dir.Write("project/cpu.pprof", new byte[0]);
            var task = Resolve(Engine(("Pgo", "cpu.pprof")), "cpu.pprof", dir.Combine("project"), "");

            Assert.IsTrue(task.Execute());

            Assert.AreEqual(profile, task.ProfilePath);
        }

        [TestMethod]
        public void MissingProfileIsErrorPgo001AtTheAbsolutePath()
        {
            using var dir = new TempDir();
            string full = dir.Combine("project", "missing.pprof");
            var engine = Engine();
            var task = Resolve(engine, "missing.pprof", dir.Combine("project"), dir.Combine("start"));

            Assert.IsFalse(task.Execute());

            var error = engine.Errors.Single();
            Assert.AreEqual("PGO001", error.Code);
            Assert.AreEqual(full, error.File);
            Assert.AreEqual($"error opening profile: open {full}: no such file or directory (from Pgo='missing.pprof')", error.Message);
            Assert.AreEqual("", task.ProfilePath);
        }

        [TestMethod]
        public void InvalidPgoValueIsErrorPgo004()
        {
            using var dir = new TempDir();
            var engine = Engine();

            Assert.IsFalse(Resolve(engine, "true", dir.Path).Execute());

            Assert.AreEqual("PGO004", engine.Errors.Single().Code);
            // No file of its own: MSBuild points the error at the project.
            Assert.AreEqual("test.csproj", engine.Errors[0].File);
        }

        [TestMethod]
        [DataRow("Exe", true)]
        [DataRow("WinExe", true)]
        [DataRow("Library", false)]
        public void AutoPicksDefaultPgoForExecutablesOnly(string outputType, bool picked)
        {
            using var dir = new TempDir();
            string profile = dir.Write("default.pgo", new byte[0]);
            var task = Resolve(Engine(), null, dir.Path, dir.Path, outputType);

            Assert.IsTrue(task.Execute());

            Assert.AreEqual("auto", task.Mode);
            Assert.AreEqual(picked ? profile : "", task.ProfilePath);
        }

        [TestMethod]
        public void OffResolvesToNothing()
        {
            using var dir = new TempDir();
            dir.Write("default.pgo", new byte[0]);
            var task = Resolve(Engine(), "OFF", dir.Path);

            Assert.IsTrue(task.Execute());

            Assert.AreEqual("off", task.Mode);
            Assert.AreEqual("", task.ProfilePath);
        }

        private static GeneratePgoHints Generate(FakeBuildEngine engine, TempDir dir, string profile, string? threshold = null) =>
            new GeneratePgoHints
            {
                BuildEngine = engine,
                ProfilePath = profile,
                OutputDirectory = dir.Combine("obj", "pgo"),
                CacheDirectory = dir.Combine("cache"),
                HotCallsiteThreshold = threshold,
            };

        private static string[] ExpectedOutputs(TempDir dir) => new[]
        {
            dir.Combine("obj", "pgo", "hot-functions.txt"),
            dir.Combine("obj", "pgo", "functions.txt"),
            dir.Combine("obj", "pgo", "inline-hints.txt"),
            dir.Combine("obj", "pgo", "devirt-hints.txt"),
            dir.Combine("obj", "pgo", "block-counts.txt"),
            dir.Combine("obj", "pgo", "profile.state"),
        };

        [TestMethod]
        public void GeneratePgoHintsLogsTheSummaryAndReturnsItsOutputs()
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.InlineHot, "app/default.pgo");
            var engine = Engine();
            var task = Generate(engine, dir, profile);

            Assert.IsTrue(task.Execute());

            Assert.AreEqual(0, engine.Errors.Count);
            Assert.AreEqual("PGO105", engine.Warnings.Single().Code); // Go's profile: no .NET frames
            var high = engine.Messages.Where(m => m.Importance == MessageImportance.High).ToList();
            Assert.AreEqual(1, high.Count);
            Assert.AreEqual($"PGO: {profile} (sha256 f021feb8): 37 samples, 4 edges, 3 hot call sites, 2 hot functions (cache miss: profile decoded)", high[0].Message);
            Assert.AreEqual(HintFileNames.All.Length, task.OutputFiles.Length);
            CollectionAssert.AreEqual(ExpectedOutputs(dir), task.OutputFiles.Select(i => i.ItemSpec).ToArray());
            Assert.IsTrue(ExpectedOutputs(dir).All(File.Exists));
            Assert.AreEqual(InlineHotSha, task.ProfileSha256);
            Assert.AreEqual("default.pgo", task.ProfileFileName);
        }

        [TestMethod]
        public void GeneratePgoHintsIsUpToDateTheSecondTime()
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.InlineHot, "app/default.pgo");
            Assert.IsTrue(Generate(Engine(), dir, profile).Execute());
            var engine = Engine();
            var task = Generate(engine, dir, profile);

            Assert.IsTrue(task.Execute());

            var high = engine.Messages.Single(m => m.Importance == MessageImportance.High);
            Assert.AreEqual($"PGO: {profile} (sha256 f021feb8): 37 samples, 4 edges, 3 hot call sites, 2 hot functions (up to date)", high.Message);
            // The profile's warning is logged again (with warnings as errors, the build keeps failing until the profile changes).
            var warning = engine.Warnings.Single();
            Assert.AreEqual("PGO105", warning.Code);
            Assert.AreEqual(profile, warning.File);
            StringAssert.StartsWith(warning.Message, "the profile may not belong to a .NET program: frame names: Go;");
            Assert.AreEqual(InlineHotSha, task.ProfileSha256);
            CollectionAssert.AreEqual(ExpectedOutputs(dir), task.OutputFiles.Select(i => i.ItemSpec).ToArray());
        }

        [TestMethod]
        [DataRow("abc")]
        [DataRow("0")]
        [DataRow("101")]
        public void InvalidThresholdIsErrorPgo005(string threshold)
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.InlineHot, "default.pgo");
            var engine = Engine();
            var task = Generate(engine, dir, profile, threshold);

            Assert.IsFalse(task.Execute());

            var error = engine.Errors.Single();
            Assert.AreEqual("PGO005", error.Code);
            Assert.AreEqual($"invalid PgoHotCallsiteThreshold '{threshold}': expected a percentage greater than 0 and at most 100 (default 99).", error.Message);
            Assert.AreEqual(0, task.OutputFiles.Length);
            Assert.IsFalse(Directory.Exists(dir.Combine("obj", "pgo")));
        }

        [TestMethod]
        public void InvalidEdgeFramesIsErrorPgo005AndAllFramesChangesTheGraph()
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.InlineHot, "default.pgo");
            var engine = Engine();
            var bad = Generate(engine, dir, profile);
            bad.EdgeFrames = "both";

            Assert.IsFalse(bad.Execute());
            Assert.AreEqual("invalid PgoEdgeFrames 'both': expected 'leaf' (Go's rule, the default) or 'all'.", engine.Errors.Single().Message);
            Assert.AreEqual("PGO005", engine.Errors.Single().Code);

            var leafEngine = Engine();
            Assert.IsTrue(Generate(leafEngine, dir, profile).Execute());
            var allEngine = Engine();
            var all = Generate(allEngine, dir, profile);
            all.EdgeFrames = "All";
            Assert.IsTrue(all.Execute());
            string Summary(FakeBuildEngine e) => e.Messages.Single(m => m.Message!.StartsWith("PGO: " + profile, StringComparison.Ordinal)).Message!;
            StringAssert.Contains(Summary(leafEngine), ": 37 samples, 4 edges,");
            StringAssert.Contains(Summary(allEngine), "(cache miss: profile decoded)"); // another graph: not the leaf graph's cache entry
            Assert.IsFalse(Summary(allEngine).Contains(": 37 samples, 4 edges,"), Summary(allEngine));
        }

        [TestMethod]
        public void ThresholdIsPassedToTheEngine()
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.InlineHot, "default.pgo");
            var engine = Engine();

            Assert.IsTrue(Generate(engine, dir, profile, " 90 ").Execute());

            StringAssert.Contains(engine.Messages.Single(m => m.Importance == MessageImportance.High).Message, ": 37 samples, 4 edges, 1 hot call sites, ");
            StringAssert.Contains(File.ReadAllText(dir.Combine("obj", "pgo", "inline-hints.txt")), "# threshold: 90\n");
        }

        [TestMethod]
        public void UnreadableProfileIsErrorPgo002AtTheProfile()
        {
            using var dir = new TempDir();
            string profile = dir.Write("bad.pprof", new byte[] { 0xff, 0xff });
            var engine = Engine();

            Assert.IsFalse(Generate(engine, dir, profile).Execute());

            var error = engine.Errors.Single();
            Assert.AreEqual("PGO002", error.Code);
            Assert.AreEqual(profile, error.File);
            StringAssert.StartsWith(error.Message, $"'{profile}' is not a readable pprof profile: parsing profile: ");
        }

        [TestMethod]
        public void EngineWarningsReachTheBuildLogWithTheirCode()
        {
            using var dir = new TempDir();
            var b = PprofBuilder.Cpu();
            ulong fa = b.Function("N!App.Main", 0, "App");
            ulong fb = b.Function("N!App.Work", 0, "App");
            b.Sample(new long[] { 1, 10 }, b.Location(0, (fb, 0)), b.Location(0, (fa, 0)));
            string profile = dir.Write("app.pprof", b.ToBytes());
            var engine = Engine();

            Assert.IsTrue(Generate(engine, dir, profile).Execute());

            var warning = engine.Warnings.Single();
            Assert.AreEqual("PGO101", warning.Code);
            Assert.AreEqual(profile, warning.File);
        }

        [TestMethod]
        public void TaskOutputsAreEmptyBeforeExecute()
        {
            var task = new GeneratePgoHints();

            Assert.AreEqual(0, task.OutputFiles.Length);
            Assert.AreEqual("", task.ProfileSha256);
            Assert.AreEqual("", new ResolvePgoProfile().ProfilePath);
        }
    }
}
