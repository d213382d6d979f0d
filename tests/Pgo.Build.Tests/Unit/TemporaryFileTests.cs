using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Caching;
using Pgo.Build.Engine;
using Pgo.Build.Hints;
using Pgo.Build.IO;

namespace Pgo.Build.Tests.Unit
{
    /// <summary>Temporary files of interrupted atomic writes: named by their writer, swept once it is gone, never under a live one.</summary>
    [TestClass]
    public sealed class TemporaryFileTests
    {
        private static readonly Regex OurName = new Regex(@"^(?<file>.+)\.pgo-(?<pid>\d+)-(?<host>[0-9a-f]{8})-[0-9a-f]{8}\.tmp$");

        /// <summary>The id of a process that ran and is gone.</summary>
        internal static int DeadProcessId()
        {
            using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
            process.WaitForExit();
            return process.Id;
        }

        /// <summary>A temporary file as a killed writer with <paramref name="pid"/> leaves it beside <paramref name="path"/> (this machine unless <paramref name="host"/>).</summary>
        internal static string LeftBehind(string path, int pid, string? host = null)
        {
            var own = OurName.Match(Path.GetFileName(AtomicFile.TemporaryPathFor(path)));
            string name = $"{Path.GetFileName(path)}.pgo-{pid}-{host ?? own.Groups["host"].Value}-0123abcd.tmp";
            string temp = Path.Combine(Path.GetDirectoryName(path)!, name);
            File.WriteAllText(temp, "half a fi");
            return temp;
        }

        [TestMethod]
        public void TemporaryNameNamesThisProcessAndMachine()
        {
            var match = OurName.Match(Path.GetFileName(AtomicFile.TemporaryPathFor("/x/hot-functions.txt")));

            Assert.IsTrue(match.Success);
            Assert.AreEqual("hot-functions.txt", match.Groups["file"].Value);
            Assert.AreEqual(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), match.Groups["pid"].Value);
            Assert.AreEqual(Sha256Hex.Of(Environment.MachineName).Substring(0, 8), match.Groups["host"].Value);
        }

        [TestMethod]
        public void SweepRemovesWhatGoneWritersLeftAndKeepsLiveWritersAndOtherFiles()
        {
            using var dir = new TempDir();
            string entry = dir.Combine("x.graph");
            int dead = DeadProcessId();
            string ofDeadProcess = LeftBehind(entry, dead);
            string ofThisProcess = LeftBehind(entry, Environment.ProcessId);
            string ofOtherMachine = LeftBehind(entry, dead, "00000000");
            string ofOtherMachineLongAgo = LeftBehind(dir.Combine("y.graph"), dead, "00000000");
            File.SetLastWriteTimeUtc(ofOtherMachineLongAgo, DateTime.UtcNow - AtomicFile.AbandonedAfter - TimeSpan.FromMinutes(1));
            string legacyFresh = dir.Write("z.graph.0123456789ab.tmp", new byte[] { 1 });
            string legacyOld = dir.Write("w.graph.ba9876543210.tmp", new byte[] { 1 });
            File.SetLastWriteTimeUtc(legacyOld, DateTime.UtcNow - AtomicFile.AbandonedAfter - TimeSpan.FromMinutes(1));
            string notOurs = dir.Write("someone-else.tmp", new byte[] { 1 });
            File.SetLastWriteTimeUtc(notOurs, DateTime.UtcNow.AddDays(-30));

            int removed = AtomicFile.SweepTemporaryFiles(dir.Path);

            Assert.AreEqual(3, removed);
            Assert.IsFalse(File.Exists(ofDeadProcess), "a writer that is gone");
            Assert.IsFalse(File.Exists(ofOtherMachineLongAgo), "another machine's, abandoned for over an hour");
            Assert.IsFalse(File.Exists(legacyOld), "an earlier version's, abandoned for over an hour");
            Assert.IsTrue(File.Exists(ofThisProcess), "a live writer's (this process)");
            Assert.IsTrue(File.Exists(ofOtherMachine), "another machine's writer may be alive");
            Assert.IsTrue(File.Exists(legacyFresh), "an earlier version's writer may be alive");
            Assert.IsTrue(File.Exists(notOurs), "not ours");
            Assert.AreEqual(0, AtomicFile.SweepTemporaryFiles(dir.Combine("missing")));
        }

        [TestMethod]
        public void SweepWithANamePrefixTouchesOnlyThoseFiles()
        {
            using var dir = new TempDir();
            int dead = DeadProcessId();
            string assemblyTemp = LeftBehind(dir.Combine("App.dll"), dead);
            string otherTemp = LeftBehind(dir.Combine("Other.dll"), dead);

            Assert.AreEqual(1, AtomicFile.SweepTemporaryFiles(dir.Path, "App.dll."));

            Assert.IsFalse(File.Exists(assemblyTemp));
            Assert.IsTrue(File.Exists(otherTemp));
        }

        /// <summary>A killed build left temporary files in the hint directory and the cache: the next run removes them and says so.</summary>
        [TestMethod]
        public void NextRunSweepsTheHintDirectoryAndTheCacheAndLogsIt()
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.InlineHot, "default.pgo");
            var request = new PgoRequest(profile, dir.Combine("out"), dir.Combine("cache"));
            PgoEngine.RunIncremental(request, new RecordingLog());
            var cache = new GraphCache(request.CacheDirectory);
            int dead = DeadProcessId();
            LeftBehind(dir.Combine("out", HintFileNames.InlineHints), dead);
            LeftBehind(dir.Combine("out", "App.0123456789abcdef.mibc"), dead);
            LeftBehind(cache.PathFor(new string('a', 64)), dead);
            File.Delete(dir.Combine("out", HintFileNames.State)); // the kill came before the state was written

            var log = new RecordingLog();
            var outcome = PgoEngine.RunIncremental(request, log);

            Assert.IsFalse(outcome.UpToDate);
            CollectionAssert.AreEqual(new[]
            {
                $"PGO: removed 2 temporary files of an interrupted write in {dir.Combine("out")}.",
                $"PGO: removed 1 temporary file of an interrupted write in {cache.GraphsDirectory}.",
            }, log.Messages.Where(m => m.Contains("temporary", StringComparison.Ordinal)).ToArray());
            Assert.AreEqual(0, Directory.GetFiles(dir.Combine("out"), "*.tmp").Length);
            Assert.AreEqual(0, Directory.GetFiles(cache.GraphsDirectory, "*.tmp").Length);

            // Up to date: the hint directory is still swept (the .mibc and inlining steps write there after the hint step).
            LeftBehind(dir.Combine("out", "App.0123456789abcdef.mibc"), dead);
            var upToDate = PgoEngine.RunIncremental(request, new RecordingLog());
            Assert.IsTrue(upToDate.UpToDate);
            Assert.AreEqual(0, Directory.GetFiles(dir.Combine("out"), "*.tmp").Length);
        }

        /// <summary>
        /// Eight writers storing the same entry while another thread keeps sweeping the directory: no writer fails,
        /// no temporary file is left, the entry reads back. (The build-level version with 8 processes is in
        /// PressureTests and bench/pressure.sh.)
        /// </summary>
        [TestMethod]
        public void ConcurrentWritersAndSweepsNeverBreakAWrite()
        {
            using var dir = new TempDir();
            string profile = dir.Copy(TestData.InlineHot, "default.pgo");
            var cache = new GraphCache(dir.Combine("cache"));
            var (expected, sha, _) = PgoEngine.PreprocessProfile(profile, null, new RecordingLog(), Pgo.Build.Profiles.ProfileLimits.Default, CancellationToken.None);
            Directory.CreateDirectory(cache.GraphsDirectory);
            using var stop = new CancellationTokenSource();
            using var sweeping = new ManualResetEventSlim();
            // Its own thread, and the writers start once it has swept: on a busy 2-core machine a pool task could
            // otherwise start only after the writers are done.
            var sweeper = Task.Factory.StartNew(() =>
            {
                int sweeps = 0;
                while (!stop.IsCancellationRequested)
                {
                    cache.SweepTemporaryFiles();
                    sweeps++;
                    sweeping.Set();
                }

                return sweeps;
            }, TaskCreationOptions.LongRunning);
            Assert.IsTrue(sweeping.Wait(TimeSpan.FromMinutes(1)), "the sweeper never ran");

            Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
            {
                for (int i = 0; i < 50; i++)
                {
                    cache.Store(sha, "", expected);
                }
            });
            stop.Cancel();

            Assert.IsTrue(sweeper.Result > 0);
            Assert.IsTrue(cache.TryLoad(sha, "", out var back));
            Assert.AreEqual(string.Join(";", expected.Graph.Edges), string.Join(";", back.Graph.Edges));
            CollectionAssert.AreEqual(new[] { cache.PathFor(sha) }, Directory.GetFiles(cache.GraphsDirectory));
        }
    }
}
