using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Caching;
using Pgo.Build.IO;
using Pgo.Build.Profiles;
using Pgo.Build.Tests.Tool;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.EndToEnd
{
    /// <summary>
    /// Builds under pressure: an incremental matrix, builds killed during the PGO step, damaged cache entries, a
    /// read-only cache and eight projects building in parallel. After every step the hint files, the .mibc, the
    /// assembly's <c>Pgo.ProfileSha256</c> (and its bytes) are exactly what a from-scratch build with the same settings
    /// gives (the incremental outputs moved aside, a fresh cache). bench/pressure.sh repeats these at scale (random
    /// kill moments, 8 separate processes, a NativeAOT republish).
    /// </summary>
    [TestClass]
    public sealed class PressureTests
    {
        private const string Configuration = "Release";

        /// <summary>The recorded fixture program as a project of <paramref name="s"/>, in <paramref name="directory"/>, assembly RecordTarget.</summary>
        private static string AddRecordTarget(Scenario s, string directory)
        {
            var project = s.AddProject(directory, extra: "\n  <PropertyGroup><AssemblyName>RecordTarget</AssemblyName></PropertyGroup>");
            File.Copy(RecordedFixture.Get().SourceFile, s.Path_(Path.Combine(directory, "Program.cs")), overwrite: true);
            return project;
        }

        /// <summary>The recording merged with itself: every count doubled, another profile of the same program.</summary>
        private static byte[] Doubled(string profile)
        {
            var decoded = ProfileDecoder.Decode(File.ReadAllBytes(profile));
            return ProfileEncoder.Encode(ProfileMerger.Merge(new[] { ("a", decoded), ("b", decoded) }).Profile);
        }

        private sealed class Project
        {
            private readonly Dictionary<string, PgoSnapshot> _references = new Dictionary<string, PgoSnapshot>(StringComparer.Ordinal);

            public Project(Scenario s, string directory, string csproj)
            {
                S = s;
                Directory_ = s.Path_(directory);
                Csproj = csproj;
            }

            public Scenario S { get; }
            public string Directory_ { get; }
            public string Csproj { get; }
            public string PgoDirectory => Path.Combine(Directory_, "obj", Configuration, "net10.0", "pgo");
            public string Assembly => Path.Combine(Directory_, "bin", Configuration, "net10.0", "RecordTarget.dll");
            public int FromScratchBuilds { get; private set; }

            public PgoSnapshot Snapshot() => PgoSnapshot.Take(Directory_, PgoDirectory, Assembly, Path.Combine(Directory_, "obj"), S.CacheDirectory);

            public CommandResult Build(params string[] settings)
            {
                var result = S.Build(Csproj, new[] { "-c", Configuration }.Concat(settings).ToArray());
                Scenario.AssertSucceeded(result);
                return result;
            }

            /// <summary>
            /// What a from-scratch build with these settings gives: obj/ and bin/ moved aside, a fresh cache, one build,
            /// everything put back. Remembered per settings, profile bytes and source.
            /// </summary>
            public PgoSnapshot FromScratch(string[] settings, string profileInEffect)
            {
                string key = string.Join(" ", settings) + "|" + (File.Exists(profileInEffect) ? Sha256Hex.Of(File.ReadAllBytes(profileInEffect)) : "-") +
                    "|" + Sha256Hex.Of(File.ReadAllBytes(Path.Combine(Directory_, "Program.cs")));
                if (_references.TryGetValue(key, out var known))
                {
                    return known;
                }

                // Aside outside the project directory (the compiler's default globs would take the .cs files of a moved obj/).
                string obj = Path.Combine(Directory_, "obj"), bin = Path.Combine(Directory_, "bin");
                string aside = Path.Combine(S.Root, "aside", Path.GetFileName(Directory_));
                Directory.CreateDirectory(aside);
                string cache = S.CacheDirectory;
                MoveIfPresent(obj, Path.Combine(aside, "obj"));
                MoveIfPresent(bin, Path.Combine(aside, "bin"));
                S.CacheDirectory = cache + "-scratch-" + _references.Count;
                try
                {
                    Build(settings);
                    FromScratchBuilds++;
                    var snapshot = Snapshot();
                    _references[key] = snapshot;
                    return snapshot;
                }
                finally
                {
                    Directory.Delete(obj, recursive: true);
                    Directory.Delete(bin, recursive: true);
                    MoveIfPresent(Path.Combine(aside, "obj"), obj);
                    MoveIfPresent(Path.Combine(aside, "bin"), bin);
                    S.CacheDirectory = cache;
                }
            }

            private static void MoveIfPresent(string from, string to)
            {
                if (Directory.Exists(from))
                {
                    Directory.Move(from, to);
                }
            }

            /// <summary>Builds incrementally, then asserts the outputs equal a from-scratch build's and name the profile bytes in effect.</summary>
            public CommandResult Step(string step, string[] settings, string profileInEffect)
            {
                var result = Build(settings);
                var actual = Snapshot();
                PgoSnapshot.AssertSame(FromScratch(settings, profileInEffect), actual, step, log: PgoLines(result));
                string? expectedSha = File.Exists(profileInEffect) ? Sha256Hex.Of(File.ReadAllBytes(profileInEffect)) : null;
                Assert.AreEqual(expectedSha, actual.ProfileSha256, step + ": Pgo.ProfileSha256 must name the bytes in effect");
                return result;
            }
        }

        private static string PgoLines(CommandResult result) =>
            string.Join("\n", result.Output.Split('\n').Where(l => l.Contains("PGO", StringComparison.Ordinal)));

        /// <summary>
        /// auto -> off -> path -> auto, profile bytes replaced, the same bytes at another path, a link whose target is
        /// rewritten in place, damaged cache entries (a byte flipped inside a name, a changed number), source edited,
        /// clean: after every step exactly what a from-scratch build gives.
        /// </summary>
        [TestMethod]
        public void Incremental_matrix_matches_a_from_scratch_build_after_every_step()
        {
            var r = RecordedFixture.Get();
            var s = Scenario.Create("pressure-matrix");
            var p = new Project(s, "RecordTarget", AddRecordTarget(s, "RecordTarget"));
            string defaultPgo = s.Path_("RecordTarget/default.pgo");
            string profileA = s.Copy(r.ProfilePath, "profiles/a.pprof");
            string profileB = s.Path_("profiles/b.pprof");
            File.WriteAllBytes(profileB, Doubled(r.ProfilePath));
            string elsewhere = s.Path_("elsewhere/same-as-b.pprof");
            Directory.CreateDirectory(Path.GetDirectoryName(elsewhere)!);
            File.WriteAllBytes(elsewhere, File.ReadAllBytes(profileB));
            string none = s.Path_("none");
            File.WriteAllBytes(defaultPgo, File.ReadAllBytes(profileA));

            StringAssert.Contains(p.Step("1 auto", new string[0], defaultPgo).Output, "(cache miss: profile decoded)");
            Assert.IsTrue(p.Snapshot().Files.Keys.Any(f => f.EndsWith(".mibc", StringComparison.Ordinal)), "the matrix must cover a .mibc: " + p.Snapshot());
            p.Step("2 off", new[] { "-p:Pgo=off" }, none);
            p.Step("3 path", new[] { "-p:Pgo=" + profileB }, profileB);
            StringAssert.Contains(p.Step("4 auto again", new string[0], defaultPgo).Output, "(cache hit)");

            File.WriteAllBytes(defaultPgo, File.ReadAllBytes(profileB));
            p.Step("5 profile bytes replaced", new string[0], defaultPgo);
            StringAssert.Contains(p.Step("6 same bytes at another path", new[] { "-p:Pgo=" + elsewhere }, elsewhere).Output, "(cache hit)");

            // default.pgo becomes a link; its target is then rewritten in place (same path, new bytes).
            string target = s.Copy(profileA, "profiles/linked.pprof");
            File.Delete(defaultPgo);
            File.CreateSymbolicLink(defaultPgo, target);
            p.Step("7 default.pgo a link", new string[0], defaultPgo);
            File.WriteAllBytes(target, File.ReadAllBytes(profileB));
            StringAssert.Contains(p.Step("8 link target rewritten in place", new string[0], defaultPgo).Output, "(cache hit)");

            // Damaged cache entries that still parse: the next run of the hint stage (the profile touched) notices.
            string entry = new GraphCache(s.CacheDirectory).PathFor(Sha256Hex.Of(File.ReadAllBytes(profileB)));
            foreach (var (what, damage) in new (string, Func<string, string>)[]
            {
                ("a byte flipped inside a function name", text => ReplaceFirst(text, "RecordTarget.Program.Run", "RecordTarget.Program.Ruo")),
                ("a changed number", text => ReplaceFirst(text, "\nF\t", "\nF\t9")),
            })
            {
                string good = File.ReadAllText(entry);
                File.WriteAllText(entry, damage(good));
                File.SetLastWriteTimeUtc(target, DateTime.UtcNow.AddSeconds(-30));
                var damaged = p.Step("9 cache entry damaged: " + what, new string[0], defaultPgo);
                StringAssert.Contains(damaged.Output, "(cache miss: damaged entry replaced, profile decoded)", what);
                StringAssert.Contains(damaged.Output, "was damaged (checksum mismatch: the entry changed after it was written); the profile was decoded again and the entry rewritten.", what);
                Assert.AreEqual(good, File.ReadAllText(entry), what + ": the entry is repaired");
            }

            File.WriteAllText(s.Path_("RecordTarget/Program.cs"), File.ReadAllText(r.SourceFile).Replace("public static double Half(double value) => value * 0.5;", "public static double Half(double value) => value / 2.0;"));
            p.Step("10 source edited", new string[0], defaultPgo);

            Scenario.AssertSucceeded(s.Dotnet("clean", p.Csproj, new[] { "-c", Configuration }));
            Assert.AreEqual(0, Directory.Exists(p.PgoDirectory) ? Directory.GetFiles(p.PgoDirectory).Length : 0, "dotnet clean left files in " + p.PgoDirectory);
            p.Step("11 after clean", new string[0], defaultPgo);
            p.Step("12 off again", new[] { "-p:Pgo=off" }, none);
            Assert.AreEqual(0, Directory.Exists(p.PgoDirectory) ? Directory.GetFiles(p.PgoDirectory).Length : 0);
        }

        private static string ReplaceFirst(string text, string find, string replace)
        {
            int at = text.IndexOf(find, StringComparison.Ordinal);
            Assert.IsTrue(at >= 0, "not in the cache entry: " + find);
            return text.Substring(0, at) + replace + text.Substring(at + find.Length);
        }

        /// <summary>
        /// Builds killed (process tree, SIGKILL) while the PGO step runs, at the start of each PGO task, each time with
        /// a new profile, then built again: exactly a from-scratch build, no temporary file anywhere; a kill also
        /// leaves temporary files that the next build sweeps (shown by one planted the way a kill leaves it).
        /// </summary>
        [TestMethod]
        public void Builds_killed_during_the_pgo_step_then_built_again_match_a_from_scratch_build()
        {
            var r = RecordedFixture.Get();
            var s = Scenario.Create("pressure-kill");
            var p = new Project(s, "RecordTarget", AddRecordTarget(s, "RecordTarget"));
            string defaultPgo = s.Path_("RecordTarget/default.pgo");
            byte[] a = File.ReadAllBytes(r.ProfilePath);
            byte[] b = Doubled(r.ProfilePath);
            Scenario.AssertSucceeded(s.Dotnet("restore", p.Csproj, new string[0]));
            int killed = 0;
            var moments = new[] { "GeneratePgoHints", "WritePgoMibc", "RewritePgoAssembly", "GeneratePgoHints" };
            for (int i = 0; i < moments.Length; i++)
            {
                File.WriteAllBytes(defaultPgo, i % 2 == 0 ? a : b);
                if (i == moments.Length - 1)
                {
                    Directory.Delete(s.CacheDirectory, recursive: true); // cold cache: the kill lands while the profile is decoded
                }

                string task = moments[i];
                var result = s.DotnetKilled("build", p.Csproj, new[] { "-c", Configuration }, line => line.Contains($"Task \"{task}\"", StringComparison.Ordinal), TimeSpan.FromMilliseconds(20 * i));
                killed += result.ExitCode == -1 ? 1 : 0;
                PgoSnapshot.AssertSame(p.FromScratch(new string[0], defaultPgo), Rebuilt(p), $"killed at {task} (+{20 * i} ms), built again", log: result.Output.Length > 4000 ? result.Output.Substring(result.Output.Length - 4000) : result.Output);
            }

            Assert.IsTrue(killed >= 3, $"only {killed} of {moments.Length} builds were killed while running");

            // What a kill inside an atomic write leaves (the moment is too short to hit on purpose): swept by the next build.
            int dead = TemporaryFileTests.DeadProcessId();
            TemporaryFileTests.LeftBehind(Path.Combine(p.PgoDirectory, "inline-hints.txt"), dead);
            TemporaryFileTests.LeftBehind(Path.Combine(s.CacheDirectory, "graphs", new string('a', 64) + ".graph"), dead);
            File.WriteAllBytes(defaultPgo, a);
            var swept = p.Build();
            StringAssert.Contains(swept.Output, "PGO: removed 1 temporary file of an interrupted write in " + p.PgoDirectory);
            StringAssert.Contains(swept.Output, "PGO: removed 1 temporary file of an interrupted write in " + Path.Combine(s.CacheDirectory, "graphs"));
            PgoSnapshot.AssertSame(p.FromScratch(new string[0], defaultPgo), p.Snapshot(), "temporary files planted, built again");

            static PgoSnapshot Rebuilt(Project p)
            {
                p.Build();
                return p.Snapshot();
            }
        }

        /// <summary>A read-only cache directory: PGO102 once per build, the build succeeds with the hints of a from-scratch build.</summary>
        [TestMethod]
        public void Read_only_cache_directory_warns_pgo102_and_the_build_succeeds()
        {
            var r = RecordedFixture.Get();
            var s = Scenario.Create("pressure-readonly");
            var p = new Project(s, "RecordTarget", AddRecordTarget(s, "RecordTarget"));
            string defaultPgo = s.Copy(r.ProfilePath, "RecordTarget/default.pgo");
            var reference = p.FromScratch(new string[0], defaultPgo);
            Directory.CreateDirectory(Path.Combine(s.CacheDirectory, "graphs"));

            CommandResult result;
            using (new ReadOnlyDirectory(s.CacheDirectory))
            {
                result = p.Build();
            }

            // (The console logger prints a warning where it happens and again in the project's summary.)
            var warnings = result.Output.Split('\n').Where(l => l.Contains("warning PGO102: ", StringComparison.Ordinal))
                .Select(l => l.Substring(l.IndexOf("warning PGO102: ", StringComparison.Ordinal)).Trim()).Distinct().ToList();
            Assert.AreEqual(1, warnings.Count, PgoLines(result));
            string warning = warnings[0];
            StringAssert.Contains(warning, $"could not write the PGO cache entry under '{s.CacheDirectory}': ");
            StringAssert.Contains(warning, ". The build goes on; the next build decodes the profile again.");
            Assert.IsFalse(warning.Contains("..", StringComparison.Ordinal), "doubled period: " + warning);
            Assert.AreEqual(0, Directory.GetFileSystemEntries(Path.Combine(s.CacheDirectory, "graphs")).Length);
            PgoSnapshot.AssertSame(reference, p.Snapshot(), "read-only cache");
        }

        /// <summary>
        /// Eight projects in one solution, built in parallel (-m) with one profile and one cold cache directory: every
        /// project gets a from-scratch build's outputs, the cache holds one valid entry and no temporary file.
        /// </summary>
        [TestMethod]
        public void Eight_projects_in_parallel_with_one_profile_and_one_cold_cache()
        {
            var r = RecordedFixture.Get();
            var s = Scenario.Create("pressure-parallel");
            var projects = Enumerable.Range(0, 8).Select(i => new Project(s, "p" + i, AddRecordTarget(s, "p" + i))).ToList();
            string profile = s.Copy(r.ProfilePath, "profiles/shared.pprof");
            Scenario.AssertSucceeded(s.Raw("new", "sln", "-n", "all", "--format", "sln"));
            Scenario.AssertSucceeded(s.Raw(new[] { "sln", "all.sln", "add" }.Concat(projects.Select(x => x.Csproj)).ToArray()));
            string[] settings = { "-p:Pgo=" + profile };

            var result = s.Build("all.sln", new[] { "-c", Configuration, "-m" }.Concat(settings).ToArray());

            Scenario.AssertSucceeded(result);
            Assert.AreEqual(8, Scenario.SummaryLines(result).Length, PgoLines(result));
            var entries = Directory.GetFiles(Path.Combine(s.CacheDirectory, "graphs"));
            Assert.AreEqual(1, entries.Length, string.Join("\n", entries));
            Assert.IsTrue(new GraphCache(s.CacheDirectory).TryLoad(Sha256Hex.Of(File.ReadAllBytes(profile)), "", out _), "the entry reads back with its checksum");
            var reference = projects[0].FromScratch(settings, profile);
            foreach (var p in projects)
            {
                // Other directories: the assembly records other paths (PDB), so only what PGO wrote is compared.
                PgoSnapshot.AssertSame(reference, p.Snapshot(), Path.GetFileName(p.Directory_) + " built with -m", assemblyBytes: p == projects[0], log: PgoLines(result));
            }
        }
    }
}
