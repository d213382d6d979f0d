using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Profiles;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Tool
{
    /// <summary><c>pgo merge</c> run in process on Go's real profiles.</summary>
    [TestClass]
    public sealed class MergeCommandTests
    {
        private static (int Code, string Out, string Err) Pgo(params string[] args) => TopTests.Pgo(args);

        private static long[] Totals(ProfileData p) =>
            Enumerable.Range(0, p.SampleTypes.Count).Select(i => p.Samples.Sum(s => s.Values[i])).ToArray();

        private static ProfileData Load(string path) => ProfileDecoder.Decode(File.ReadAllBytes(path));

        /// <summary>Files in <paramref name="dir"/>, by name: no output and no temporary files after a failure.</summary>
        private static string[] FileNames(TempDir dir) =>
            Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir.Path, f)).OrderBy(f => f, StringComparer.Ordinal).ToArray();

        [TestMethod]
        public void Merging_a_profile_with_itself_doubles_every_total()
        {
            using var dir = new TempDir();
            string output = dir.Combine("merged.pprof");
            var original = Load(TestData.GoCompilerProfile);

            var (code, stdout, err) = Pgo("merge", TestData.GoCompilerProfile, TestData.GoCompilerProfile, "-o", output);

            Assert.AreEqual(0, code, err);
            Assert.AreEqual("", stdout);
            var merged = Load(output);
            CollectionAssert.AreEqual(original.SampleTypes.ToArray(), merged.SampleTypes.ToArray());
            CollectionAssert.AreEqual(Totals(original).Select(t => 2 * t).ToArray(), Totals(merged));
            Assert.IsTrue(Totals(original).All(t => t > 0));
            Assert.AreEqual(original.Samples.Count, merged.Samples.Count, "equal stacks are one sample");
            Assert.AreEqual(2 * original.DurationNanos, merged.DurationNanos);
            StringAssert.Contains(err, "pgo: read " + TestData.GoCompilerProfile + "\n");
            StringAssert.Contains(err, "pgo: wrote " + output + ": 2 inputs, ");
            CollectionAssert.AreEqual(new[] { "merged.pprof" }, FileNames(dir));
        }

        [TestMethod]
        public void Weights_scale_each_input()
        {
            using var dir = new TempDir();
            string output = dir.Combine("weighted.pprof");
            var original = Load(TestData.GoCompilerProfile);

            var (code, _, err) = Pgo("merge", TestData.GoCompilerProfile, TestData.GoCompilerProfile, "--weights", "1,3", "--output", output);

            Assert.AreEqual(0, code, err);
            CollectionAssert.AreEqual(Totals(original).Select(t => 4 * t).ToArray(), Totals(Load(output)));
        }

        [TestMethod]
        public void Weights_of_different_profiles_apply_to_their_own_input()
        {
            using var dir = new TempDir();
            string output = dir.Combine("m.pprof");
            var inline = Load(TestData.InlineHot);
            var devirt = Load(TestData.Devirt);

            var (code, _, err) = Pgo("merge", TestData.InlineHot, TestData.Devirt, "-w", "2,0.5", "-o", output);

            Assert.AreEqual(0, code, err);
            // Each input sample's values are weighted and rounded (halves away from zero), then summed.
            long[] expected = Enumerable.Range(0, inline.SampleTypes.Count)
                .Select(i => inline.Samples.Sum(s => 2 * s.Values[i]) +
                    devirt.Samples.Sum(s => (long)Math.Round(0.5 * s.Values[i], MidpointRounding.AwayFromZero)))
                .ToArray();
            CollectionAssert.AreEqual(expected, Totals(Load(output)));
            Assert.AreNotEqual(Totals(devirt)[0] / 2 + 2 * Totals(inline)[0], expected[0], "precondition: per-sample rounding is visible");
        }

        [TestMethod]
        public void Output_is_gzip()
        {
            using var dir = new TempDir();
            string output = dir.Combine("out.pb.gz");

            var (code, _, err) = Pgo("merge", TestData.InlineHot, "-o", output);

            Assert.AreEqual(0, code, err);
            byte[] bytes = File.ReadAllBytes(output);
            Assert.AreEqual(0x1f, bytes[0]);
            Assert.AreEqual(0x8b, bytes[1]);
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var raw = new MemoryStream();
            gzip.CopyTo(raw);
            Assert.IsTrue(raw.Length > 0);
            CollectionAssert.AreEqual(Totals(Load(TestData.InlineHot)), Totals(ProfileDecoder.Decode(raw.ToArray())), "the gzip holds the profile");
        }

        [TestMethod]
        public void Existing_output_is_replaced()
        {
            using var dir = new TempDir();
            string output = dir.Write("out.pprof", Encoding.UTF8.GetBytes("old content"));

            var (code, _, err) = Pgo("merge", TestData.InlineHot, "-o", output);

            Assert.AreEqual(0, code, err);
            CollectionAssert.AreEqual(Totals(Load(TestData.InlineHot)), Totals(Load(output)));
            CollectionAssert.AreEqual(new[] { "out.pprof" }, FileNames(dir));
        }

        private static void AssertUsageError(TempDir dir, string message, params string[] args)
        {
            var (code, stdout, err) = Pgo(new[] { "merge" }.Concat(args).ToArray());

            Assert.AreEqual(2, code, err);
            Assert.AreEqual("", stdout);
            Assert.AreEqual($"pgo merge: {message}\nRun 'pgo merge --help' for usage.\n", err);
            Assert.AreEqual(0, FileNames(dir).Length, "nothing written: " + string.Join(", ", FileNames(dir)));
        }

        [TestMethod]
        public void Weight_count_must_match_the_inputs()
        {
            using var dir = new TempDir();
            string output = dir.Combine("m.pprof");

            AssertUsageError(dir, "--weights has 3 values for 2 inputs", TestData.InlineHot, TestData.Devirt, "--weights", "1,2,3", "-o", output);
            AssertUsageError(dir, "--weights has 1 values for 2 inputs", TestData.InlineHot, TestData.Devirt, "--weights", "1", "-o", output);
        }

        [TestMethod]
        [DataRow("1,0")]
        [DataRow("1,-2")]
        [DataRow("1,x")]
        [DataRow("1,")]
        [DataRow("1,NaN")]
        [DataRow("1,Infinity")]
        public void Weights_must_be_positive_numbers(string weights)
        {
            using var dir = new TempDir();
            string bad = weights.Split(',')[1];

            AssertUsageError(dir, $"invalid weight '{bad}': a positive number", TestData.InlineHot, TestData.Devirt, "-w", weights, "-o", dir.Combine("m.pprof"));
        }

        [TestMethod]
        public void Output_is_required()
        {
            using var dir = new TempDir();

            AssertUsageError(dir, "give the output file with -o", TestData.InlineHot, TestData.Devirt);
        }

        [TestMethod]
        public void At_least_one_input_is_required()
        {
            using var dir = new TempDir();

            AssertUsageError(dir, "give at least one profile to merge", "-o", dir.Combine("m.pprof"));
        }

        [TestMethod]
        public void Unreadable_input_exits_1_naming_the_file_and_writes_nothing()
        {
            using var dir = new TempDir();
            string text = dir.Write("in/notes.txt", Encoding.UTF8.GetBytes("this is not a profile\n"));
            string output = dir.Combine("m.pprof");

            var (code, stdout, err) = Pgo("merge", TestData.InlineHot, text, "-o", output);

            Assert.AreEqual(1, code);
            Assert.AreEqual("", stdout);
            StringAssert.Contains(err, $"pgo merge: '{text}' is not a readable pprof profile");
            Assert.IsFalse(err.Contains("--help", StringComparison.Ordinal), "not a usage error");
            Assert.IsFalse(File.Exists(output));
            CollectionAssert.AreEqual(new[] { Path.Combine("in", "notes.txt") }, FileNames(dir));
        }

        [TestMethod]
        public void Missing_input_exits_1_naming_the_file()
        {
            using var dir = new TempDir();
            string missing = dir.Combine("missing.pprof");
            string output = dir.Combine("m.pprof");

            var (code, _, err) = Pgo("merge", missing, "-o", output);

            Assert.AreEqual(1, code);
            StringAssert.StartsWith(err, $"pgo merge: cannot read '{missing}'");
            Assert.AreEqual(0, FileNames(dir).Length);
        }

        [TestMethod]
        public void Failed_merge_leaves_an_existing_output_untouched()
        {
            using var dir = new TempDir();
            byte[] old = Encoding.UTF8.GetBytes("previous merge");
            string output = dir.Write("m.pprof", old);
            string text = dir.Write("bad.pprof", Encoding.UTF8.GetBytes("garbage"));

            var (code, _, _) = Pgo("merge", TestData.InlineHot, text, "-o", output);

            Assert.AreEqual(1, code);
            CollectionAssert.AreEqual(old, File.ReadAllBytes(output));
            CollectionAssert.AreEqual(new[] { "bad.pprof", "m.pprof" }, FileNames(dir));
        }

        [TestMethod]
        public void Unwritable_output_exits_1_and_leaves_no_temporary_file()
        {
            using var dir = new TempDir();
            dir.Write("file", Encoding.UTF8.GetBytes("a file, not a directory"));
            string output = dir.Combine("file", "m.pprof");

            var (code, _, err) = Pgo("merge", TestData.InlineHot, "-o", output);

            Assert.AreEqual(1, code);
            StringAssert.StartsWith(err.Split('\n').Single(l => l.StartsWith("pgo merge:", StringComparison.Ordinal)), $"pgo merge: cannot write '{output}'");
            CollectionAssert.AreEqual(new[] { "file" }, FileNames(dir));
        }

        [TestMethod]
        public void Help_exits_0()
        {
            var (code, stdout, err) = Pgo("merge", "--help");

            Assert.AreEqual(0, code);
            Assert.AreEqual("", err);
            StringAssert.StartsWith(stdout, "Usage: pgo merge <a.pprof> <b.pprof> [...] -o merged.pprof");
        }

        [TestMethod]
        public void A_damaged_zstd_input_is_a_one_line_error_and_exit_code_1()
        {
            using var dir = new TempDir();
            // A zstd frame header asking for a 2 GiB window (ZstdSharp throws its own exception type).
            string bad = dir.Write("bad.pprof", new byte[] { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa8, 0x00, 0x00, 0x00 });
            string output = dir.Combine("merged.pprof");

            var (code, _, err) = Pgo("merge", TestData.InlineHot, bad, "-o", output);

            Assert.AreEqual(1, code);
            var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("pgo: read ", StringComparison.Ordinal)).ToArray();
            Assert.AreEqual(1, lines.Length, err);
            StringAssert.StartsWith(lines[0], $"pgo merge: '{bad}' is not a readable pprof profile: decompressing profile: ");
            Assert.IsFalse(File.Exists(output));
        }
    }
}
