using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Caching;
using Pgo.Build.CallGraph;
using Pgo.Build.Engine;
using Pgo.Build.Hints;
using Pgo.Build.IO;
using Pgo.Build.Profiles;

namespace Pgo.Build.Tests.Unit
{
    [TestClass]
    public sealed class CacheAndEngineTests
    {
        private const string InlineHotSha = "f021feb8375fc3ace6eddf03a91a80cfdd8a85bdb2db7d4ae4149e91944012ff";

        private static readonly DateTime Old = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);

        private static (WeightedCallGraph Graph, string Sha256, bool CacheHit) Preprocess(string path, GraphCache cache, RecordingLog? log = null) =>
            PgoEngine.Preprocess(path, cache, log ?? new RecordingLog(), ProfileLimits.Default, CancellationToken.None);

        private static PgoRequest Request(TempDir dir, string profile) =>
            new PgoRequest(profile, dir.Combine("out"), dir.Combine("cache"));

        private static string[] OutputPaths(TempDir dir) =>
            HintFileNames.All.Select(n => dir.Combine("out", n)).ToArray();

        private static void SetOld(string[] paths)
        {
            foreach (var p in paths)
            {
                File.SetLastWriteTimeUtc(p, Old);
            }
        }

        private static void AssertOld(string[] paths)
        {
            foreach (var p in paths)
            {
                Assert.AreEqual(Old, File.GetLastWriteTimeUtc(p), p + " was rewritten");
            }
        }

        /// <summary>b (start 1) called from a (no start lines anywhere): method-level.</summary>
        private static byte[] MethodLevelProfile()
        {
            var b = PprofBuilder.Cpu();
            ulong fa = b.Function("N!App.Main", 0, "App");
            ulong fb = b.Function("N!App.Work", 0, "App");
            ulong la = b.Location(0, (fa, 0));
            ulong lb = b.Location(0, (fb, 0));
            b.Sample(new long[] { 3, 30 }, lb, la);
            return b.ToBytes();
        }

        [TestMethod]
        public void CacheKeyIsTheContentNotThePath()
        {
            using var dir = new TempDir();
            var cache = new GraphCache(dir.Combine("cache"));
            string one = dir.Copy(TestData.InlineHot, "a/one.pprof");
            string two = dir.Copy(TestData.InlineHot, "b/two.pgo");

            var first = Preprocess(one, cache);
            var second = Preprocess(two, cache);

            Assert.IsFalse(first.CacheHit);
            Assert.IsTrue(second.CacheHit);
            Assert.AreEqual(InlineHotSha, first.Sha256);
            Assert.AreEqual(InlineHotSha, second.Sha256);
            Assert.AreEqual(4, second.Graph.Edges.Count);
            Assert.AreEqual(135L, second.Graph.TotalWeight);
            Assert.AreEqual(37L, second.Graph.SampleCount);
            Assert.AreEqual(string.Join("; ", first.Graph.Edges), string.Join("; ", second.Graph.Edges));
            CollectionAssert.AreEqual(new[] { cache.PathFor(InlineHotSha) }, Directory.GetFiles(dir.Combine("cache"), "*", SearchOption.AllDirectories));
        }

        [TestMethod]
        public void CacheEntryPathIsKeyedOnEngineVersionAndHash()
        {
            var cache = new GraphCache("/c");

            Assert.AreEqual(Path.Combine("/c", "graphs", Sha256Hex.Of(GraphCache.EngineVersion + "\n" + InlineHotSha) + ".graph"), cache.PathFor(InlineHotSha));
        }

        [TestMethod]
        public void OneChangedByteIsACacheMiss()
        {
            using var dir = new TempDir();
            var cache = new GraphCache(dir.Combine("cache"));
            var bytes = File.ReadAllBytes(TestData.InlineHot);
            string original = dir.Write("one.pprof", bytes);
            bytes[4] ^= 0x01; // gzip MTIME: same profile, other bytes
            string changed = dir.Write("two.pprof", bytes);

            var first = Preprocess(original, cache);
            var second = Preprocess(changed, cache);

            Assert.IsFalse(first.CacheHit);
            Assert.IsFalse(second.CacheHit);
            Assert.AreNotEqual(first.Sha256, second.Sha256);
            Assert.AreEqual(135L, second.Graph.TotalWeight);
            Assert.AreEqual(2, Directory.GetFiles(dir.Combine("cache", "graphs")).Length);
        }

        [TestMethod]
        [DataRow("garbage")]
        [DataRow("")]
        [DataRow("truncated")]
        [DataRow("other-profile")]
        public void DamagedCacheEntryIsAMissAndIsReplaced(string damage)
        {
            using var dir = new TempDir();
            var cache = new GraphCache(dir.Combine("cache"));
            string profile = dir.Copy(TestData.InlineHot, "p.pprof");
            var first = Preprocess(profile, cache);
            string entry = cache.PathFor(first.Sha256);
            string good = File.ReadAllText(entry);
            string bad = damage switch
            {
                "garbage" => "not a cache entry",
                "" => "",
                "truncated" => good.Substring(0, good.Length - 3),
                _ => good.Replace(InlineHotSha, new string('0', 64)),
            };
            File.WriteAllText(entry, bad);

            var second = Preprocess(profile, cache);
            var third = Preprocess(profile, cache);

            Assert.IsFalse(second.CacheHit);
            Assert.AreEqual(good, File.ReadAllText(entry));
            Assert.AreEqual(135L, second.Graph.TotalWeight);
            Assert.IsTrue(third.CacheHit);
            Assert.AreEqual(string.Join("; ", first.Graph.Edges), string.Join("; ", third.Graph.Edges));
        }

        /// <summary>
        /// Damage that still parses: one flipped byte inside a function name, or a changed weight. The entry's checksum
        /// makes it a miss; the build says so, writes the same hint files as from scratch, and the entry is repaired.
        /// </summary>
        [TestMethod]
        [DataRow("F\t5\t5\texample.com/pgo/inline.T\n", "F\t5\t5\texample.com/pgo/inline.U\n")]
        [DataRow("\texample.com/pgo/inline.A\t", "\texample.com/pgo/inline.@\t")]
        [DataRow("F\t124\t", "F\t125\t")]
        [DataRow("E\t7\t129\t", "E\t7\t128\t")]
        public void EntryChangedInsideANameOrANumberIsReportedRecomputedAndRepaired(string find, string replace)
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.InlineHot, "default.pgo");
            var fresh = PgoEngine.Run(new PgoRequest(profile, dir.Combine("fresh"), dir.Combine("fresh-cache")), new RecordingLog());
            var request = Request(dir, profile);
            PgoEngine.Run(request, new RecordingLog());
            string entry = new GraphCache(request.CacheDirectory).PathFor(InlineHotSha);
            byte[] good = File.ReadAllBytes(entry);
            string text = Encoding.UTF8.GetString(good);
            Assert.AreEqual(1, CountOf(text, find), "the damage must hit exactly one place: " + find);
            File.WriteAllText(entry, text.Replace(find, replace));
            foreach (var f in OutputPaths(dir))
            {
                File.Delete(f);
            }

            var log = new RecordingLog();
            var damaged = PgoEngine.Run(request, log);

            Assert.AreEqual(CacheStatus.Replaced, damaged.Cache);
            Assert.AreEqual(damaged.Summary + " (cache miss: damaged entry replaced, profile decoded)", damaged.SummaryWithStatus);
            Assert.AreEqual(
                $"PGO: the cache entry {entry} was damaged (checksum mismatch: the entry changed after it was written); the profile was decoded again and the entry rewritten.",
                log.Messages.Single(m => m.Contains("damaged", StringComparison.Ordinal)));
            CollectionAssert.AreEqual(good, File.ReadAllBytes(entry), "the entry is repaired");
            foreach (var name in HintFileNames.All)
            {
                CollectionAssert.AreEqual(File.ReadAllBytes(dir.Combine("fresh", name)), File.ReadAllBytes(dir.Combine("out", name)), name);
            }

            Assert.AreEqual(fresh.Summary, damaged.Summary);
            Assert.AreEqual(CacheStatus.Hit, PgoEngine.Run(request, new RecordingLog()).Cache);
        }

        private static int CountOf(string text, string part)
        {
            int count = 0;
            for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
            {
                count++;
            }

            return count;
        }

        [TestMethod]
        public void GarbageProfileIsPgo002AndLeavesNoCacheEntryAndNoHintFiles()
        {
            using var dir = new TempDir();
            string profile = dir.Write("bad.pprof", new byte[] { 0xff, 0xff, 0xff, 0xff });
            foreach (var stale in OutputPaths(dir))
            {
                dir.Write(Path.Combine("out", Path.GetFileName(stale)), Encoding.UTF8.GetBytes("stale"));
            }

            var e = Assert.ThrowsExactly<PgoException>(() => PgoEngine.Run(Request(dir, profile), new RecordingLog()));

            Assert.AreEqual("PGO002", e.Code);
            Assert.AreEqual(profile, e.File);
            StringAssert.StartsWith(e.Message, $"'{profile}' is not a readable pprof profile: parsing profile: ");
            Assert.IsInstanceOfType<ProfileFormatException>(e.InnerException);
            Assert.IsFalse(Directory.Exists(dir.Combine("cache")) && Directory.EnumerateFiles(dir.Combine("cache"), "*", SearchOption.AllDirectories).Any(), "a cache entry was written");
            Assert.AreEqual(0, Directory.GetFiles(dir.Combine("out")).Length);
        }

        [TestMethod]
        public void ProfileWithoutUsableSampleTypeIsPgo003()
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.Path_("pprof", "internal", "driver", "testdata", "go.nomappings.crash"), "heap.pprof");
            dir.Write("out/inline-hints.txt", Encoding.UTF8.GetBytes("stale"));

            var e = Assert.ThrowsExactly<PgoException>(() => PgoEngine.Run(Request(dir, profile), new RecordingLog()));

            Assert.AreEqual("PGO003", e.Code);
            Assert.AreEqual(profile, e.File);
            Assert.AreEqual(
                "profile does not contain a sample index with value/type \"samples/count\" or \"cpu/nanoseconds\" " +
                "(it has: alloc_objects/count, alloc_space/bytes, inuse_objects/count, inuse_space/bytes). Use a CPU profile, or name the sample type to use with PgoSampleType.",
                e.Message);
            Assert.IsFalse(File.Exists(dir.Combine("out", "inline-hints.txt")));
        }

        [TestMethod]
        public void MissingProfileIsPgo001()
        {
            using var dir = new TempDir();
            string profile = dir.Combine("missing.pprof");

            var e = Assert.ThrowsExactly<PgoException>(() => PgoEngine.Run(Request(dir, profile), new RecordingLog()));

            Assert.AreEqual("PGO001", e.Code);
            Assert.AreEqual(profile, e.File);
            Assert.AreEqual($"error opening profile: open {profile}: no such file or directory", e.Message);
        }

        [TestMethod]
        public void EmptyProfileFileSucceedsWithNoEdges()
        {
            using var dir = new TempDir();
            string profile = dir.Write("empty.pprof", new byte[0]);
            var log = new RecordingLog();

            var result = PgoEngine.Run(Request(dir, profile), log);

            Assert.AreEqual(0, result.Graph.Edges.Count);
            Assert.AreEqual(0L, result.Graph.SampleCount);
            Assert.AreEqual(0, result.HotCallSites.Count);
            Assert.AreEqual(0, result.HotFunctions.Count);
            Assert.IsFalse(result.CacheHit);
            Assert.AreEqual($"PGO: {profile} (sha256 e3b0c442): 0 samples, 0 edges, 0 hot call sites, 0 hot functions", result.Summary);
            Assert.AreEqual(0, log.Warnings.Count);
            CollectionAssert.AreEqual(OutputPaths(dir), result.Files.ToArray());
            Assert.IsTrue(OutputPaths(dir).All(File.Exists));
            Assert.AreEqual(0, InlineHintsFile.Read(dir.Combine("out", HintFileNames.InlineHints)).Count);
        }

        [TestMethod]
        public void RunWritesHintsAndReportsTheSummary()
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.InlineHot, "default.pgo");
            var log = new RecordingLog();

            var result = PgoEngine.Run(Request(dir, profile), log);

            Assert.AreEqual(InlineHotSha, result.ProfileSha256);
            Assert.IsFalse(result.CacheHit);
            Assert.AreEqual($"PGO: {profile} (sha256 f021feb8): 37 samples, 4 edges, 3 hot call sites, 2 hot functions", result.Summary);
            Assert.AreEqual(result.Summary + " (cache miss: profile decoded)", result.SummaryWithStatus);
            CollectionAssert.AreEqual(OutputPaths(dir), result.Files.ToArray());
            CollectionAssert.AreEqual(OutputPaths(dir), result.ChangedFiles.ToArray());
            Assert.AreEqual(0, log.Messages.Count);
            // Go's own profile: its frames are Go functions, not .NET methods.
            Assert.AreEqual(1, log.Warnings.Count);
            Assert.AreEqual(PgoCodes.UnrecognizedFrameNames, log.Warnings[0].Code);
            Assert.AreEqual(
                "the profile may not belong to a .NET program: frame names: Go; 0 of 7 functions (0.0% of the flat weight) parsed into .NET methods, 7 Go functions. " +
                "Functions are matched by their plain names; frames that are not .NET methods are ignored.",
                log.Warnings[0].Text);
            var state = StateFile.TryRead(dir.Combine("out", HintFileNames.State));
            Assert.IsNotNull(state);
            Assert.AreEqual("default.pgo", state.ProfileFileName);
            Assert.AreEqual(InlineHotSha, state.ProfileSha256);
            Assert.AreEqual(result.Summary, state.Summary);
        }

        /// <summary>A sample type is the profile author's text: a newline in it must not inject rows into the hint files or the cache entry.</summary>
        [TestMethod]
        public void SampleTypeWithANewlineInjectsNoRowsIntoHintFilesOrTheCacheEntry()
        {
            using var dir = new TempDir();
            var b = PprofBuilder.Cpu();
            b.Message.SampleType[1].Unit = b.Str("nanoseconds\nE\t0\t999\tinjected.Caller\tinjected.Callee\n# edges: 2");
            ulong main = b.Function("App.Program.Main", 1, "App.cs");
            ulong work = b.Function("App.Program.Work", 5, "App.cs");
            b.Sample(new long[] { 3, 30 }, b.Location(0, (work, 6)), b.Location(0, (main, 2)));
            string profile = dir.Write("default.pgo", b.ToBytes());
            var request = Request(dir, profile);
            request.Options = new AnalysisOptions("cpu");

            var first = PgoEngine.Run(request, new RecordingLog());
            var second = PgoEngine.Run(request, new RecordingLog());

            Assert.IsFalse(first.CacheHit);
            Assert.IsTrue(second.CacheHit, "the entry must read back");
            Assert.AreEqual(first.Graph.SampleType, second.Graph.SampleType);
            StringAssert.StartsWith(second.Graph.SampleType, "cpu/nanoseconds\nE\t0");
            Assert.AreEqual(1, second.Graph.Edges.Count);
            var hints = InlineHintsFile.Read(dir.Combine("out", HintFileNames.InlineHints));
            Assert.AreEqual("App.Program.Main -> App.Program.Work", string.Join(";", hints.Select(e => e.Caller + " -> " + e.Callee)));
            Assert.AreEqual(first.Graph.SampleType, TextTable.Read(dir.Combine("out", HintFileNames.InlineHints), InlineHintsFile.FormatName).Get("sample-type"));
        }

        [TestMethod]
        public void SecondRunIsACacheHitAndRewritesNothing()
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.InlineHot, "default.pgo");
            PgoEngine.Run(Request(dir, profile), new RecordingLog());
            SetOld(OutputPaths(dir));
            var log = new RecordingLog();

            var second = PgoEngine.Run(Request(dir, profile), log);

            Assert.IsTrue(second.CacheHit);
            Assert.AreEqual(second.Summary + " (cache hit)", second.SummaryWithStatus);
            Assert.AreEqual(0, second.ChangedFiles.Count);
            Assert.AreEqual(HintFileNames.All.Length, second.Files.Count);
            AssertOld(OutputPaths(dir));
            Assert.AreEqual(1, log.Messages.Count);
            StringAssert.StartsWith(log.Messages[0], "PGO: cache hit for sha256 f021feb8 (");
        }

        [TestMethod]
        public void RunIncrementalIsUpToDateWhenNothingChanged()
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.InlineHot, "default.pgo");
            var first = PgoEngine.RunIncremental(Request(dir, profile), new RecordingLog());
            SetOld(OutputPaths(dir));

            var second = PgoEngine.RunIncremental(Request(dir, profile), new RecordingLog());

            Assert.IsFalse(first.UpToDate);
            Assert.IsNotNull(first.Result);
            Assert.IsFalse(first.Result.CacheHit);
            Assert.IsTrue(second.UpToDate);
            Assert.IsNull(second.Result);
            Assert.AreEqual(InlineHotSha, second.State.ProfileSha256);
            Assert.AreEqual("default.pgo", second.State.ProfileFileName);
            Assert.AreEqual(first.Result.Summary + " (up to date)", second.SummaryWithStatus);
            AssertOld(OutputPaths(dir));
        }

        [TestMethod]
        public void RunIncrementalRerunsWhenTheProfileIsTouchedAndHitsTheCache()
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.InlineHot, "default.pgo");
            PgoEngine.RunIncremental(Request(dir, profile), new RecordingLog());
            SetOld(OutputPaths(dir));
            File.SetLastWriteTimeUtc(profile, File.GetLastWriteTimeUtc(profile).AddMinutes(5));

            var outcome = PgoEngine.RunIncremental(Request(dir, profile), new RecordingLog());

            Assert.IsFalse(outcome.UpToDate);
            Assert.IsNotNull(outcome.Result);
            Assert.IsTrue(outcome.Result.CacheHit);
            // Same content: only the state (its stamp) changes; the hint files keep their time stamps.
            CollectionAssert.AreEqual(new[] { dir.Combine("out", HintFileNames.State) }, outcome.Result.ChangedFiles.ToArray());
            Assert.AreEqual(Old, File.GetLastWriteTimeUtc(dir.Combine("out", HintFileNames.InlineHints)));
            Assert.AreEqual(Old, File.GetLastWriteTimeUtc(dir.Combine("out", HintFileNames.HotFunctions)));
            Assert.IsTrue(PgoEngine.RunIncremental(Request(dir, profile), new RecordingLog()).UpToDate);
        }

        [TestMethod]
        public void RunIncrementalRerunsWhenTheThresholdChanges()
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.InlineHot, "default.pgo");
            PgoEngine.RunIncremental(Request(dir, profile), new RecordingLog());
            var request = Request(dir, profile);
            request.HotCallsiteThreshold = 90;

            var outcome = PgoEngine.RunIncremental(request, new RecordingLog());

            Assert.IsFalse(outcome.UpToDate);
            Assert.IsNotNull(outcome.Result);
            Assert.IsTrue(outcome.Result.CacheHit);
            Assert.AreEqual(1, outcome.Result.HotCallSites.Count);
            CollectionAssert.Contains(outcome.Result.ChangedFiles.ToArray(), dir.Combine("out", HintFileNames.InlineHints));
            Assert.AreEqual(1, InlineHintsFile.Read(dir.Combine("out", HintFileNames.InlineHints)).Count);
            Assert.IsTrue(PgoEngine.RunIncremental(request, new RecordingLog()).UpToDate);
            Assert.IsFalse(PgoEngine.RunIncremental(Request(dir, profile), new RecordingLog()).UpToDate);
        }

        [TestMethod]
        public void RunIncrementalRerunsWhenAnOutputIsMissing()
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.InlineHot, "default.pgo");
            PgoEngine.RunIncremental(Request(dir, profile), new RecordingLog());
            File.Delete(dir.Combine("out", HintFileNames.HotFunctions));

            var outcome = PgoEngine.RunIncremental(Request(dir, profile), new RecordingLog());

            Assert.IsFalse(outcome.UpToDate);
            Assert.IsNotNull(outcome.Result);
            CollectionAssert.AreEqual(new[] { dir.Combine("out", HintFileNames.HotFunctions) }, outcome.Result.ChangedFiles.ToArray());
        }

        [TestMethod]
        public void MethodLevelProfileWarnsPgo101()
        {
            using var dir = new TempDir();
            string profile = dir.Write("app.pb.gz", MethodLevelProfile());
            var log = new RecordingLog();

            var result = PgoEngine.Run(Request(dir, profile), log);

            Assert.AreEqual(1, log.Warnings.Count);
            Assert.AreEqual("PGO101", log.Warnings[0].Code);
            Assert.AreEqual(profile, log.Warnings[0].File);
            Assert.AreEqual(
                "profile missing Function.start_line data: call sites are matched per method only, not per line (every .NET profiler but 'pgo record' omits start lines).",
                log.Warnings[0].Text);
            Assert.IsFalse(result.Graph.HasStartLines);
            Assert.AreEqual("N!App.Main +? -> N!App.Work (3)", string.Join("; ", result.Graph.Edges));
            StringAssert.EndsWith(result.Summary, ": 1 samples, 1 edges, 1 hot call sites, 1 hot functions, method-level (no start lines)");
            StringAssert.Contains(File.ReadAllText(dir.Combine("out", HintFileNames.InlineHints)), "N!App.Main\t-\tN!App.Work\t3\n");
        }

        [TestMethod]
        public void RealDotnetProfileIsMethodLevel()
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.Path_("dotnet", "profiles", "pyroscope__dotnet-pprof-211.pb.gz"), "dotnet.pb.gz");
            var log = new RecordingLog();

            var result = PgoEngine.Run(Request(dir, profile), log);

            Assert.AreEqual("PGO101", log.Warnings.Single().Code);
            Assert.AreEqual("cpu/nanoseconds", result.Graph.SampleType);
            Assert.IsFalse(result.Graph.HasStartLines);
            Assert.IsTrue(result.Graph.Edges.Count > 0);
            Assert.IsTrue(result.Graph.Edges.All(e => e.Offset == null));
            Assert.AreEqual(result.Graph.Edges.Sum(e => e.Weight), result.Graph.TotalWeight);
        }

        [TestMethod]
        public void HintFilesAreRewrittenOnlyWhenTheirContentChanges()
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.InlineHot, "default.pgo");
            PgoEngine.Run(Request(dir, profile), new RecordingLog());
            SetOld(OutputPaths(dir));
            var request = Request(dir, profile);
            request.HotCallsiteThreshold = 99.0; // same as the default

            var same = PgoEngine.Run(request, new RecordingLog());

            Assert.AreEqual(0, same.ChangedFiles.Count);
            AssertOld(OutputPaths(dir));

            request.HotCallsiteThreshold = 50;
            var changed = PgoEngine.Run(request, new RecordingLog());

            // Every file names the threshold (and at 50% only (*BS).NS, 95.38% of the flat weight, is hot).
            CollectionAssert.AreEqual(OutputPaths(dir), changed.ChangedFiles.ToArray());
            Assert.AreEqual(1, changed.HotFunctions.Count);
        }

        [TestMethod]
        public void CacheWriteFailureIsAWarningNotAnError()
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.InlineHot, "default.pgo");
            string notADirectory = dir.Write("cache-is-a-file", new byte[] { 1 });
            var log = new RecordingLog();

            var result = PgoEngine.Run(new PgoRequest(profile, dir.Combine("out"), notADirectory), log);

            Assert.AreEqual(4, result.Graph.Edges.Count);
            var warning = log.Warnings.Single(w => w.Code != PgoCodes.UnrecognizedFrameNames);
            Assert.AreEqual("PGO102", warning.Code);
            Assert.IsNull(warning.File);
            StringAssert.StartsWith(warning.Text, $"could not write the PGO cache entry under '{notADirectory}': ");
            StringAssert.EndsWith(warning.Text, ". The build goes on; the next build decodes the profile again.");
            Assert.IsFalse(warning.Text.Contains("..", StringComparison.Ordinal), warning.Text);
        }

        [TestMethod]
        public void ReadOnlyCacheDirectoryIsPgo102WithOnePeriodAndTheHintsAreStillWritten()
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.InlineHot, "default.pgo");
            string cache = dir.Combine("cache");
            Directory.CreateDirectory(Path.Combine(cache, "graphs"));
            var log = new RecordingLog();

            PgoResult result;
            using (new ReadOnlyDirectory(cache))
            {
                result = PgoEngine.Run(new PgoRequest(profile, dir.Combine("out"), cache), log);
            }

            Assert.AreEqual(4, result.Graph.Edges.Count);
            Assert.AreEqual(3, InlineHintsFile.Read(dir.Combine("out", HintFileNames.InlineHints)).Count);
            var warning = log.Warnings.Single(w => w.Code == PgoCodes.CacheWriteFailed);
            StringAssert.StartsWith(warning.Text, $"could not write the PGO cache entry under '{cache}': ");
            StringAssert.EndsWith(warning.Text, ". The build goes on; the next build decodes the profile again.");
            Assert.IsFalse(warning.Text.Contains("..", StringComparison.Ordinal), "doubled period: " + warning.Text);
            Assert.AreEqual(0, Directory.GetFileSystemEntries(Path.Combine(cache, "graphs")).Length);
        }

        [TestMethod]
        public void CancellationRemovesTheOutputs()
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.InlineHot, "default.pgo");
            PgoEngine.Run(new PgoRequest(profile, dir.Combine("out"), dir.Combine("cache1")), new RecordingLog());
            using var cts = new CancellationTokenSource();
            cts.Cancel();

            Assert.ThrowsExactly<OperationCanceledException>(() => PgoEngine.Run(new PgoRequest(profile, dir.Combine("out"), dir.Combine("cache2")), new RecordingLog(), cts.Token));

            Assert.AreEqual(0, Directory.GetFiles(dir.Combine("out")).Length);
        }

        [TestMethod]
        public void StateStampChangesWithWriteTimeSizeAndSettings()
        {
            using var dir = new TempDir();
            string profile = dir.Write("p.pprof", new byte[] { 1, 2, 3 });
            File.SetLastWriteTimeUtc(profile, Old);

            string stamp = StateFile.StampFor(profile, "s1");

            Assert.AreEqual($"{profile}|3|{Old.Ticks}|s1", stamp);
            Assert.AreNotEqual(stamp, StateFile.StampFor(profile, "s2"));
            File.SetLastWriteTimeUtc(profile, Old.AddTicks(1));
            Assert.AreNotEqual(stamp, StateFile.StampFor(profile, "s1"));
            Assert.AreEqual($"{dir.Combine("none")}|-1|0|s1", StateFile.StampFor(dir.Combine("none"), "s1"));
        }

        [TestMethod]
        public void StateFileRoundTripsAndUnreadableStateIsNull()
        {
            using var dir = new TempDir();
            var state = new StateFile("stamp", "default.pgo", InlineHotSha, "PGO: summary");
            string path = dir.Write("profile.state", state.ToBytes());
            string bad = dir.Write("bad.state", Encoding.UTF8.GetBytes("something else\n"));

            var back = StateFile.TryRead(path);

            Assert.IsNotNull(back);
            Assert.IsTrue(back.Matches("stamp"));
            Assert.IsFalse(back.Matches("stamp2"));
            Assert.AreEqual("default.pgo", back.ProfileFileName);
            Assert.AreEqual(InlineHotSha, back.ProfileSha256);
            Assert.AreEqual("PGO: summary", back.Summary);
            Assert.IsNull(StateFile.TryRead(bad));
            Assert.IsNull(StateFile.TryRead(dir.Combine("missing.state")));
        }

        [TestMethod]
        public void SettingsKeyHasTheEngineVersionAndTheExactThreshold()
        {
            var request = new PgoRequest("/p", "/o", "/c") { HotCallsiteThreshold = 90.5 };

            Assert.AreEqual(GraphCache.EngineVersion + ";threshold=90.5", request.SettingsKey);
            Assert.AreEqual(99.0, new PgoRequest("/p", "/o", "/c").HotCallsiteThreshold);
        }
    }
}
