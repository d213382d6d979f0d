using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Google.Protobuf;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Profiles;
using Proto = Perftools.Profiles;

namespace Pgo.Build.Tests.Unit
{
    [TestClass]
    public sealed class ProfileDecoderTests
    {
        /// <summary>main.a (start 10) calls main.b (start 20) at line 13; the sample is in b at line 21.</summary>
        private static PprofBuilder TwoFrames()
        {
            var b = PprofBuilder.Cpu();
            ulong fa = b.Function("main.a", 10, "a.go");
            ulong fb = b.Function("main.b", 20, "b.go");
            ulong la = b.Location(0x1000, (fa, 13));
            ulong lb = b.Location(0x2000, (fb, 21));
            b.Sample(new long[] { 2, 20_000_000 }, lb, la);
            b.Message.DurationNanos = 1_500_000_000;
            b.Message.Period = 10_000_000;
            return b;
        }

        private static ProfileFormatException Fails(byte[] bytes, ProfileLimits? limits = null) =>
            Assert.ThrowsExactly<ProfileFormatException>(() => ProfileDecoder.Decode(bytes, limits));

        private static void AssertTwoFrames(ProfileData p)
        {
            CollectionAssert.AreEqual(new[] { "samples/count", "cpu/nanoseconds" }, p.SampleTypes.Select(t => t.ToString()).ToArray());
            Assert.AreEqual("samples", p.SampleTypes[0].Type);
            Assert.AreEqual("nanoseconds", p.SampleTypes[1].Unit);
            Assert.AreEqual(1_500_000_000L, p.DurationNanos);
            Assert.AreEqual(10_000_000L, p.Period);
            Assert.AreEqual(1, p.Samples.Count);
            var s = p.Samples[0];
            CollectionAssert.AreEqual(new long[] { 2, 20_000_000 }, s.Values);
            Assert.AreEqual(2, s.Stack.Count);
            Assert.AreEqual(2UL, s.Stack[0].Id);
            Assert.AreEqual(0x2000UL, s.Stack[0].Address);
            Assert.AreEqual(1, s.Stack[0].Lines.Count);
            Assert.AreEqual("main.b", s.Stack[0].Lines[0].Function.Name);
            Assert.AreEqual("main.b", s.Stack[0].Lines[0].Function.SystemName);
            Assert.AreEqual("b.go", s.Stack[0].Lines[0].Function.FileName);
            Assert.AreEqual(20L, s.Stack[0].Lines[0].Function.StartLine);
            Assert.AreEqual(21L, s.Stack[0].Lines[0].Line);
            Assert.AreEqual(1UL, s.Stack[1].Id);
            Assert.AreEqual("main.a", s.Stack[1].Lines[0].Function.Name);
            Assert.AreEqual(10L, s.Stack[1].Lines[0].Function.StartLine);
            Assert.AreEqual(13L, s.Stack[1].Lines[0].Line);
        }

        [TestMethod]
        public void RawProtobufIsDecoded()
        {
            var raw = TwoFrames().ToBytes();

            Assert.AreEqual(ProfileCompression.None, ProfileDecoder.Sniff(raw));
            AssertTwoFrames(ProfileDecoder.Decode(raw));
        }

        [TestMethod]
        public void GzipIsDecodedToTheSameProfile()
        {
            var gz = TwoFrames().ToGzip();

            Assert.AreEqual(ProfileCompression.Gzip, ProfileDecoder.Sniff(gz));
            AssertTwoFrames(ProfileDecoder.Decode(gz));
        }

        [TestMethod]
        public void GoProfileDecodesTheSameCompressedOrNot()
        {
            var gz = File.ReadAllBytes(TestData.InlineHot);
            var raw = PprofBuilder.Gunzip(gz);

            var a = ProfileDecoder.Decode(gz);
            var b = ProfileDecoder.Decode(raw);

            Assert.AreEqual(37, a.Samples.Count);
            Assert.AreEqual(37, b.Samples.Count);
            Assert.AreEqual(130L, a.Samples.Sum(s => s.Values[0]));
            Assert.AreEqual(130L, b.Samples.Sum(s => s.Values[0]));
            Assert.AreEqual(7, a.Samples.SelectMany(s => s.Stack).SelectMany(l => l.Lines).Select(l => l.Function.Name).Distinct().Count());
        }

        [TestMethod]
        public void CompressionIsSniffedFromMagicBytesNotTheFileName()
        {
            // pyroscope's .NET profile is raw protobuf despite its .pb.gz name (dotnet/profiles/NOTES.md).
            var bytes = File.ReadAllBytes(TestData.Path_("dotnet", "profiles", "pyroscope__dotnet-pprof-211.pb.gz"));

            Assert.AreEqual(ProfileCompression.None, ProfileDecoder.Sniff(bytes));
            var p = ProfileDecoder.Decode(bytes);
            Assert.AreEqual(2076, p.Samples.Count);
            Assert.AreEqual("cpu/nanoseconds", p.SampleTypes[0].ToString());
            Assert.AreEqual(6, p.SampleTypes.Count);
        }

        [TestMethod]
        [DataRow(new byte[] { }, ProfileCompression.None)]
        [DataRow(new byte[] { 0x1f }, ProfileCompression.None)]
        [DataRow(new byte[] { 0x1f, 0x8b }, ProfileCompression.Gzip)]
        [DataRow(new byte[] { 0x8b, 0x1f }, ProfileCompression.None)]
        [DataRow(new byte[] { 0x28, 0xb5, 0x2f, 0xfd }, ProfileCompression.Zstd)]
        [DataRow(new byte[] { 0x28, 0xb5, 0x2f }, ProfileCompression.None)]
        [DataRow(new byte[] { 0x04, 0x22, 0x4d, 0x18, 0x00 }, ProfileCompression.Lz4)]
        [DataRow(new byte[] { 0x0a, 0x04, 0x08, 0x02, 0x10, 0x01 }, ProfileCompression.None)]
        public void Sniff(byte[] bytes, ProfileCompression expected)
        {
            Assert.AreEqual(expected, ProfileDecoder.Sniff(bytes));
        }

        [TestMethod]
        public void EmptyInputIsTheEmptyProfile()
        {
            var p = ProfileDecoder.Decode(new byte[0]);

            Assert.AreSame(ProfileData.Empty, p);
            Assert.AreEqual(0, p.Samples.Count);
            Assert.AreEqual(0, p.SampleTypes.Count);
        }

        [TestMethod]
        public void GzipOfNothingIsTheEmptyProfile()
        {
            var p = ProfileDecoder.Decode(PprofBuilder.Gzip(new byte[0]));

            Assert.AreSame(ProfileData.Empty, p);
            Assert.AreEqual(0, p.Samples.Count);
        }

        [TestMethod]
        public void ProfileWithoutSamplesDecodesToZeroSamples()
        {
            var b = PprofBuilder.Cpu();
            b.Function("main.a", 1);

            var p = b.Decode();

            Assert.AreEqual(0, p.Samples.Count);
            Assert.AreEqual(2, p.SampleTypes.Count);
        }

        [TestMethod]
        public void GarbageIsAParsingError()
        {
            var e = Fails(new byte[] { 0xff, 0xff, 0xff, 0xff });

            Assert.AreEqual("parsing profile: unexpected EOF", e.Message);
        }

        [TestMethod]
        public void TextIsRejectedLikeGoDoes()
        {
            // 't' (0x74) is field 14 with wire type 4 (end group): Google.Protobuf alone stops there and
            // returns an empty message; Go's decoder fails on the wire type.
            var e = Fails(Encoding.ASCII.GetBytes("threadcreate profile: total 7\n"));

            Assert.AreEqual("parsing profile: unknown wire type: 4", e.Message);
        }

        [TestMethod]
        public void KnownFieldWithTheWrongWireTypeIsATypeMismatch()
        {
            // Field 12 (period, int64) sent as fixed64: Go says "type mismatch"; Google.Protobuf would skip it.
            var bytes = new byte[] { (12 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8 };

            var e = Fails(bytes);

            Assert.AreEqual("parsing profile: type mismatch", e.Message);
        }

        [TestMethod]
        public void UnknownFieldsAreSkippedLikeGoDoes()
        {
            var raw = TwoFrames().ToBytes();
            // Field 100 (unknown to Go and to profile.proto), varint 7, appended.
            var bytes = raw.Concat(new byte[] { 0xa0, 0x06, 0x07 }).ToArray();

            AssertTwoFrames(ProfileDecoder.Decode(bytes));
        }

        [TestMethod]
        public void GzipCutInHalfFailsLikeGo()
        {
            var gz = File.ReadAllBytes(TestData.InlineHot);

            var e = Fails(gz.Take(gz.Length / 2).ToArray());

            Assert.AreEqual("decompressing profile: unexpected EOF", e.Message);
        }

        [TestMethod]
        public void GzipWithoutItsTrailerIsRejected()
        {
            // The deflate data is complete, so .NET's GZipStream returns the whole profile; Go reports the
            // missing CRC-32/size trailer.
            var gz = File.ReadAllBytes(TestData.InlineHot);

            var e = Fails(gz.Take(gz.Length - 8).ToArray());

            Assert.AreEqual("decompressing profile: unexpected EOF", e.Message);
        }

        [TestMethod]
        public void EveryTruncationOfAGzipProfileIsRejected()
        {
            var gz = File.ReadAllBytes(TestData.InlineHot);
            for (int n = 2; n < gz.Length; n++)
            {
                var e = Assert.ThrowsExactly<ProfileFormatException>(() => ProfileDecoder.Decode(gz.Take(n).ToArray()), "prefix of " + n + " bytes");
                StringAssert.StartsWith(e.Message, "decompressing profile: ", "prefix of " + n + " bytes");
            }
        }

        [TestMethod]
        public void CorruptGzipTrailerIsRejected()
        {
            var gz = File.ReadAllBytes(TestData.InlineHot);
            gz[gz.Length - 6] ^= 0x01; // a CRC-32 byte

            var e = Fails(gz);

            // GZipStream checks a trailer that is present (its message is its own; Go says "invalid checksum").
            StringAssert.StartsWith(e.Message, "decompressing profile: ");
            Assert.IsInstanceOfType<InvalidDataException>(e.InnerException);
        }

        [TestMethod]
        public void ConcatenatedGzipMembersAreOneStream()
        {
            // Go's gzip reader (and GZipStream) read multi-member streams; the bytes are split anywhere.
            var raw = TwoFrames().ToBytes();
            var gz = PprofBuilder.Gzip(raw.Take(7).ToArray()).Concat(PprofBuilder.Gzip(raw.Skip(7).ToArray())).ToArray();

            AssertTwoFrames(ProfileDecoder.Decode(gz));
        }

        [TestMethod]
        public void InvalidGzipHeaderIsADecompressionError()
        {
            var gz = File.ReadAllBytes(TestData.InlineHot);
            gz[2] = 7; // compression method: only 8 (deflate) exists

            var e = Fails(gz);

            StringAssert.StartsWith(e.Message, "decompressing profile: ");
        }

        [TestMethod]
        public void ZstdProfileDecodesLikeItsRawBytes()
        {
            // Datadog's .NET profiler writes zstd (research/dotnet-pprof.md); no real zstd file is in the test data,
            // so a real profile is compressed here.
            var raw = File.ReadAllBytes(TestData.Path_("dotnet", "profiles", "pyroscope__dotnet-pprof-211.pb.gz"));
            byte[] zstd;
            using (var compressor = new ZstdSharp.Compressor(3))
            {
                zstd = compressor.Wrap(raw).ToArray();
            }

            Assert.AreEqual(ProfileCompression.Zstd, ProfileDecoder.Sniff(zstd));
            var a = ProfileDecoder.Decode(raw);
            var b = ProfileDecoder.Decode(zstd);
            Assert.AreEqual(a.Samples.Count, b.Samples.Count);
            CollectionAssert.AreEqual(a.Samples.Select(x => x.Values[0]).ToArray(), b.Samples.Select(x => x.Values[0]).ToArray());
            Assert.ThrowsExactly<ProfileFormatException>(() => ProfileDecoder.Decode(zstd, new ProfileLimits { MaxDecodedBytes = raw.Length - 1 }));
        }

        [TestMethod]
        public void DamagedZstdIsADecompressionError()
        {
            var e = Fails(new byte[] { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0x00, 0x00 });

            StringAssert.StartsWith(e.Message, "decompressing profile: ");
        }

        [TestMethod]
        public void DecompressedSizeLimit()
        {
            var gz = File.ReadAllBytes(TestData.InlineHot);
            Assert.IsTrue(PprofBuilder.Gunzip(gz).Length > 100);

            var e = Fails(gz, new ProfileLimits { MaxDecodedBytes = 100 });

            Assert.AreEqual("decompressing profile: decompressed size exceeds the limit of 100 bytes", e.Message);
        }

        [TestMethod]
        public void RawSizeLimit()
        {
            var raw = TwoFrames().ToBytes();

            var e = Fails(raw, new ProfileLimits { MaxDecodedBytes = 20 });

            Assert.AreEqual($"parsing profile: {raw.Length} bytes exceed the limit of 20 bytes", e.Message);
            AssertTwoFrames(ProfileDecoder.Decode(raw, new ProfileLimits { MaxDecodedBytes = raw.Length }));
        }

        [TestMethod]
        public void RecordLimitOnSamples()
        {
            var b = PprofBuilder.Cpu();
            ulong f = b.Function("main.a", 1);
            ulong l = b.Location(1, (f, 2));
            for (int i = 0; i < 3; i++)
            {
                b.Sample(new long[] { 1, 10 }, l);
            }

            var e = Fails(b.ToBytes(), new ProfileLimits { MaxRecords = 2 });

            Assert.AreEqual("parsing profile: more than 2 samples (the limit)", e.Message);
            Assert.AreEqual(7, b.Message.StringTable.Count);
            Assert.AreEqual(3, b.Decode(new ProfileLimits { MaxRecords = 7 }).Samples.Count);
        }

        [TestMethod]
        public void RecordLimitOnStrings()
        {
            var b = TwoFrames();
            int strings = b.Message.StringTable.Count;
            Assert.AreEqual(9, strings); // "", samples, count, cpu, nanoseconds, main.a, a.go, main.b, b.go

            var e = Fails(b.ToBytes(), new ProfileLimits { MaxRecords = 8 });

            Assert.AreEqual("parsing profile: more than 8 strings (the limit)", e.Message);
        }

        [TestMethod]
        public void StackDepthLimit()
        {
            var b = PprofBuilder.Cpu();
            ulong f = b.Function("main.a", 1);
            ulong l1 = b.Location(1, (f, 2));
            ulong l2 = b.Location(2, (f, 3));
            ulong l3 = b.Location(3, (f, 4));
            b.Sample(new long[] { 1, 10 }, l1, l2, l3);

            var e = Fails(b.ToBytes(), new ProfileLimits { MaxStackDepth = 2 });

            Assert.AreEqual("parsing profile: a sample has 3 frames, more than the limit of 2", e.Message);
            Assert.AreEqual(3, b.Decode(new ProfileLimits { MaxStackDepth = 3 }).Samples[0].Stack.Count);
        }

        [TestMethod]
        public void FunctionIdZeroAmongRealIdsIsReserved()
        {
            var b = TwoFrames();
            b.Message.Function[0].Id = 0;

            Assert.AreEqual("malformed profile: found function with reserved ID=0", Fails(b.ToBytes()).Message);
        }

        [TestMethod]
        [DataRow("pyroscope__dotnet-pprof-3.pb.gz", 579, 41)]
        [DataRow("pyroscope__dotnet-pprof-73.pb.gz", 2819, 47)]
        public void RealDotnetProfileWithEveryFunctionIdZeroReadsIdsByPosition(string file, int samples, int functions)
        {
            // pyroscope's broken .NET producer writes Function.id = 0 everywhere and means the 1-based position
            // (dotnet/profiles/NOTES.md; pyroscope's FixFunctionIDForBrokenDotnet).
            var p = ProfileDecoder.Decode(File.ReadAllBytes(TestData.Path_("dotnet", "profiles", file)));

            Assert.AreEqual(samples, p.Samples.Count);
            var names = p.Samples.SelectMany(x => x.Stack).SelectMany(l => l.Lines).Select(l => l.Function.Name).Distinct().ToList();
            Assert.IsTrue(names.Count <= functions && names.Count > functions / 2, names.Count + " distinct functions");
            CollectionAssert.Contains(names, "WebApplication1.Controllers!CpuController.fib");
        }

        [TestMethod]
        public void DuplicateFunctionId()
        {
            var b = TwoFrames();
            b.Message.Function[1].Id = 1;

            Assert.AreEqual("malformed profile: multiple functions with same id: 1", Fails(b.ToBytes()).Message);
        }

        [TestMethod]
        public void DuplicateLocationId()
        {
            var b = TwoFrames();
            b.Message.Location[0].Id = 2;

            Assert.AreEqual("malformed profile: multiple locations with same id: 2", Fails(b.ToBytes()).Message);
        }

        [TestMethod]
        public void LocationIdZeroIsReserved()
        {
            var b = TwoFrames();
            b.Message.Location[1].Id = 0;

            Assert.AreEqual("malformed profile: found location with reserved id=0", Fails(b.ToBytes()).Message);
        }

        [TestMethod]
        public void MappingIds()
        {
            var b = TwoFrames();
            b.Message.Mapping.Add(new Proto.Mapping { Id = 0 });
            Assert.AreEqual("malformed profile: found mapping with reserved ID=0", Fails(b.ToBytes()).Message);

            b.Message.Mapping.Clear();
            b.Message.Mapping.Add(new Proto.Mapping { Id = 4 });
            b.Message.Mapping.Add(new Proto.Mapping { Id = 4 });
            Assert.AreEqual("malformed profile: multiple mappings with same id: 4", Fails(b.ToBytes()).Message);
        }

        [TestMethod]
        public void LineWithUnknownFunction()
        {
            var b = TwoFrames();
            b.Message.Location[0].Line[0].FunctionId = 9;

            Assert.AreEqual("malformed profile: location id: 1 has a line with nil function", Fails(b.ToBytes()).Message);
        }

        [TestMethod]
        public void LineWithFunctionIdZero()
        {
            var b = TwoFrames();
            b.Message.Location[1].Line[0].FunctionId = 0;

            Assert.AreEqual("malformed profile: location id: 2 has a line with nil function", Fails(b.ToBytes()).Message);
        }

        [TestMethod]
        public void SampleValueCountMismatch()
        {
            var b = TwoFrames();
            b.Message.Sample[0].Value.RemoveAt(1);

            var e = Fails(b.ToBytes());

            StringAssert.StartsWith(e.Message, "malformed profile: mismatch: sample has:");
            Assert.AreEqual("malformed profile: mismatch: sample has: 1 values vs. 2 types", e.Message);
        }

        [TestMethod]
        public void SamplesWithoutSampleTypes()
        {
            var b = TwoFrames();
            b.Message.SampleType.Clear();

            Assert.AreEqual("malformed profile: missing sample type information", Fails(b.ToBytes()).Message);
        }

        [TestMethod]
        public void SampleWithUnknownLocation()
        {
            var b = TwoFrames();
            b.Message.Sample[0].LocationId[1] = 77;

            Assert.AreEqual("malformed profile: sample has nil location", Fails(b.ToBytes()).Message);
        }

        [TestMethod]
        public void FirstStringMustBeEmpty()
        {
            var b = TwoFrames();
            b.Message.StringTable[0] = "x";

            Assert.AreEqual("parsing profile: string_table[0] must be ''", Fails(b.ToBytes()).Message);
        }

        [TestMethod]
        public void StringIndexOutOfRange()
        {
            var b = TwoFrames();
            b.Message.Function[1].Name = 99;

            Assert.AreEqual("parsing profile: string index 99 out of range (string table has 9 entries)", Fails(b.ToBytes()).Message);
        }

        [TestMethod]
        public void NegativeStringIndex()
        {
            var b = TwoFrames();
            b.Message.SampleType[1].Unit = -1;

            Assert.AreEqual("parsing profile: string index -1 out of range (string table has 9 entries)", Fails(b.ToBytes()).Message);
        }

        [TestMethod]
        public void CancellationIsHonoured()
        {
            using var cts = new CancellationTokenSource();
            cts.Cancel();

            Assert.ThrowsExactly<OperationCanceledException>(() => ProfileDecoder.Decode(TwoFrames().ToBytes(), null, cts.Token));
        }

        /// <summary>google/pprof's legacy (pre-protobuf) profiles: Go's decoder rejects them all (pprof/NOTES.md).</summary>
        [TestMethod]
        [DataRow("profile/testdata/cppbench.cpu")]
        [DataRow("profile/testdata/cppbench.heap")]
        [DataRow("profile/testdata/cppbench.growth")]
        [DataRow("profile/testdata/cppbench.contention")]
        [DataRow("profile/testdata/cppbench.thread")]
        [DataRow("profile/testdata/cppbench.thread.all")]
        [DataRow("profile/testdata/cppbench.thread.none")]
        [DataRow("profile/testdata/go.crc32.cpu")]
        [DataRow("profile/testdata/go.godoc.thread")]
        [DataRow("profile/testdata/gobench.cpu")]
        [DataRow("profile/testdata/gobench.heap")]
        [DataRow("profile/testdata/java.cpu")]
        [DataRow("profile/testdata/java.heap")]
        [DataRow("profile/testdata/java.contention")]
        [DataRow("internal/driver/testdata/cppbench.cpu")]
        [DataRow("internal/driver/testdata/cppbench.small.contention")]
        [DataRow("fuzz/testdata/7e3c92482f6f39fc502b822ded792c589849cca8")]
        public void LegacyProfilesAreRejected(string file)
        {
            var bytes = File.ReadAllBytes(TestData.Path_("pprof", file));

            var e = Fails(bytes);

            StringAssert.StartsWith(e.Message, "parsing profile: ");
        }

        [TestMethod]
        public void LegacyHeapProfileFailsWithGoReason()
        {
            // "heap profile: ..." reads as field 13 (varint), then field 12 with wire type 1: Go's "type mismatch".
            var e = Fails(File.ReadAllBytes(TestData.Path_("pprof", "profile", "testdata", "cppbench.heap")));

            Assert.AreEqual("parsing profile: type mismatch", e.Message);
        }
    }
}
