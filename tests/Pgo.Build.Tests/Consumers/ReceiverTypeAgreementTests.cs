using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Bench;
using Pgo.Build.CallGraph;
using Pgo.Build.Engine;
using Pgo.Build.Hints;
using Pgo.Build.IO;
using Pgo.Build.Profiles;
using Pgo.Build.RuntimePgo;
using Pgo.Build.Tests.Tool;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Consumers
{
    /// <summary>
    /// The safety check between a profile's two measurements: receiver-type histograms that its own CPU samples
    /// contradict mean the runtime data is left out (PGO106). Real recordings agree; the benchmark's rotated copy does not.
    /// </summary>
    [TestClass]
    public sealed class ReceiverTypeAgreementTests
    {
        private static string SampleProfile => Path.Combine(TestData.RepoRoot, "samples", "ConsoleApp", "default.pgo");

        [TestMethod]
        public void The_samples_recording_agrees_at_every_checked_call_site_and_keeps_its_histograms()
        {
            using var dir = new TempDir();
            var log = new RecordingLog();

            PgoEngine.Run(new PgoRequest(SampleProfile, dir.Combine("obj", "pgo"), dir.Combine("cache")), log);

            Assert.AreEqual(0, log.Warnings.Count, string.Join("\n", log.Warnings));
            string line = log.Messages.Single(m => m.StartsWith("PGO: receiver types checked against the CPU samples at ", StringComparison.Ordinal));
            StringAssert.EndsWith(line, ", 0 contradict (weight 0).");
            var devirt = RuntimeRecordFiles.ReadDevirtHints(dir.Combine("obj", "pgo", HintFileNames.DevirtHints));
            Assert.IsTrue(devirt.Count(r => r.Kind == InstrumentationKind.HandleHistogramTypes) >= 20, "histograms of the recording");
        }

        [TestMethod]
        public void Rotated_receiver_types_are_contradicted_and_the_runtime_data_is_left_out()
        {
            using var dir = new TempDir();
            var (rotated, types) = ShuffledProfile.Rotate(ProfileDecoder.Decode(File.ReadAllBytes(SampleProfile)));
            Assert.IsTrue(types > 2);
            string path = dir.Combine("rotated.pgo");
            File.WriteAllBytes(path, ProfileEncoder.Encode(rotated));
            var log = new RecordingLog();

            var result = PgoEngine.Run(new PgoRequest(path, dir.Combine("rotated", "pgo"), dir.Combine("cache")), log);
            var original = PgoEngine.Run(new PgoRequest(SampleProfile, dir.Combine("original", "pgo"), dir.Combine("cache")), new RecordingLog());

            var warning = log.Warnings.Single();
            Assert.AreEqual("PGO106", warning.Code);
            Assert.AreEqual(path, warning.File);
            StringAssert.Contains(warning.Text, "the profile's receiver-type histograms contradict its own CPU samples (receiver types checked against the CPU samples at ");
            var counts = System.Text.RegularExpressions.Regex.Match(warning.Text, @"(\d+) agree \(sampled weight (\d+)\), (\d+) contradict \(weight (\d+)\)");
            Assert.IsTrue(counts.Success, warning.Text);
            Assert.IsTrue(int.Parse(counts.Groups[3].Value) > int.Parse(counts.Groups[1].Value) && long.Parse(counts.Groups[4].Value) > long.Parse(counts.Groups[2].Value), warning.Text);
            StringAssert.Contains(warning.Text, "its runtime PGO data is left out");
            Assert.AreEqual(0, RuntimeRecordFiles.ReadDevirtHints(dir.Combine("rotated", "pgo", HintFileNames.DevirtHints)).Count);
            Assert.AreEqual(0, RuntimeRecordFiles.ReadBlockCounts(dir.Combine("rotated", "pgo", HintFileNames.BlockCounts)).Count);
            Assert.IsTrue(RuntimeRecordFiles.ReadBlockCounts(dir.Combine("original", "pgo", HintFileNames.BlockCounts)).Count > 100);
            // The CPU samples still drive the build: the same hot call sites as the unrotated profile.
            CollectionAssert.AreEqual(original.HotCallSites.ToList(), result.HotCallSites.ToList());
        }

        [TestMethod]
        public void A_fresh_recording_of_the_fixture_is_never_contradicted()
        {
            var r = RecordedFixture.Get();
            var graph = CallGraphBuilder.Build(r.Profile, SampleIndex.Select(r.Profile.SampleTypes, null, out _), default);
            var records = EmbeddedPgoReader.Read(r.Profile);

            var agreement = ReceiverTypeAgreement.Of(graph.Edges, records);

            // (Not "no contradicting site at all": which framework call sites start-up samples land in depends on the
            // machine's load, and a rare receiver a 32-slot histogram did not keep is allowed; the decision is what counts.)
            Assert.IsFalse(agreement.Contradicted, agreement.ToString());
            Assert.AreSame(records, agreement.Apply(records));
        }

        [TestMethod]
        public void A_site_agrees_when_one_sampled_receiver_is_in_the_histograms_of_its_line()
        {
            var records = new[]
            {
                Histogram("App.Node.Run", 10, 12, "App.Add", 30), Histogram("App.Node.Run", 10, 12, "App.Outer+Mul", 2),
                Histogram("App.Node.Run", 10, 14, "App.Sub", 32),
            };
            var edges = new[]
            {
                new CallEdge("App.Node.Run", "App.Mul.Eval", 2, 5), // not a recorded receiver type (Outer+Mul is): ignored
                new CallEdge("App.Node.Run", "App.Outer.Mul.Eval", 2, 3),
                new CallEdge("App.Node.Run", "App.Sub.Eval", 2, 40), // Sub is recorded, but on another line: the site still agrees
                new CallEdge("App.Node.Run", "App.Sub.Eval", 4, 7),
                new CallEdge("App.Node.Run", "App.Helper.Log", 2, 90), // not a receiver type anywhere
            };

            var agreement = ReceiverTypeAgreement.Of(edges, records);

            Assert.AreEqual(new ReceiverTypeAgreement(2, 0, 50, 0), agreement);
        }

        [TestMethod]
        public void Contradicting_sites_must_outweigh_agreeing_ones_and_be_at_least_two()
        {
            var records = new[]
            {
                Histogram("App.A.Run", 10, 10, "App.Add", 32), Histogram("App.B.Run", 20, 20, "App.Add", 32), Histogram("App.C.Run", 30, 30, "App.Sub", 32),
            };

            var one = ReceiverTypeAgreement.Of(new[] { new CallEdge("App.A.Run", "App.Sub.Eval", 0, 100) }, records);
            var outweighed = ReceiverTypeAgreement.Of(new[]
            {
                new CallEdge("App.A.Run", "App.Sub.Eval", 0, 10), new CallEdge("App.B.Run", "App.Sub.Eval", 0, 10), new CallEdge("App.C.Run", "App.Sub.Eval", 0, 21),
            }, records);
            var contradicted = ReceiverTypeAgreement.Of(new[]
            {
                new CallEdge("App.A.Run", "App.Sub.Eval", 0, 10), new CallEdge("App.B.Run", "App.Sub.Eval", 0, 12), new CallEdge("App.C.Run", "App.Sub.Eval", 0, 21),
            }, records);

            Assert.IsFalse(one.Contradicted, one.ToString());
            Assert.AreEqual(new ReceiverTypeAgreement(1, 2, 21, 20), outweighed);
            Assert.IsFalse(outweighed.Contradicted);
            Assert.IsTrue(contradicted.Contradicted, contradicted.ToString());
            var withCounts = records.Append(records[0] with { Kind = InstrumentationKind.BasicBlockIntCount, Handle = "", IlOffset = 0 }).ToList();
            Assert.AreEqual(0, contradicted.Apply(withCounts).Count);
            Assert.AreSame(withCounts, outweighed.Apply(withCounts));
        }

        [TestMethod]
        public void Without_line_offsets_a_caller_is_checked_against_all_of_its_histograms()
        {
            var records = new[] { Histogram("App.A.Run", 10, 11, "App.Add", 32), Histogram("App.A.Run", 10, 15, "App.Sub", 32) };

            var agreement = ReceiverTypeAgreement.Of(new[] { new CallEdge("App.A.Run", "App.Sub.Eval", null, 4) }, records);

            Assert.AreEqual(new ReceiverTypeAgreement(1, 0, 4, 0), agreement);
        }

        [TestMethod]
        public void Pgo_top_prints_the_check_and_says_when_a_build_leaves_the_histograms_out()
        {
            using var dir = new TempDir();
            string path = dir.Combine("rotated.pgo");
            File.WriteAllBytes(path, ProfileEncoder.Encode(ShuffledProfile.Rotate(ProfileDecoder.Decode(File.ReadAllBytes(SampleProfile))).Profile));

            var (code, output, err) = TopTests.Pgo(new[] { "top", path, "--no-cache", "-n", "1" });
            var (_, original, _) = TopTests.Pgo(new[] { "top", SampleProfile, "--no-cache", "-n", "1" });

            Assert.AreEqual(0, code, err);
            StringAssert.EndsWith(output.TrimEnd(), ": contradicted, a build leaves the runtime data out (PGO106).");
            StringAssert.EndsWith(original.TrimEnd(), ", 0 contradict (weight 0).");
        }

        private static RuntimeRecord Histogram(string method, long startLine, long line, string type, long slots) =>
            new RuntimeRecord("App!" + method.Replace(".Run", "::Run") + "()", method, 20, 1, 0, "", startLine, line,
                InstrumentationKind.HandleHistogramTypes, (int)(line * 2), 0x80000000L, 0, type + ", App", slots);
    }
}
