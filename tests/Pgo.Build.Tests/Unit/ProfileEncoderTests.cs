using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Profiles;
using Proto = Perftools.Profiles;

namespace Pgo.Build.Tests.Unit
{
    [TestClass]
    public sealed class ProfileEncoderTests
    {
        /// <summary>
        /// The profiles under ../shared/testdata our decoder accepts (found by decoding every file there); the
        /// round-trip test asserts it met at least these, so it cannot pass by skipping everything.
        /// </summary>
        private static readonly string[] KnownDecodable =
        {
            "dotnet/profiles/pyroscope__dotnet-pprof-211.pb.gz",
            "dotnet/profiles/pyroscope__dotnet.labels.pprof",
            "go/_go1.21.4/src/cmd/compile/internal/test/testdata/pgo/devirtualize/devirt.pprof",
            "go/src/cmd/compile/default.pgo",
            "go/src/cmd/compile/internal/test/testdata/pgo/devirtualize/devirt.pprof",
            "go/src/cmd/compile/internal/test/testdata/pgo/inline/inline_hot.pprof",
            "pprof/internal/driver/testdata/cppbench.cpu_no_samples_type",
            "pprof/internal/driver/testdata/go.nomappings.crash",
            "pprof/internal/proftest/testdata/large.cpu",
            "pprof/internal/report/testdata/sample.cpu",
        };

        private static readonly SampleType[] CpuTypes = { new SampleType("samples", "count"), new SampleType("cpu", "nanoseconds") };

        private static ProfileFunction Fn(string name, long startLine = 1, string file = "main.go") => new ProfileFunction(name, name, file, startLine);

        private static ProfileLocation Loc(ulong id, ulong address, params (ProfileFunction Function, long Line)[] lines) =>
            new ProfileLocation(id, address, lines.Select(l => new ProfileLine(l.Function, l.Line)).ToArray());

        /// <summary>Every file under the shared test data, relative path (with '/') and decoded profile, rejected ones skipped.</summary>
        private static List<(string Path, ProfileData Profile)> RealProfiles()
        {
            var result = new List<(string, ProfileData)>();
            foreach (string file in Directory.EnumerateFiles(TestData.SharedRoot, "*", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
            {
                string relative = file.Substring(TestData.SharedRoot.Length + 1).Replace('\\', '/');
                try
                {
                    result.Add((relative, ProfileDecoder.Decode(File.ReadAllBytes(file))));
                }
                catch (ProfileFormatException)
                {
                    // Legacy/text profiles, notes, traces: not pprof protobuf (see ProfileDecoderTests).
                }
            }

            return result;
        }

        [TestMethod]
        public void EveryRealProfileSurvivesEncodeAndDecode()
        {
            var profiles = RealProfiles();

            CollectionAssert.IsSubsetOf(KnownDecodable, profiles.Select(p => p.Path).ToArray());
            foreach (var (path, original) in profiles)
            {
                byte[] gz = ProfileEncoder.Encode(original);
                byte[] raw = ProfileEncoder.Encode(original, gzip: false);

                Assert.AreEqual(ProfileCompression.Gzip, ProfileDecoder.Sniff(gz), path);
                Assert.AreEqual(ProfileCompression.None, ProfileDecoder.Sniff(raw), path);
                CollectionAssert.AreEqual(raw, PprofBuilder.Gunzip(gz), path);
                var decoded = ProfileDecoder.Decode(gz);
                ProfileAssert.AreEquivalent(original, decoded, path);

                // Encoding is a fixed point after one round: same profile, same bytes.
                CollectionAssert.AreEqual(raw, ProfileEncoder.Encode(decoded, gzip: false), path + ": second encoding differs");
            }
        }

        [TestMethod]
        public void GoCompilerProfileKeepsItsShapeAfterARoundTrip()
        {
            var original = ProfileDecoder.Decode(File.ReadAllBytes(TestData.GoCompilerProfile));

            var decoded = ProfileDecoder.Decode(ProfileEncoder.Encode(original));

            Assert.AreEqual(6267, decoded.Samples.Count);
            Assert.AreEqual(10421L, decoded.Samples.Sum(s => s.Values[0]));
            Assert.AreEqual(104_210_000_000L, decoded.Samples.Sum(s => s.Values[1]));
            Assert.AreEqual(2806, ProfileAssert.Functions(decoded).Count);
            Assert.AreEqual(64, decoded.Samples.Max(s => s.Stack.Count));
            Assert.AreEqual(145_947_995_368L, decoded.DurationNanos);
            Assert.AreEqual(new SampleType("cpu", "nanoseconds"), decoded.PeriodType);
            Assert.AreEqual(10_000_000L, decoded.Period);
            Assert.AreNotEqual(0L, decoded.TimeNanos);
            Assert.AreEqual(original.TimeNanos, decoded.TimeNanos);
        }

        [TestMethod]
        public void LabelsOfARealProfileSurvive()
        {
            var original = ProfileDecoder.Decode(File.ReadAllBytes(TestData.Path_("dotnet", "profiles", "pyroscope__dotnet.labels.pprof")));
            Assert.IsTrue(original.Samples.All(s => s.Labels.Count > 0));
            CollectionAssert.AreEquivalent(new[] { "pod", "qweqwe" }, original.Samples.SelectMany(s => s.Labels).Select(l => l.Key).Distinct().ToArray());

            var decoded = ProfileDecoder.Decode(ProfileEncoder.Encode(original));

            Assert.AreEqual(2814, decoded.Samples.Count);
            for (int i = 0; i < decoded.Samples.Count; i++)
            {
                CollectionAssert.AreEqual(original.Samples[i].Labels.ToArray(), decoded.Samples[i].Labels.ToArray());
            }
        }

        [TestMethod]
        public void EncodingIsDeterministic()
        {
            var profile = ProfileDecoder.Decode(File.ReadAllBytes(TestData.Devirt));

            byte[] first = ProfileEncoder.Encode(profile);
            byte[] second = ProfileEncoder.Encode(profile);
            byte[] third = ProfileEncoder.Encode(ProfileDecoder.Decode(File.ReadAllBytes(TestData.Devirt)));

            CollectionAssert.AreEqual(first, second);
            CollectionAssert.AreEqual(first, third);
            CollectionAssert.AreEqual(ProfileEncoder.Encode(profile, gzip: false), ProfileEncoder.Encode(profile, gzip: false));
        }

        [TestMethod]
        public void GzipHeaderHasNoTimestampOrFileName()
        {
            byte[] gz = ProfileEncoder.Encode(ProfileDecoder.Decode(File.ReadAllBytes(TestData.InlineHot)));

            Assert.AreEqual(0x1f, gz[0]);
            Assert.AreEqual(0x8b, gz[1]);
            Assert.AreEqual(8, gz[2]); // deflate
            Assert.AreEqual(0, gz[3]); // flags: no name, comment or extra field
            CollectionAssert.AreEqual(new byte[4], gz.Skip(4).Take(4).ToArray()); // MTIME = 0
        }

        [TestMethod]
        public void StringTableFunctionsAndLocationsAreNumberedInOrderOfFirstUse()
        {
            var main = Fn("main.main", 3);
            var work = Fn("main.work", 10, "work.go");
            var workAgain = Fn("main.work", 10, "work.go"); // equal by value: one function
            var profile = new ProfileData(
                CpuTypes,
                new[]
                {
                    new ProfileSample(new[] { Loc(7, 0x20, (work, 11)), Loc(9, 0x10, (main, 4)) }, new long[] { 1, 10 }),
                    new ProfileSample(new[] { Loc(8, 0x20, (workAgain, 11)), Loc(9, 0x10, (main, 4)) }, new long[] { 2, 20 }),
                    new ProfileSample(new[] { Loc(3, 0x30, (work, 12)) }, new long[] { 3, 30 }),
                },
                period: 10,
                periodType: new SampleType("cpu", "nanoseconds"));

            var message = Proto.Profile.Parser.ParseFrom(ProfileEncoder.Encode(profile, gzip: false));

            CollectionAssert.AreEqual(
                new[] { "", "samples", "count", "cpu", "nanoseconds", "main.work", "work.go", "main.main", "main.go" },
                message.StringTable.ToArray());
            CollectionAssert.AreEqual(new ulong[] { 1, 2 }, message.Function.Select(f => f.Id).ToArray());
            Assert.AreEqual(5L, message.Function[0].Name);
            Assert.AreEqual(5L, message.Function[0].SystemName);
            Assert.AreEqual(6L, message.Function[0].Filename);
            Assert.AreEqual(10L, message.Function[0].StartLine);
            Assert.AreEqual(7L, message.Function[1].Name);

            // (0x20, work:11) twice under two ids is one location; the stacks refer to the new ids.
            CollectionAssert.AreEqual(new ulong[] { 1, 2, 3 }, message.Location.Select(l => l.Id).ToArray());
            CollectionAssert.AreEqual(new ulong[] { 0x20, 0x10, 0x30 }, message.Location.Select(l => l.Address).ToArray());
            Assert.AreEqual(12L, message.Location[2].Line[0].Line_);
            Assert.AreEqual(1UL, message.Location[2].Line[0].FunctionId);
            Assert.AreEqual(0, message.Mapping.Count);
            CollectionAssert.AreEqual(new ulong[] { 1, 2 }, message.Sample[0].LocationId.ToArray());
            CollectionAssert.AreEqual(new ulong[] { 1, 2 }, message.Sample[1].LocationId.ToArray());
            CollectionAssert.AreEqual(new ulong[] { 3 }, message.Sample[2].LocationId.ToArray());
            CollectionAssert.AreEqual(new long[] { 2, 20 }, message.Sample[1].Value.ToArray());
            Assert.AreEqual(3L, message.PeriodType.Type);
            Assert.AreEqual(4L, message.PeriodType.Unit);
            Assert.AreEqual(10L, message.Period);
        }

        [TestMethod]
        public void InlinedFramesKeepTheirOrder()
        {
            var outer = Fn("main.outer", 1);
            var inner = Fn("main.inner", 20);
            var profile = new ProfileData(CpuTypes, new[] { new ProfileSample(new[] { Loc(1, 0x40, (inner, 21), (outer, 5)) }, new long[] { 1, 10 }) });

            var decoded = ProfileDecoder.Decode(ProfileEncoder.Encode(profile));

            var lines = decoded.Samples[0].Stack[0].Lines;
            Assert.AreEqual(2, lines.Count);
            Assert.AreEqual(inner, lines[0].Function);
            Assert.AreEqual(21L, lines[0].Line);
            Assert.AreEqual(outer, lines[1].Function);
            Assert.AreEqual(5L, lines[1].Line);
        }

        [TestMethod]
        public void HeaderFieldsAndLabelsSurvive()
        {
            var f = Fn("main.f");
            var labels = new[]
            {
                new ProfileLabel("pod", "web-1", 0, ""),
                new ProfileLabel("bytes", "", 4096, "bytes"),
                new ProfileLabel("pod", "web-2", 0, ""),
                new ProfileLabel("n", "", -3, ""),
            };
            var profile = new ProfileData(
                CpuTypes,
                new[]
                {
                    new ProfileSample(new[] { Loc(1, 0, (f, 2)) }, new long[] { 1, 10 }, labels),
                    new ProfileSample(new[] { Loc(1, 0, (f, 2)) }, new long[] { 0, 0 }),
                },
                durationNanos: 1_000_000_000,
                period: 10_000_000,
                periodType: new SampleType("cpu", "nanoseconds"),
                timeNanos: 1_700_000_000_000_000_000,
                comments: new[] { "merged by pgo", "", "merged by pgo" },
                defaultSampleType: "cpu");

            var decoded = ProfileDecoder.Decode(ProfileEncoder.Encode(profile));

            ProfileAssert.AreEquivalent(profile, decoded, "hand-made");
            CollectionAssert.AreEqual(labels, decoded.Samples[0].Labels.ToArray());
            Assert.AreEqual(0, decoded.Samples[1].Labels.Count);
            CollectionAssert.AreEqual(new long[] { 0, 0 }, decoded.Samples[1].Values);
            CollectionAssert.AreEqual(new[] { "merged by pgo", "", "merged by pgo" }, decoded.Comments.ToArray());
            Assert.AreEqual("cpu", decoded.DefaultSampleType);
            Assert.AreEqual(1_700_000_000_000_000_000L, decoded.TimeNanos);
            Assert.AreEqual(1_000_000_000L, decoded.DurationNanos);
        }

        [TestMethod]
        public void AbsentPeriodTypeStaysAbsentAndAnEmptyOneStaysPresent()
        {
            var f = Fn("main.f");
            var sample = new ProfileSample(new[] { Loc(1, 0, (f, 2)) }, new long[] { 1, 10 });

            var absent = ProfileDecoder.Decode(ProfileEncoder.Encode(new ProfileData(CpuTypes, new[] { sample })));
            var empty = ProfileDecoder.Decode(ProfileEncoder.Encode(new ProfileData(CpuTypes, new[] { sample }, periodType: new SampleType("", ""))));

            Assert.IsNull(absent.PeriodType);
            Assert.AreEqual(new SampleType("", ""), empty.PeriodType);
        }

        [TestMethod]
        public void RealProfileWithAnUnnamedPeriodTypeKeepsIt()
        {
            // pyroscope's .NET profiler writes period_type ("", "nanoseconds").
            var original = ProfileDecoder.Decode(File.ReadAllBytes(TestData.Path_("dotnet", "profiles", "pyroscope__dotnet-pprof-211.pb.gz")));
            Assert.AreEqual(new SampleType("", "nanoseconds"), original.PeriodType);

            var decoded = ProfileDecoder.Decode(ProfileEncoder.Encode(original));

            Assert.AreEqual(new SampleType("", "nanoseconds"), decoded.PeriodType);
            Assert.AreEqual(1L, decoded.Period);
        }

        [TestMethod]
        public void UnsymbolizedLocationsAreKeptByAddress()
        {
            // cppbench.cpu_no_samples_type has mappings and addresses but no functions; mappings are dropped.
            var original = ProfileDecoder.Decode(File.ReadAllBytes(TestData.Path_("pprof", "internal", "driver", "testdata", "cppbench.cpu_no_samples_type")));
            Assert.IsTrue(original.Samples.SelectMany(s => s.Stack).All(l => l.Lines.Count == 0));

            byte[] raw = ProfileEncoder.Encode(original, gzip: false);
            var message = Proto.Profile.Parser.ParseFrom(raw);

            Assert.AreEqual(0, message.Mapping.Count);
            Assert.AreEqual(0, message.Function.Count);
            Assert.AreEqual(original.Samples.SelectMany(s => s.Stack).Select(l => l.Address).Distinct().Count(), message.Location.Count);
            ProfileAssert.AreEquivalent(original, ProfileDecoder.Decode(raw), "cppbench.cpu_no_samples_type");
        }

        [TestMethod]
        public void EmptyProfileEncodesToAProfileWithoutSamples()
        {
            byte[] raw = ProfileEncoder.Encode(ProfileData.Empty, gzip: false);
            var decoded = ProfileDecoder.Decode(ProfileEncoder.Encode(ProfileData.Empty));

            var message = Proto.Profile.Parser.ParseFrom(raw);
            CollectionAssert.AreEqual(new[] { "" }, message.StringTable.ToArray());
            Assert.AreEqual(0, decoded.Samples.Count);
            Assert.AreEqual(0, decoded.SampleTypes.Count);
            Assert.IsNull(decoded.PeriodType);
        }
    }

    /// <summary>Structural comparison of profiles: everything but location ids and object identities.</summary>
    internal static class ProfileAssert
    {
        public static HashSet<ProfileFunction> Functions(ProfileData p) =>
            new HashSet<ProfileFunction>(p.Samples.SelectMany(s => s.Stack).SelectMany(l => l.Lines).Select(l => l.Function));

        public static long[] Totals(ProfileData p) =>
            Enumerable.Range(0, p.SampleTypes.Count).Select(i => p.Samples.Sum(s => s.Values[i])).ToArray();

        public static void AreEquivalent(ProfileData expected, ProfileData actual, string context)
        {
            CollectionAssert.AreEqual(expected.SampleTypes.ToArray(), actual.SampleTypes.ToArray(), context + ": sample types");
            Assert.AreEqual(expected.PeriodType, actual.PeriodType, context + ": period type");
            Assert.AreEqual(expected.Period, actual.Period, context + ": period");
            Assert.AreEqual(expected.DurationNanos, actual.DurationNanos, context + ": duration");
            Assert.AreEqual(expected.TimeNanos, actual.TimeNanos, context + ": time");
            CollectionAssert.AreEqual(expected.Comments.ToArray(), actual.Comments.ToArray(), context + ": comments");
            Assert.AreEqual(expected.DefaultSampleType, actual.DefaultSampleType, context + ": default sample type");
            Assert.IsTrue(Functions(expected).SetEquals(Functions(actual)), context + ": functions differ");
            CollectionAssert.AreEqual(
                Functions(expected).Select(f => f.Name).OrderBy(n => n, StringComparer.Ordinal).ToArray(),
                Functions(actual).Select(f => f.Name).OrderBy(n => n, StringComparer.Ordinal).ToArray(),
                context + ": function names");
            Assert.AreEqual(expected.Samples.Count, actual.Samples.Count, context + ": sample count");
            for (int i = 0; i < expected.Samples.Count; i++)
            {
                var e = expected.Samples[i];
                var a = actual.Samples[i];
                if (!e.Values.SequenceEqual(a.Values))
                {
                    Assert.Fail($"{context}: sample {i} values [{string.Join(", ", e.Values)}] became [{string.Join(", ", a.Values)}]");
                }

                if (!e.Labels.SequenceEqual(a.Labels))
                {
                    Assert.Fail($"{context}: sample {i} labels [{string.Join(", ", e.Labels)}] became [{string.Join(", ", a.Labels)}]");
                }

                Assert.AreEqual(e.Stack.Count, a.Stack.Count, $"{context}: sample {i} stack depth");
                for (int k = 0; k < e.Stack.Count; k++)
                {
                    if (e.Stack[k].Address != a.Stack[k].Address || !e.Stack[k].Lines.SequenceEqual(a.Stack[k].Lines))
                    {
                        Assert.Fail($"{context}: sample {i} frame {k}: {Frame(e.Stack[k])} became {Frame(a.Stack[k])}");
                    }
                }
            }

            Assert.AreEqual(expected.Samples.Sum(s => s.Stack.Count), actual.Samples.Sum(s => s.Stack.Count), context + ": frames");
        }

        private static string Frame(ProfileLocation l) =>
            "0x" + l.Address.ToString("x") + " " + string.Join(" < ", l.Lines.Select(x => x.Function.Name + ":" + x.Line));
    }
}
