using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Profiles;

namespace Pgo.Build.Tests.Unit
{
    [TestClass]
    public sealed class ProfileMergerTests
    {
        private static readonly SampleType Samples = new SampleType("samples", "count");
        private static readonly SampleType Cpu = new SampleType("cpu", "nanoseconds");
        private static readonly SampleType AllocSpace = new SampleType("alloc_space", "bytes");
        private static readonly SampleType[] CpuTypes = { Samples, Cpu };

        private static ProfileFunction Fn(string name, long startLine = 1, string file = "main.go") => new ProfileFunction(name, name, file, startLine);

        private static ProfileLocation Loc(ulong id, ulong address, ProfileFunction function, long line) =>
            new ProfileLocation(id, address, new[] { new ProfileLine(function, line) });

        private static ProfileSample S(long[] values, params ProfileLocation[] stack) => new ProfileSample(stack, values);

        private static ProfileSample S(long[] values, ProfileLabel[] labels, params ProfileLocation[] stack) => new ProfileSample(stack, values, labels);

        private static ProfileData Load(string path) => ProfileDecoder.Decode(File.ReadAllBytes(path));

        private static ProfileMergeResult Merge(params (string Name, ProfileData Profile)[] inputs) => ProfileMerger.Merge(inputs);

        private static ProfileLabel Label(string key, string value) => new ProfileLabel(key, value, 0, "");

        /// <summary>main.main (line 4) calls main.work (line 11): the same stack built from fresh objects and ids each time.</summary>
        private static ProfileLocation[] WorkStack(ulong firstId = 1)
        {
            var main = Fn("main.main", 3);
            var work = Fn("main.work", 10);
            return new[] { Loc(firstId, 0x20, work, 11), Loc(firstId + 1, 0x10, main, 4) };
        }

        [TestMethod]
        public void GoCompilerProfileMergedWithItselfDoublesEveryValue()
        {
            var profile = Load(TestData.GoCompilerProfile);

            var result = Merge(("default.pgo", profile), ("again.pgo", Load(TestData.GoCompilerProfile)));
            var merged = result.Profile;

            Assert.AreEqual(0, result.DroppedSampleTypes.Count);
            CollectionAssert.AreEqual(CpuTypes, merged.SampleTypes.ToArray());
            CollectionAssert.AreEqual(new long[] { 2 * 10421, 2 * 104_210_000_000 }, ProfileAssert.Totals(merged));
            Assert.AreEqual(6267, merged.Samples.Count);
            for (int i = 0; i < merged.Samples.Count; i++)
            {
                CollectionAssert.AreEqual(profile.Samples[i].Values.Select(v => 2 * v).ToArray(), merged.Samples[i].Values, "sample " + i);
            }

            Assert.AreEqual(2806, ProfileAssert.Functions(merged).Count);
            Assert.IsTrue(ProfileAssert.Functions(profile).SetEquals(ProfileAssert.Functions(merged)));
            Assert.AreEqual(9396, merged.Samples.SelectMany(s => s.Stack).Distinct().Count());
            Assert.AreEqual(2 * 145_947_995_368L, merged.DurationNanos);
            Assert.AreEqual(10_000_000L, merged.Period);
            Assert.AreEqual(Cpu, merged.PeriodType);
            Assert.AreEqual(profile.TimeNanos, merged.TimeNanos);
        }

        [TestMethod]
        public void TwoDifferentGoCpuProfilesSumPerSampleType()
        {
            var inline = Load(TestData.InlineHot);
            var devirt = Load(TestData.Devirt);

            var merged = Merge(("inline_hot.pprof", inline), ("devirt.pprof", devirt)).Profile;

            CollectionAssert.AreEqual(new long[] { 130 + 739, 1_300_000_000 + 7_390_000_000 }, ProfileAssert.Totals(merged));
            Assert.AreEqual(inline.DurationNanos + devirt.DurationNanos, merged.DurationNanos);
            Assert.AreEqual(Math.Min(inline.TimeNanos, devirt.TimeNanos), merged.TimeNanos);
            var functions = ProfileAssert.Functions(inline);
            functions.UnionWith(ProfileAssert.Functions(devirt));
            Assert.IsTrue(functions.SetEquals(ProfileAssert.Functions(merged)));

            // Samples with a stack both profiles have (runtime frames, say) are summed, the others appended.
            var stacks = new HashSet<string>(inline.Samples.Concat(devirt.Samples).Select(StackText));
            Assert.AreEqual(stacks.Count, merged.Samples.Count);
            Assert.AreEqual(merged.Samples.Count, merged.Samples.Select(StackText).Distinct().Count());

            // Order of first appearance: the first input's samples come first, in their order.
            CollectionAssert.AreEqual(
                inline.Samples.Select(StackText).Distinct().ToArray(),
                merged.Samples.Take(inline.Samples.Select(StackText).Distinct().Count()).Select(StackText).ToArray());
        }

        [TestMethod]
        public void ThreeGoCpuProfilesWithADifferentPeriodAndGoVersion()
        {
            var old = Load(TestData.Go("_go1.21.4/" + TestData.GoPgoTestData + "/devirtualize/devirt.pprof"));
            var inline = Load(TestData.InlineHot);
            var devirt = Load(TestData.Devirt);

            var merged = Merge(("go1.21", old), ("inline", inline), ("devirt", devirt)).Profile;

            CollectionAssert.AreEqual(new long[] { 124 + 130 + 739, 1_240_000_000L + 1_300_000_000 + 7_390_000_000 }, ProfileAssert.Totals(merged));
            Assert.AreEqual(old.DurationNanos + inline.DurationNanos + devirt.DurationNanos, merged.DurationNanos);
            Assert.AreEqual(1667405922716178118L, merged.TimeNanos); // inline_hot's, the earliest
        }

        [TestMethod]
        public void MergingIsDeterministic()
        {
            var inputs = new[] { ("inline", Load(TestData.InlineHot)), ("devirt", Load(TestData.Devirt)) };

            byte[] first = ProfileEncoder.Encode(ProfileMerger.Merge(inputs).Profile);
            byte[] second = ProfileEncoder.Encode(ProfileMerger.Merge(inputs).Profile);

            CollectionAssert.AreEqual(first, second);
        }

        [TestMethod]
        public void MergedProfileSurvivesEncodeAndDecode()
        {
            var merged = Merge(("inline", Load(TestData.InlineHot)), ("devirt", Load(TestData.Devirt))).Profile;

            ProfileAssert.AreEquivalent(merged, ProfileDecoder.Decode(ProfileEncoder.Encode(merged)), "merged");
        }

        [TestMethod]
        public void WeightTwoDoublesTheValues()
        {
            var inline = Load(TestData.InlineHot);

            var merged = ProfileMerger.Merge(new[] { ("inline", inline) }, new[] { 2.0 }).Profile;

            CollectionAssert.AreEqual(new long[] { 260, 2_600_000_000 }, ProfileAssert.Totals(merged));
            Assert.AreEqual(inline.Samples.Count, merged.Samples.Count);
        }

        [TestMethod]
        public void WeightHalfRoundsHalvesAwayFromZero()
        {
            var f = Fn("main.f");
            var profile = new ProfileData(
                CpuTypes,
                new[]
                {
                    S(new long[] { 1, 3 }, Loc(1, 0, f, 1)),
                    S(new long[] { 2, 5 }, Loc(2, 0, f, 2)),
                    S(new long[] { 7, -3 }, Loc(3, 0, f, 3)),
                    S(new long[] { 4, 0 }, Loc(4, 0, f, 4)),
                });

            var merged = ProfileMerger.Merge(new[] { ("p", profile) }, new[] { 0.5 }).Profile;

            CollectionAssert.AreEqual(new long[] { 1, 2 }, merged.Samples[0].Values); // 0.5 -> 1, 1.5 -> 2
            CollectionAssert.AreEqual(new long[] { 1, 3 }, merged.Samples[1].Values); // 2.5 -> 3
            CollectionAssert.AreEqual(new long[] { 4, -2 }, merged.Samples[2].Values); // 3.5 -> 4, -1.5 -> -2
            CollectionAssert.AreEqual(new long[] { 2, 0 }, merged.Samples[3].Values);
        }

        [TestMethod]
        public void WeightsApplyPerInputBeforeSumming()
        {
            var a = new ProfileData(CpuTypes, new[] { S(new long[] { 3, 30 }, WorkStack()) });
            var b = new ProfileData(CpuTypes, new[] { S(new long[] { 5, 50 }, WorkStack(100)) });

            var merged = ProfileMerger.Merge(new[] { ("a", a), ("b", b) }, new[] { 1.0, 0.1 }).Profile;

            Assert.AreEqual(1, merged.Samples.Count);
            CollectionAssert.AreEqual(new long[] { 3 + 1, 30 + 5 }, merged.Samples[0].Values); // 0.5 -> 1
        }

        [TestMethod]
        [DataRow(0.0)]
        [DataRow(-1.0)]
        [DataRow(double.NaN)]
        [DataRow(double.PositiveInfinity)]
        public void WeightMustBeFiniteAndPositive(double weight)
        {
            var p = Load(TestData.InlineHot);

            var e = Assert.ThrowsExactly<ArgumentException>(() => ProfileMerger.Merge(new[] { ("a", p), ("b", p) }, new[] { 1.0, weight }));

            StringAssert.Contains(e.Message, "is not a finite number greater than 0");
        }

        [TestMethod]
        public void OneWeightPerInput()
        {
            var p = Load(TestData.InlineHot);

            var e = Assert.ThrowsExactly<ArgumentException>(() => ProfileMerger.Merge(new[] { ("a", p), ("b", p) }, new[] { 1.0 }));

            StringAssert.StartsWith(e.Message, "1 weights for 2 profiles");
        }

        [TestMethod]
        public void NothingToMerge()
        {
            var e = Assert.ThrowsExactly<ArgumentException>(() => ProfileMerger.Merge(new (string, ProfileData)[0]));

            StringAssert.StartsWith(e.Message, "no profiles to merge");
        }

        [TestMethod]
        public void NoCommonSampleTypeNamesEveryInput()
        {
            var cpu = Load(TestData.InlineHot);
            var heap = new ProfileData(new[] { AllocSpace }, new[] { S(new long[] { 4096 }, WorkStack()) });

            var e = Assert.ThrowsExactly<ProfileMergeException>(() => Merge(("cpu.pprof", cpu), ("heap.pprof", heap)));

            Assert.AreEqual("incompatible profiles: no common sample types (cpu.pprof: samples/count, cpu/nanoseconds; heap.pprof: alloc_space/bytes)", e.Message);
        }

        [TestMethod]
        public void RealHeapAndCpuProfilesHaveNoCommonSampleType()
        {
            // go.nomappings.crash is a Go heap profile: alloc_objects/count, alloc_space/bytes, inuse_objects/count, inuse_space/bytes.
            var heap = Load(TestData.Path_("pprof", "internal", "driver", "testdata", "go.nomappings.crash"));
            var cpu = new ProfileData(CpuTypes, new[] { S(new long[] { 1, 10 }, WorkStack()) });

            var e = Assert.ThrowsExactly<ProfileMergeException>(() => Merge(("cpu", cpu), ("heap", heap)));

            Assert.AreEqual(
                "incompatible profiles: no common sample types (cpu: samples/count, cpu/nanoseconds; heap: alloc_objects/count, alloc_space/bytes, inuse_objects/count, inuse_space/bytes)",
                e.Message);
        }

        [TestMethod]
        public void SampleTypesMatchByTypeAndUnit()
        {
            var ns = new ProfileData(new[] { Cpu }, new[] { S(new long[] { 10 }, WorkStack()) });
            var us = new ProfileData(new[] { new SampleType("cpu", "microseconds") }, new[] { S(new long[] { 1 }, WorkStack()) });

            var e = Assert.ThrowsExactly<ProfileMergeException>(() => Merge(("ns", ns), ("us", us)));

            Assert.AreEqual("incompatible profiles: no common sample types (ns: cpu/nanoseconds; us: cpu/microseconds)", e.Message);
        }

        [TestMethod]
        public void AProfileWithoutSampleTypesHasNoneInCommon()
        {
            var e = Assert.ThrowsExactly<ProfileMergeException>(() => Merge(("cpu", Load(TestData.InlineHot)), ("empty", ProfileData.Empty)));

            Assert.AreEqual("incompatible profiles: no common sample types (cpu: samples/count, cpu/nanoseconds; empty: none)", e.Message);
        }

        [TestMethod]
        public void DifferentPeriodTypesAreIncompatible()
        {
            var cpu = Load(TestData.InlineHot);
            var other = new ProfileData(CpuTypes, new[] { S(new long[] { 1, 10 }, WorkStack()) }, periodType: new SampleType("wall", "nanoseconds"));

            var e = Assert.ThrowsExactly<ProfileMergeException>(() => Merge(("inline_hot.pprof", cpu), ("wall.pprof", other)));

            Assert.AreEqual("incompatible period types: inline_hot.pprof: cpu/nanoseconds; wall.pprof: wall/nanoseconds", e.Message);
        }

        [TestMethod]
        public void TheTwoRealPyroscopeProfilesHaveDifferentPeriodTypes()
        {
            // Same producer, same sample types, but period_type ("", nanoseconds) against (cpu, nanoseconds).
            var fixedBuild = Load(TestData.Path_("dotnet", "profiles", "pyroscope__dotnet-pprof-211.pb.gz"));
            var labels = Load(TestData.Path_("dotnet", "profiles", "pyroscope__dotnet.labels.pprof"));

            var e = Assert.ThrowsExactly<ProfileMergeException>(() => Merge(("211", fixedBuild), ("labels", labels)));

            Assert.AreEqual("incompatible period types: 211: /nanoseconds; labels: cpu/nanoseconds", e.Message);
        }

        [TestMethod]
        public void AnAbsentPeriodTypeMatchesAny()
        {
            var none = new ProfileData(CpuTypes, new[] { S(new long[] { 1, 10 }, WorkStack()) }, period: 5);
            var cpu = new ProfileData(CpuTypes, new[] { S(new long[] { 2, 20 }, WorkStack()) }, period: 3, periodType: Cpu);

            var merged = Merge(("none", none), ("cpu", cpu)).Profile;

            Assert.AreEqual(Cpu, merged.PeriodType);
            Assert.AreEqual(5L, merged.Period);
            CollectionAssert.AreEqual(new long[] { 3, 30 }, merged.Samples.Single().Values);
        }

        [TestMethod]
        public void IntersectionDropsATypeAndReportsIt()
        {
            var a = new ProfileData(new[] { Samples, Cpu, AllocSpace }, new[] { S(new long[] { 1, 10, 100 }, WorkStack()) }, defaultSampleType: "alloc_space");
            var b = new ProfileData(new[] { Cpu, Samples }, new[] { S(new long[] { 20, 2 }, WorkStack(50)) }, defaultSampleType: "cpu");

            var result = Merge(("a.pprof", a), ("b.pprof", b));

            CollectionAssert.AreEqual(CpuTypes, result.Profile.SampleTypes.ToArray());
            CollectionAssert.AreEqual(new[] { new DroppedSampleType("a.pprof", AllocSpace) }, result.DroppedSampleTypes.ToArray());
            Assert.AreEqual("alloc_space/bytes (a.pprof)", result.DroppedSampleTypes[0].ToString());
            // b's values are reordered to a's sample-type order before summing.
            CollectionAssert.AreEqual(new long[] { 3, 30 }, result.Profile.Samples.Single().Values);
            // a's default sample type was dropped: the next input's one is kept.
            Assert.AreEqual("cpu", result.Profile.DefaultSampleType);
        }

        [TestMethod]
        public void GoAndDotnetCpuProfilesShareOnlyCpuNanoseconds()
        {
            var go = Load(TestData.Devirt);
            var dotnet = Load(TestData.Path_("dotnet", "profiles", "pyroscope__dotnet.labels.pprof"));

            var result = Merge(("devirt.pprof", go), ("dotnet.labels.pprof", dotnet));

            CollectionAssert.AreEqual(new[] { Cpu }, result.Profile.SampleTypes.ToArray());
            CollectionAssert.AreEqual(
                new[]
                {
                    "samples/count (devirt.pprof)",
                    "exception/count (dotnet.labels.pprof)",
                    "alloc_samples/count (dotnet.labels.pprof)",
                    "alloc_size/bytes (dotnet.labels.pprof)",
                    "lock_count/count (dotnet.labels.pprof)",
                    "lock_time/nanoseconds (dotnet.labels.pprof)",
                },
                result.DroppedSampleTypes.Select(d => d.ToString()).ToArray());
            CollectionAssert.AreEqual(new long[] { 7_390_000_000 + 9_093_000_000 }, ProfileAssert.Totals(result.Profile));
            // devirt's 28 samples have distinct stacks; the .NET profile's 2814 samples have 71 (one sample per event).
            Assert.AreEqual(28 + 71, result.Profile.Samples.Count);
            Assert.AreEqual(10_000_000L, result.Profile.Period); // max(10 ms, 1)
        }

        [TestMethod]
        public void LabelsDistinguishSamples()
        {
            var profile = new ProfileData(
                CpuTypes,
                new[]
                {
                    S(new long[] { 1, 10 }, new[] { Label("pod", "a") }, WorkStack()),
                    S(new long[] { 2, 20 }, new[] { Label("pod", "b") }, WorkStack()),
                    S(new long[] { 4, 40 }, WorkStack()),
                    S(new long[] { 8, 80 }, new[] { Label("pod", "a"), Label("pod", "a") }, WorkStack()),
                    S(new long[] { 16, 160 }, new[] { new ProfileLabel("pod", "", 1, "") }, WorkStack()),
                });
            var again = new ProfileData(
                CpuTypes,
                new[]
                {
                    S(new long[] { 100, 1000 }, new[] { Label("pod", "b") }, WorkStack(10)),
                    S(new long[] { 200, 2000 }, Array.Empty<ProfileLabel>(), WorkStack(20)),
                });

            var merged = Merge(("one", profile), ("two", again)).Profile;

            Assert.AreEqual(5, merged.Samples.Count);
            CollectionAssert.AreEqual(new long[] { 1, 102, 204, 8, 16 }, merged.Samples.Select(s => s.Values[0]).ToArray());
            CollectionAssert.AreEqual(new[] { Label("pod", "b") }, merged.Samples[1].Labels.ToArray());
            Assert.AreEqual(0, merged.Samples[2].Labels.Count);
        }

        [TestMethod]
        public void LabelsAreComparedAsASortedMultiset()
        {
            var ab = new[] { Label("pod", "a"), Label("zone", "b"), new ProfileLabel("bytes", "", 8, "bytes") };
            var ba = new[] { new ProfileLabel("bytes", "", 8, "bytes"), Label("zone", "b"), Label("pod", "a") };
            var profile = new ProfileData(CpuTypes, new[] { S(new long[] { 1, 10 }, ab, WorkStack()), S(new long[] { 2, 20 }, ba, WorkStack()) });

            var merged = Merge(("p", profile)).Profile;

            Assert.AreEqual(1, merged.Samples.Count);
            CollectionAssert.AreEqual(new long[] { 3, 30 }, merged.Samples[0].Values);
            CollectionAssert.AreEqual(ab, merged.Samples[0].Labels.ToArray()); // the first appearance's order
        }

        [TestMethod]
        public void RealProfileWithOneSamplePerEventIsCompacted()
        {
            // pyroscope writes a sample per event: 2814 samples, 71 distinct stacks, all labelled qweqwe=asd, pod=4242239.
            var dotnet = Load(TestData.Path_("dotnet", "profiles", "pyroscope__dotnet.labels.pprof"));
            var labels = new[] { Label("qweqwe", "asd"), Label("pod", "4242239") };
            Assert.AreEqual(2814, dotnet.Samples.Count);
            Assert.IsTrue(dotnet.Samples.All(s => s.Labels.SequenceEqual(labels)));

            var merged = Merge(("labels", dotnet)).Profile;

            Assert.AreEqual(71, merged.Samples.Count);
            Assert.AreEqual(71, dotnet.Samples.Select(StackText).Distinct().Count());
            CollectionAssert.AreEqual(ProfileAssert.Totals(dotnet), ProfileAssert.Totals(merged));
            Assert.IsTrue(merged.Samples.All(s => s.Labels.SequenceEqual(labels)));
        }

        [TestMethod]
        public void RealLabelsKeepSamplesApart()
        {
            var dotnet = Load(TestData.Path_("dotnet", "profiles", "pyroscope__dotnet.labels.pprof"));
            var unlabelled = new ProfileData(dotnet.SampleTypes, dotnet.Samples.Select(s => new ProfileSample(s.Stack, s.Values)).ToArray(), periodType: dotnet.PeriodType);

            var merged = Merge(("labelled", dotnet), ("unlabelled", unlabelled), ("again", dotnet)).Profile;

            Assert.AreEqual(2 * 71, merged.Samples.Count);
            Assert.AreEqual(71, merged.Samples.Count(s => s.Labels.Count == 0));
            Assert.AreEqual(
                3 * ProfileAssert.Totals(dotnet)[0],
                ProfileAssert.Totals(merged)[0]);
            Assert.AreEqual(
                2 * ProfileAssert.Totals(dotnet)[0],
                merged.Samples.Where(s => s.Labels.Count != 0).Sum(s => s.Values[0]));
        }

        [TestMethod]
        public void StacksAreComparedByFunctionLineAndAddress()
        {
            var work = Fn("main.work", 10);
            var workElsewhere = Fn("main.work", 10, "other.go");
            var profile = new ProfileData(
                CpuTypes,
                new[]
                {
                    S(new long[] { 1, 10 }, Loc(1, 0x20, work, 11)),
                    S(new long[] { 2, 20 }, Loc(2, 0x20, Fn("main.work", 10), 11)), // same by value
                    S(new long[] { 4, 40 }, Loc(3, 0x20, work, 12)), // other line
                    S(new long[] { 8, 80 }, Loc(4, 0x24, work, 11)), // other address
                    S(new long[] { 16, 160 }, Loc(5, 0x20, workElsewhere, 11)), // other function
                    S(new long[] { 32, 320 }, Loc(6, 0x20, work, 11), Loc(7, 0x10, Fn("main.main"), 1)), // deeper
                });

            var merged = Merge(("p", profile)).Profile;

            CollectionAssert.AreEqual(new long[] { 3, 4, 8, 16, 32 }, merged.Samples.Select(s => s.Values[0]).ToArray());
            // Merged locations are shared and numbered 1..n in order of first use.
            Assert.AreSame(merged.Samples[0].Stack[0], merged.Samples[4].Stack[0]);
            CollectionAssert.AreEqual(new ulong[] { 1, 2, 3, 4, 1, 5 }, merged.Samples.SelectMany(s => s.Stack).Select(l => l.Id).ToArray());
        }

        [TestMethod]
        public void ZeroValuedSamplesAreKept()
        {
            // Our embedded PGO data has all-zero CPU columns; pprof would drop such samples.
            var profile = new ProfileData(CpuTypes, new[] { S(new long[] { 0, 0 }, WorkStack()) });
            var other = new ProfileData(CpuTypes, new[] { S(new long[] { 0, 0 }, Loc(1, 0x30, Fn("main.other"), 2)) });

            var merged = Merge(("a", profile), ("b", other)).Profile;

            Assert.AreEqual(2, merged.Samples.Count);
            Assert.IsTrue(merged.Samples.All(s => s.Values.All(v => v == 0)));
        }

        [TestMethod]
        public void HeadersCombineLikePprof()
        {
            var a = new ProfileData(CpuTypes, new[] { S(new long[] { 1, 10 }, WorkStack()) }, durationNanos: 100, period: 10, timeNanos: 0, comments: new[] { "x", "y" });
            var b = new ProfileData(CpuTypes, new[] { S(new long[] { 1, 10 }, WorkStack()) }, durationNanos: 50, period: 30, timeNanos: 2000, comments: new[] { "y", "z" }, defaultSampleType: "cpu");
            var c = new ProfileData(CpuTypes, new[] { S(new long[] { 1, 10 }, WorkStack()) }, durationNanos: 7, period: 20, timeNanos: 1000, defaultSampleType: "samples");

            var merged = Merge(("a", a), ("b", b), ("c", c)).Profile;

            Assert.AreEqual(157L, merged.DurationNanos);
            Assert.AreEqual(30L, merged.Period);
            Assert.AreEqual(1000L, merged.TimeNanos); // earliest non-zero
            CollectionAssert.AreEqual(new[] { "x", "y", "z" }, merged.Comments.ToArray());
            Assert.AreEqual("cpu", merged.DefaultSampleType);
            Assert.IsNull(merged.PeriodType);
        }

        [TestMethod]
        public void OneInputIsCompacted()
        {
            var devirt = Load(TestData.Devirt);

            var result = Merge(("devirt", devirt));

            Assert.AreEqual(0, result.DroppedSampleTypes.Count);
            ProfileAssert.AreEquivalent(devirt, result.Profile, "devirt merged alone");
        }

        [TestMethod]
        public void InputsAreNotModified()
        {
            var inline = Load(TestData.InlineHot);
            var before = inline.Samples.Select(s => s.Values.ToArray()).ToArray();

            Merge(("a", inline), ("b", inline));
            ProfileMerger.Merge(new[] { ("a", inline) }, new[] { 3.0 });

            for (int i = 0; i < before.Length; i++)
            {
                CollectionAssert.AreEqual(before[i], inline.Samples[i].Values);
            }
        }

        private static string StackText(ProfileSample s) =>
            string.Join(" ; ", s.Stack.Select(l => "0x" + l.Address.ToString("x") + " " + string.Join(" < ", l.Lines.Select(x => $"{x.Function.Name}|{x.Function.SystemName}|{x.Function.FileName}|{x.Function.StartLine}:{x.Line}"))));
    }
}
