using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.CallGraph;
using Pgo.Build.Engine;
using Pgo.Build.Profiles;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Tool
{
    /// <summary><c>pgo top</c> run in process: its report, its agreement with the build, and its exit codes.</summary>
    [TestClass]
    public sealed class TopTests
    {
        private const string ProfilePlaceholder = "<profile>";

        internal static (int Code, string Out, string Err) Pgo(params string[] args)
        {
            var stdout = new StringWriter { NewLine = "\n" };
            var stderr = new StringWriter { NewLine = "\n" };
            int code = global::Pgo.Tool.Program.Run(args, stdout, stderr);
            return (code, stdout.ToString(), stderr.ToString());
        }

        private static string Top(params string[] args)
        {
            var (code, output, err) = Pgo(new[] { "top" }.Concat(args).ToArray());
            Assert.AreEqual(0, code, err);
            Assert.AreEqual("", err);
            return output;
        }

        private static string[] Lines(string text) => text.TrimEnd('\n').Split('\n');

        /// <summary>The rows of the table whose title starts with <paramref name="title"/> (after its column header).</summary>
        private static string[] Table(string output, string title)
        {
            var lines = Lines(output);
            int start = Array.FindIndex(lines, l => l.StartsWith(title, StringComparison.Ordinal));
            Assert.IsTrue(start >= 0, "no table " + title + " in\n" + output);
            return lines.Skip(start + 2).TakeWhile(l => l.Length > 0).ToArray();
        }

        [TestMethod]
        public void Inline_hot_report_matches_the_golden_file()
        {
            string output = Top(TestData.InlineHot, "--no-cache");

            StringAssert.Contains(output, TestData.InlineHot);
            Golden.Verify("inline_hot.top", output.Replace(TestData.InlineHot, ProfilePlaceholder));
        }

        [TestMethod]
        public void Devirt_report_matches_the_golden_file()
        {
            string output = Top(TestData.Devirt, "--no-cache");

            StringAssert.Contains(output, TestData.Devirt);
            Golden.Verify("devirt.top", output.Replace(TestData.Devirt, ProfilePlaceholder));
        }

        /// <summary>Every real .NET profile in the test data: decoded, names parsed (dialect and share), hot sets.</summary>
        [TestMethod]
        [DataRow("pyroscope__dotnet-pprof-3.pb.gz")]
        [DataRow("pyroscope__dotnet-pprof-73.pb.gz")]
        [DataRow("pyroscope__dotnet-pprof-211.pb.gz")]
        [DataRow("pyroscope__dotnet.labels.pprof")]
        public void Real_dotnet_profile_reports_match_the_golden_files(string file)
        {
            string path = TestData.Path_("dotnet", "profiles", file);
            string output = Top(path, "--no-cache", "-n", "12");

            StringAssert.Contains(output, "Frame names: Pyroscope; ");
            Golden.Verify("dotnet." + file.Replace("pyroscope__", "").Replace(".pb.gz", "").Replace(".pprof", "") + ".top", output.Replace(path, ProfilePlaceholder));
        }

        [TestMethod]
        [DataRow("inline/inline_hot.pprof", 99.0)]
        [DataRow("inline/inline_hot.pprof", 90.0)]
        [DataRow("devirtualize/devirt.pprof", 99.0)]
        [DataRow("devirtualize/devirt.pprof", 50.0)]
        public void First_line_is_the_engine_summary_for_the_same_threshold(string profile, double threshold)
        {
            string path = TestData.Go(TestData.GoPgoTestData + "/" + profile);
            string output = Top(path, "--no-cache", "--threshold", threshold.ToString(CultureInfo.InvariantCulture));

            var (graph, sha, cacheHit) = PgoEngine.Preprocess(path, null, new RecordingLog(), ProfileLimits.Default, default);
            string expected = PgoEngine.Summarize(path, sha, graph,
                HotSelection.HotCallSites(graph, threshold).Count, HotSelection.HotFunctions(graph, threshold).Count);

            Assert.IsFalse(cacheHit);
            Assert.AreEqual(expected, Lines(output)[0]);
        }

        [TestMethod]
        public void First_line_is_the_summary_a_build_logs()
        {
            using var dir = new TempDir();
            var request = new PgoRequest(TestData.InlineHot, dir.Combine("obj", "pgo"), dir.Combine("cache"));

            var result = PgoEngine.Run(request, new RecordingLog());
            string output = Top(TestData.InlineHot, "--no-cache");

            Assert.AreEqual(result.Summary, Lines(output)[0]);
            StringAssert.StartsWith(result.Summary, "PGO: " + TestData.InlineHot + " (sha256 ");
        }

        [TestMethod]
        public void Recorded_profile_first_line_is_the_build_summary_with_its_runtime_records()
        {
            string path = Path.Combine(TestData.RepoRoot, "samples", "ConsoleApp", "default.pgo");
            using var dir = new TempDir();
            var result = PgoEngine.Run(new PgoRequest(path, dir.Combine("obj", "pgo"), dir.Combine("cache")), new RecordingLog());

            string output = Top(path, "--no-cache", "-n", "3");

            Assert.AreEqual(result.Summary, Lines(output)[0]);
            StringAssert.Matches(Lines(output)[0], new System.Text.RegularExpressions.Regex(@", [\d,]+ runtime PGO records$"));
            var histograms = Table(output, "Recorded call-site histograms");
            Assert.AreEqual(3, histograms.Length, output);
            StringAssert.Contains(output, "Recorded call-site histograms (3 of ");
        }

        [TestMethod]
        public void Go_profiles_have_no_recorded_histogram_section()
        {
            StringAssert.DoesNotMatch(Top(TestData.Devirt, "--no-cache"), new System.Text.RegularExpressions.Regex("Recorded call-site"));
        }

        [TestMethod]
        public void Threshold_90_on_inline_hot_lists_exactly_the_edge_go_inlines()
        {
            string output = Top(TestData.InlineHot, "--no-cache", "--threshold", "90");

            var rows = Table(output, "Hot call sites");
            Assert.AreEqual(1, rows.Length, output);
            var cells = rows[0].Split(new[] { ' ' }, 4, StringSplitOptions.RemoveEmptyEntries);
            Assert.AreEqual("129", cells[0]);
            Assert.AreEqual("example.com/pgo/inline.A +7 -> example.com/pgo/inline.(*BS).NS", cells[3]);
            StringAssert.Contains(output, "Hot call sites (1 of 1 hot, 4 edges;");
            StringAssert.Contains(Lines(output)[1], "threshold 90%");
            StringAssert.Contains(Lines(output)[0], ": 37 samples, 4 edges, 1 hot call sites, ");
        }

        [TestMethod]
        public void Default_threshold_on_inline_hot_takes_the_edge_that_crosses_99_percent()
        {
            string output = Top(TestData.InlineHot, "--no-cache");

            var weights = Table(output, "Hot call sites").Select(r => r.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries)[0]).ToArray();
            CollectionAssert.AreEqual(new[] { "129", "3", "2" }, weights);
        }

        [TestMethod]
        public void Count_limits_both_tables_and_zero_shows_all()
        {
            string one = Top(TestData.Devirt, "--no-cache", "-n", "1");
            Assert.AreEqual(1, Table(one, "Hottest functions").Length);
            Assert.AreEqual(1, Table(one, "Hot call sites").Length);
            StringAssert.Contains(one, "Hottest functions (1 of 20, by flat weight):");
            StringAssert.Contains(one, "Hot call sites (1 of 15 hot, 17 edges;");

            string all = Top(TestData.Devirt, "--no-cache", "--count=0");
            Assert.AreEqual(20, Table(all, "Hottest functions").Length);
            Assert.AreEqual(15, Table(all, "Hot call sites").Length);

            string some = Top(TestData.Devirt, "--no-cache", "--count", "5");
            Assert.AreEqual(5, Table(some, "Hottest functions").Length);
            CollectionAssert.AreEqual(Table(all, "Hot call sites").Take(5).ToArray(), Table(some, "Hot call sites"));
        }

        [TestMethod]
        [DataRow("inline/inline_hot.pprof")]
        [DataRow("devirtualize/devirt.pprof")]
        public void Columns_stay_aligned_under_their_headers_even_at_100_percent(string profile)
        {
            string output = Top(TestData.Go(TestData.GoPgoTestData + "/" + profile), "--no-cache", "-n", "0");

            var lines = Lines(output);
            AssertAligned(lines.Single(l => l.TrimStart().StartsWith("flat ", StringComparison.Ordinal)), Table(output, "Hottest functions"), "function");
            AssertAligned(lines.Single(l => l.TrimStart().StartsWith("weight ", StringComparison.Ordinal)), Table(output, "Hot call sites"), "call site");
            StringAssert.Contains(output, "100.00%", "the case that must not shift the columns");
        }

        /// <summary>Right-aligned columns end where their header label ends; the last column starts where its label starts.</summary>
        private static void AssertAligned(string header, string[] rows, string lastLabel)
        {
            int last = header.IndexOf(lastLabel, StringComparison.Ordinal);
            int hot = header.IndexOf(" hot ", StringComparison.Ordinal); // a left-aligned '*' marker column
            var ends = new List<int>();
            for (int i = 1; i < (hot >= 0 ? hot + 1 : last); i++)
            {
                if (header[i] == ' ' && header[i - 1] != ' ')
                {
                    ends.Add(i);
                }
            }

            Assert.IsTrue(ends.Count >= 3, header);
            foreach (var row in rows)
            {
                foreach (int end in ends)
                {
                    Assert.IsTrue(row[end - 1] != ' ' && row[end] == ' ', $"column ending at {end} misaligned:\n{header}\n{row}");
                }

                Assert.IsTrue(row[last - 1] == ' ' && row[last] != ' ', $"last column misaligned:\n{header}\n{row}");
                if (hot >= 0)
                {
                    Assert.IsTrue(row[hot + 1] == '*' || row[hot + 1] == ' ', $"hot marker misaligned:\n{header}\n{row}");
                }
            }
        }

        [TestMethod]
        public void Report_numbers_are_invariant_whatever_the_current_culture()
        {
            string invariant = Top(TestData.GoCompilerProfile, "--no-cache", "-n", "3");
            var saved = CultureInfo.CurrentCulture;
            string german;
            try
            {
                CultureInfo.CurrentCulture = new CultureInfo("de-DE");
                german = Top(TestData.GoCompilerProfile, "--no-cache", "-n", "3");
            }
            finally
            {
                CultureInfo.CurrentCulture = saved;
            }

            Assert.AreEqual(invariant, german);
            StringAssert.Contains(invariant, "Hottest functions (3 of ");
            StringAssert.Matches(invariant, new System.Text.RegularExpressions.Regex(@"Hottest functions \(3 of \d{1,3}(,\d{3})+, by flat weight\)"),
                "the Go compiler's profile has thousands of functions: a grouped count");
        }

        [TestMethod]
        public void Usage_errors_exit_2_and_point_to_help()
        {
            var cases = new[]
            {
                (new[] { "top" }, "give exactly one profile"),
                (new[] { "top", TestData.InlineHot, TestData.Devirt }, "give exactly one profile"),
                (new[] { "top", TestData.InlineHot, "-n", "many" }, "invalid count 'many'"),
                (new[] { "top", TestData.InlineHot, "-n", "-1" }, "invalid count '-1'"),
                (new[] { "top", TestData.InlineHot, "--threshold", "0" }, "invalid threshold '0': expected a percentage greater than 0 and at most 100"),
                (new[] { "top", TestData.InlineHot, "--threshold", "101" }, "invalid threshold '101': expected a percentage greater than 0 and at most 100"),
                (new[] { "top", TestData.InlineHot, "--threshold", "high" }, "invalid threshold 'high': expected a percentage greater than 0 and at most 100"),
                (new[] { "top", TestData.InlineHot, "--threshold=" }, "invalid threshold '': expected a percentage greater than 0 and at most 100"),
                (new[] { "top", TestData.InlineHot, "--threshold" }, "option --threshold needs a value"),
                (new[] { "top", TestData.InlineHot, "-n", "1", "-n", "2" }, "option --count given more than once"),
                (new[] { "top", TestData.InlineHot, "--bogus" }, "unknown option --bogus"),
            };
            foreach (var (args, message) in cases)
            {
                var (code, output, err) = Pgo(args);

                string what = string.Join(" ", args);
                Assert.AreEqual(2, code, what);
                Assert.AreEqual("", output, what);
                Assert.AreEqual($"pgo top: {message}\nRun 'pgo top --help' for usage.\n", err, what);
            }
        }

        [TestMethod]
        public void Missing_profile_exits_1_with_pgo001()
        {
            using var dir = new TempDir();
            string missing = dir.Combine("missing.pprof");

            var (code, output, err) = Pgo("top", missing, "--no-cache");

            Assert.AreEqual(1, code);
            Assert.AreEqual("", output);
            StringAssert.StartsWith(err, "pgo top: PGO001: ");
            StringAssert.Contains(err, missing);
            Assert.IsFalse(err.Contains("--help", StringComparison.Ordinal), "not a usage error");
        }

        [TestMethod]
        public void Unreadable_profile_exits_1_with_pgo002()
        {
            using var dir = new TempDir();
            string text = dir.Write("notes.pprof", Encoding.UTF8.GetBytes("not a profile at all\n"));

            var (code, output, err) = Pgo("top", text, "--no-cache");

            Assert.AreEqual(1, code);
            Assert.AreEqual("", output);
            StringAssert.StartsWith(err, "pgo top: PGO002: ");
            StringAssert.Contains(err, text);
        }

        [TestMethod]
        public void Help_exits_0()
        {
            var (code, output, err) = Pgo("--help");
            Assert.AreEqual(0, code);
            Assert.AreEqual("", err);
            StringAssert.Contains(output, "Usage: pgo <command> [options]");
            StringAssert.Contains(output, "  top      show the hottest functions");
            StringAssert.Contains(output, "  merge    ");
            StringAssert.Contains(output, "  record   ");

            foreach (var help in new[] { "--help", "-h", "-?" })
            {
                (code, output, err) = Pgo("top", help);
                Assert.AreEqual(0, code, help);
                Assert.AreEqual("", err, help);
                StringAssert.StartsWith(output, "Usage: pgo top <profile>", help);
                StringAssert.Contains(output, "--threshold <pct>", help);
            }
        }

        [TestMethod]
        public void No_arguments_exit_2_with_the_usage_on_stderr()
        {
            var (code, output, err) = Pgo();

            Assert.AreEqual(2, code);
            Assert.AreEqual("", output);
            StringAssert.Contains(err, "Usage: pgo <command> [options]");
        }

        [TestMethod]
        public void Unknown_command_exits_2()
        {
            var (code, output, err) = Pgo("frobnicate", TestData.InlineHot);

            Assert.AreEqual(2, code);
            Assert.AreEqual("", output);
            StringAssert.StartsWith(err, "pgo: unknown command 'frobnicate'\n");
            StringAssert.Contains(err, "Usage: pgo <command> [options]");
        }

        [TestMethod]
        public void Version_exits_0()
        {
            var (code, output, err) = Pgo("--version");

            Assert.AreEqual(0, code);
            Assert.AreEqual("", err);
            StringAssert.Matches(output, new System.Text.RegularExpressions.Regex(@"^pgo \d+\.\d+\.\d+\S*\n$"));
        }
    
        [TestMethod]
        public void Assembly_option_shows_what_a_build_would_do_with_the_recording()
        {
            var r = RecordedFixture.Get();

            var (code, output, err) = Pgo("top", r.ProfilePath, "--no-cache", "--assembly", r.Assembly);

            Assert.AreEqual(0, code, err);
            StringAssert.Contains(output, "What a build of RecordTarget (" + r.Assembly + ") would do:");
            StringAssert.Contains(output, "  .mibc: ");
            StringAssert.Contains(output, "0 changed since recording");
            StringAssert.Matches(output, new System.Text.RegularExpressions.Regex(@"devirtualize RecordTarget\.Program\.Sum \+\d+ \(IL_[0-9a-f]{4}\) -> RecordTarget\.Square \(\d+% of \d+ slots\)"));
            StringAssert.Contains(output, "  inlining: AggressiveInlining on ");
            StringAssert.Contains(output, "  LINQ (NativeAOT publish): size-optimized LINQ kept (NativeAOT's default): no hot function of System.Linq.Enumerable in the profile.");
        }

        /// <summary>A profile without runtime data (Pyroscope's names): the report shows the sampled-edge receiver types a build would write.</summary>
        [TestMethod]
        public void Assembly_option_lists_the_foreach_loops_a_build_would_rewrite()
        {
            var r = Rewriting.DelegateFixture.Get();

            var (code, output, err) = Pgo("top", r.ProfilePath, "--no-cache", "--assembly", r.Assembly);

            Assert.AreEqual(0, code, err);
            StringAssert.Contains(output, "  foreach: foreach over interfaces: 7 of 7 recorded loops enumerate a List<T> or T[] without allocating (6 List<T>, 1 T[], 0 kept from the recorded build's rewrite; 3 in methods whose later IL offsets move");
            StringAssert.Contains(output, "    enumerate DelegateTarget.Sequences.Total IL_0012: List<T> (100% of the recorded receivers)");
            StringAssert.Contains(output, "    enumerate DelegateTarget.Sequences.Names IL_000a: T[] (100% of the recorded receivers)");
        }

        [TestMethod]
        public void Assembly_option_shows_receiver_types_from_sampled_edges()
        {
            var r = RecordedFixture.Get();
            var b = PprofBuilder.Cpu();
            ulong sum = b.Function("RecordTarget!Program.Sum", 0, "RecordTarget");
            ulong square = b.Function("RecordTarget!Square.Area", 0, "RecordTarget");
            ulong circle = b.Function("RecordTarget!Circle.Area", 0, "RecordTarget");
            ulong main = b.Function("RecordTarget!Program.Main", 0, "RecordTarget");
            ulong lsum = b.Location(0, (sum, 0)), lmain = b.Location(0, (main, 0));
            b.Sample(new long[] { 90, 900 }, b.Location(0, (square, 0)), lsum, lmain);
            b.Sample(new long[] { 10, 100 }, b.Location(0, (circle, 0)), lsum, lmain);
            ulong linq = b.Function("System.Linq!Enumerable.Sum<TSource>", 0, "System.Linq");
            b.Sample(new long[] { 30, 300 }, b.Location(0, (linq, 0)));
            using var dir = new TempDir();
            string profile = dir.Write("pyroscope.pprof", b.ToBytes());

            var (code, output, err) = Pgo("top", profile, "--no-cache", "--assembly", r.Assembly);

            Assert.AreEqual(0, code, err);
            StringAssert.Contains(output, "; 1 receiver-type histograms from 2 sampled call edges to overrides (0 edges skipped: more than one call site could take them); written: 1 methods");
            StringAssert.Matches(output, new System.Text.RegularExpressions.Regex(@"devirtualize RecordTarget\.Program\.Sum \+\d+ \(IL_[0-9a-f]{4}\) -> RecordTarget\.Square \(91% of 32 slots\)"));
            StringAssert.Contains(output, "  LINQ (NativeAOT publish): speed-optimized LINQ for ILC (System.Linq.Enumerable.IsSizeOptimized=false, the variant the recording ran): 1 hot function of System.Linq.Enumerable in the profile (23.1% of its CPU samples, flat; hottest System.Linq!Enumerable.Sum<TSource>)");
        }

        [TestMethod]
        public void Project_option_needs_a_built_project()
        {
            var r = RecordedFixture.Get();
            string project = System.IO.Path.Combine(r.Root, "RecordTarget", "RecordTarget.csproj"); // built with -o out, so its TargetPath is absent

            var (code, _, err) = Pgo("top", r.ProfilePath, "--no-cache", "--project", project, "-c", "Release");

            Assert.AreEqual(1, code, err);
            StringAssert.Contains(err, "build the project first");
        }
    }
}
