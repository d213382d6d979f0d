using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Threading;
using Google.Protobuf;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.CallGraph;
using Pgo.Build.Engine;
using Pgo.Build.Hints;
using Pgo.Build.Profiles;
using Pgo.Build.RuntimePgo;
using Proto = Perftools.Profiles;

namespace Pgo.Build.Tests.Unit
{
    /// <summary>
    /// One test per class of failure the fuzzer (bench/fuzz.sh) and issue 12 found: each hostile profile is made here,
    /// in code, and must give a profile or a PGO0xx-class error (<see cref="ProfileFormatException"/>,
    /// <see cref="PgoException"/>, <see cref="ProfileMergeException"/>, <see cref="FormatException"/> for hint files),
    /// never another exception. Costs are not timed (benchmarks do that): a quadratic path would make these tests run
    /// for minutes, and the limits are checked by their messages.
    /// </summary>
    [TestClass]
    public sealed class HostileProfileTests
    {
        private static ProfileFormatException Fails(byte[] bytes, ProfileLimits? limits = null) =>
            Assert.ThrowsExactly<ProfileFormatException>(() => ProfileDecoder.Decode(bytes, limits));

        private static byte[] Zstd(byte[] raw)
        {
            using var compressor = new ZstdSharp.Compressor(3);
            return compressor.Wrap(raw).ToArray();
        }

        private static byte[] Lz4(byte[] raw)
        {
            using var ms = new MemoryStream();
            using (var lz = K4os.Compression.LZ4.Streams.LZ4Stream.Encode(ms, new K4os.Compression.LZ4.Streams.LZ4EncoderSettings { ContentChecksum = true }, leaveOpen: true))
            {
                lz.Write(raw, 0, raw.Length);
            }

            return ms.ToArray();
        }

        private static byte[] Varint(ulong v)
        {
            var bytes = new List<byte>();
            while (v >= 0x80)
            {
                bytes.Add((byte)(v | 0x80));
                v >>= 7;
            }

            bytes.Add((byte)v);
            return bytes.ToArray();
        }

        private static ulong Colliding(int i) => ((ulong)i << 32) | (uint)i;

        /// <summary>Decodes, builds both graphs, reads runtime records and merges with itself: every stage a profile reaches.</summary>
        private static void EveryStage(ProfileData profile)
        {
            int index = Math.Max(0, SampleIndex.Select(profile.SampleTypes, null, out _));
            if (profile.Samples.Count > 0)
            {
                CallGraphBuilder.Build(profile, index);
                CallGraphBuilder.Build(profile, index, allFrames: true);
            }

            EmbeddedPgoReader.Read(profile);
            ProfileEncoder.Encode(ProfileMerger.Merge(new[] { ("a", profile), ("b", profile) }).Profile);
        }

        // --- Crashes: decompressors and arithmetic -------------------------------------------------------------

        [TestMethod]
        public void Every_damaged_zstd_profile_is_PGO002()
        {
            var zstd = Zstd(PprofBuilder.Gunzip(File.ReadAllBytes(TestData.InlineHot)));
            for (int i = 4; i < zstd.Length; i++)
            {
                foreach (byte flip in new byte[] { 0x01, 0x80, 0xff })
                {
                    var damaged = (byte[])zstd.Clone();
                    damaged[i] ^= flip;
                    try
                    {
                        ProfileDecoder.Decode(damaged);
                    }
                    catch (ProfileFormatException)
                    {
                    }
                }

                Fails(zstd.Take(i).ToArray());
            }
        }

        [TestMethod]
        public void Zstd_frame_header_asking_for_a_2_GiB_window_is_PGO002()
        {
            // 9 bytes: magic, a frame header descriptor without content size, window descriptor 0xa8 (2^31 bytes).
            var e = Fails(new byte[] { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa8, 0x00, 0x00, 0x00 });

            StringAssert.StartsWith(e.Message, "decompressing profile: ");
        }

        [TestMethod]
        public void Every_damaged_lz4_and_gzip_profile_is_PGO002_or_a_profile()
        {
            var raw = PprofBuilder.Gunzip(File.ReadAllBytes(TestData.Devirt));
            foreach (var packed in new[] { Lz4(raw), PprofBuilder.Gzip(raw) })
            {
                for (int i = 2; i < packed.Length; i += 3)
                {
                    var damaged = (byte[])packed.Clone();
                    damaged[i] ^= 0x5a;
                    try
                    {
                        ProfileDecoder.Decode(damaged);
                    }
                    catch (ProfileFormatException)
                    {
                    }

                    Fails(packed.Take(i).ToArray());
                }
            }
        }

        [TestMethod]
        public void Sample_values_near_the_64_bit_limit_are_PGO002_in_the_graph_not_an_overflow()
        {
            var b = PprofBuilder.Cpu();
            ulong f = b.Function("main.f", 1);
            ulong l = b.Location(1, (f, 2));
            b.Sample(new long[] { long.MaxValue - 1, 1 }, l).Sample(new long[] { long.MaxValue - 1, 1 }, l);
            var profile = b.Decode();

            var e = Assert.ThrowsExactly<ProfileFormatException>(() => CallGraphBuilder.Build(profile, 0));
            StringAssert.Contains(e.Message, "overflow a 64-bit integer");

            using var dir = new TempDir();
            string path = dir.Write("default.pgo", b.ToBytes());
            var pgo = Assert.ThrowsExactly<PgoException>(() => PgoEngine.Run(new PgoRequest(path, dir.Combine("obj"), dir.Combine("cache")), new RecordingLog()));
            Assert.AreEqual(PgoCodes.UnreadableProfile, pgo.Code);
            Assert.IsFalse(Directory.Exists(dir.Combine("obj")) && Directory.GetFiles(dir.Combine("obj")).Length > 0, "no hint file is left");
            Assert.ThrowsExactly<ProfileMergeException>(() => ProfileMerger.Merge(new[] { ("a", profile), ("b", profile) }));
        }

        [TestMethod]
        public void Runtime_record_values_that_overflow_are_PGO002_and_consumer_sums_saturate()
        {
            var b = new PprofBuilder().SampleType("calls", "count");
            ulong f = b.Function("N.T.M", 10);
            ulong l = b.Location(1, (f, 12));
            for (int i = 0; i < 2; i++)
            {
                var sample = new Proto.Sample();
                sample.LocationId.Add(l);
                sample.Value.Add(long.MaxValue - 5);
                sample.Label.Add(new Proto.Label { Key = b.Str(EmbeddedPgo.KindLabel), Num = InstrumentationKind.HandleHistogramTypes });
                sample.Label.Add(new Proto.Label { Key = b.Str(EmbeddedPgo.IlOffsetLabel), Num = 3 });
                sample.Label.Add(new Proto.Label { Key = b.Str(EmbeddedPgo.TypeLabel), Str = b.Str("T" + i + ", A") });
                b.Message.Sample.Add(sample);
            }

            var profile = b.Decode();
            var records = EmbeddedPgoReader.Read(profile); // two records, each near the limit: fine alone
            Assert.AreEqual(2, records.Count);

            // Summed per call site by the consumers: saturated, never an OverflowException.
            var histogram = CallSiteHistogram.Of(records).Single();
            Assert.AreEqual(long.MaxValue, histogram.Slots);
            var edges = new[] { new CallEdge("N.T.M", "T0.M", 2, long.MaxValue - 1), new CallEdge("N.T.M", "T1.M", 2, long.MaxValue - 1) };
            Assert.IsNotNull(ReceiverTypeAgreement.Of(edges, records));

            b.Message.Sample[1].Label[2].Str = b.Str("T0, A"); // now the same record twice: the sum overflows
            StringAssert.Contains(Assert.ThrowsExactly<ProfileFormatException>(() => EmbeddedPgoReader.Read(b.Decode())).Message, "overflow");
        }

        // --- Hangs: hash flooding and work amplification -------------------------------------------------------

        [TestMethod]
        public void Keyed_hash_spreads_ids_that_fold_to_one_hash_code()
        {
            var folded = new HashSet<int>();
            var keyed = new HashSet<int>();
            for (int i = 1; i <= 40_000; i++)
            {
                folded.Add(Colliding(i).GetHashCode());
                keyed.Add(KeyedUInt64Comparer.Instance.GetHashCode(Colliding(i)));
            }

            Assert.AreEqual(1, folded.Count, "ulong.GetHashCode folds the halves: every i<<32|i collides");
            Assert.IsTrue(keyed.Count > 39_900, keyed.Count + " distinct keyed hash codes");
        }

        [TestMethod]
        public void Forty_thousand_colliding_ids_decode_graph_and_merge()
        {
            // Ids and addresses i<<32|i for functions, locations and mappings; labels with such numbers.
            var b = PprofBuilder.Cpu();
            long name = b.Str("main.f");
            const int N = 40_000;
            for (int i = 1; i <= N; i++)
            {
                b.Message.Mapping.Add(new Proto.Mapping { Id = Colliding(i) });
                b.Message.Function.Add(new Proto.Function { Id = Colliding(i), Name = name, StartLine = 1 });
                var location = new Proto.Location { Id = Colliding(i), Address = Colliding(i) };
                location.Line.Add(new Proto.Line { FunctionId = Colliding(i), Line_ = i });
                b.Message.Location.Add(location);
                var sample = new Proto.Sample();
                sample.LocationId.Add(new[] { Colliding(i), Colliding(i % N + 1) });
                sample.Value.Add(new long[] { 1, 10 });
                sample.Label.Add(new Proto.Label { Key = b.Str("k"), Num = (long)Colliding(i) });
                b.Message.Sample.Add(sample);
            }

            var profile = b.Decode();
            Assert.AreEqual(N, profile.Samples.Count);
            var graph = CallGraphBuilder.Build(profile, 0);
            Assert.AreEqual(N, graph.Edges.Count); // main.f +i-1 -> main.f, one per line
            Assert.AreEqual((long)N, graph.TotalWeight);
            var merged = ProfileMerger.Merge(new[] { ("a", profile), ("b", profile) }).Profile;
            Assert.AreEqual(N, merged.Samples.Count);
            Assert.AreEqual(2L, merged.Samples[0].Values[0]);
        }

        [TestMethod]
        public void Colliding_runtime_record_numbers_are_kept_apart()
        {
            var b = new PprofBuilder().SampleType("calls", "count");
            ulong f = b.Function("N.T.M", 10);
            ulong l = b.Location(1, (f, 12));
            for (int i = 1; i <= 20_000; i++)
            {
                var sample = new Proto.Sample();
                sample.LocationId.Add(l);
                sample.Value.Add(1);
                sample.Label.Add(new Proto.Label { Key = b.Str(EmbeddedPgo.KindLabel), Num = InstrumentationKind.BasicBlockIntCount });
                sample.Label.Add(new Proto.Label { Key = b.Str(EmbeddedPgo.IlOffsetLabel), Num = 0 });
                sample.Label.Add(new Proto.Label { Key = b.Str(EmbeddedPgo.IlHashLabel), Num = (long)Colliding(i) });
                b.Message.Sample.Add(sample);
            }

            Assert.AreEqual(20_000, EmbeddedPgoReader.Read(b.Decode()).Count);
        }

        [TestMethod]
        public void A_long_name_on_a_deep_stack_is_read_once()
        {
            // A 100,000-character name, 20,000 frames deep, inlined twice per location: the "over two minutes".
            var b = PprofBuilder.Cpu();
            ulong f = b.Function(new string('N', 100_000) + ".F", 1);
            var location = new Proto.Location { Id = 1 };
            location.Line.Add(new Proto.Line { FunctionId = f, Line_ = 2 });
            location.Line.Add(new Proto.Line { FunctionId = f, Line_ = 3 });
            b.Message.Location.Add(location);
            b.Sample(new long[] { 1, 10 }, Enumerable.Repeat(1UL, 20_000).ToArray());
            b.Sample(new long[] { 1, 10 }, 1UL);
            var profile = b.Decode();

            var graph = CallGraphBuilder.Build(profile, 0, allFrames: true);

            Assert.AreEqual(2L, graph.Functions.Single().Flat);
            Assert.AreEqual(2L, graph.Functions.Single().Cum); // once per sample, however deep
            EveryStage(profile);
        }

        [TestMethod]
        public void Many_edges_between_long_names_stop_at_the_spelled_names_limit()
        {
            var b = PprofBuilder.Cpu();
            ulong caller = b.Function(new string('A', 50_000) + ".F", 1);
            ulong callee = b.Function(new string('A', 50_000) + ".G", 1);
            ulong leaf = b.Location(1, (callee, 2));
            for (int i = 0; i < 200; i++)
            {
                b.Sample(new long[] { 1, 10 }, leaf, b.Location(2, (caller, 10 + i)));
            }

            var profile = b.Decode();
            var e = Assert.ThrowsExactly<ProfileFormatException>(() => CallGraphBuilder.Build(profile, 0));
            StringAssert.Contains(e.Message, "spell out more than");

            // The same profile within a larger budget builds 200 edges.
            var limits = new ProfileLimits { SpelledNameCharsPerByte = 1000 };
            Assert.AreEqual(200, CallGraphBuilder.Build(profile, 0, limits: limits).Edges.Count);
        }

        [TestMethod]
        public void One_deep_sample_does_not_make_every_later_sample_pay_for_it()
        {
            // A per-sample set cleared after a 100,000-frame sample costs its capacity on every later sample.
            var b = PprofBuilder.Cpu();
            var ids = Enumerable.Range(0, 1000).Select(i => b.Location((ulong)i, (b.Function("f" + i + ".F", 1), 2))).ToArray();
            b.Sample(new long[] { 1, 10 }, Enumerable.Range(0, 100_000).Select(i => ids[i % ids.Length]).ToArray());
            for (int i = 0; i < 20_000; i++)
            {
                b.Sample(new long[] { 1, 10 }, ids[i % 1000], ids[(i + 1) % 1000]);
            }

            var graph = CallGraphBuilder.Build(b.Decode(), 0, allFrames: true);

            Assert.AreEqual(20_001L, graph.SampleCount);
        }

        [TestMethod]
        public void Twenty_thousand_sample_types_merge()
        {
            var types = Enumerable.Range(0, 20_000).Select(i => new SampleType("t" + i, "count")).ToArray();
            var f = new ProfileFunction("main.f", "main.f", "f.go", 1);
            var location = new ProfileLocation(1, 0, new[] { new ProfileLine(f, 2) });
            var a = new ProfileData(types, new[] { new ProfileSample(new[] { location }, new long[types.Length]) });
            var reversed = new ProfileData(types.Reverse().ToArray(), new[] { new ProfileSample(new[] { location }, Enumerable.Range(0, types.Length).Select(i => (long)i).ToArray()) });

            var merged = ProfileMerger.Merge(new[] { ("a", a), ("b", reversed) }).Profile;

            CollectionAssert.AreEqual(types, merged.SampleTypes.ToArray());
            Assert.AreEqual(types.Length - 1L, merged.Samples[0].Values[0]); // t0 is the last column of the reversed input
        }

        // --- Memory: limits checked while reading --------------------------------------------------------------

        [TestMethod]
        public void A_string_longer_than_the_limit_is_refused_before_it_is_read()
        {
            // Field 6 (string_table) announcing 600 MiB: refused from its length, nothing allocated.
            var bytes = new byte[] { 0x32 }.Concat(Varint(600UL << 20)).Concat(new byte[] { 1, 2, 3 }).ToArray();

            Assert.AreEqual("parsing profile: a string of 629145600 bytes is longer than the limit of 1048576 bytes", Fails(bytes).Message);
        }

        [TestMethod]
        public void Lines_labels_frames_and_memory_are_limited_while_reading()
        {
            var b = PprofBuilder.Cpu();
            ulong f = b.Function("main.f", 1);
            ulong l = b.Location(1, (f, 2), (f, 3), (f, 4));
            var sample = new Proto.Sample();
            sample.LocationId.Add(new[] { l, l });
            sample.Value.Add(new long[] { 1, 10 });
            for (int i = 0; i < 3; i++)
            {
                sample.Label.Add(new Proto.Label { Key = b.Str("k"), Num = i });
            }

            b.Message.Sample.Add(sample);
            var bytes = b.ToBytes();

            Assert.AreEqual("parsing profile: a location has more than 2 lines (the limit)", Fails(bytes, new ProfileLimits { MaxLinesPerLocation = 2 }).Message);
            Assert.AreEqual("parsing profile: a sample has 3 labels, more than the limit of 2", Fails(bytes, new ProfileLimits { MaxLabelsPerSample = 2 }).Message);
            Assert.AreEqual("parsing profile: a string of 11 bytes is longer than the limit of 10 bytes", Fails(bytes, new ProfileLimits { MaxStringLength = 10 }).Message);
            StringAssert.StartsWith(Fails(bytes, new ProfileLimits { MaxFrameLines = 5 }).Message, "parsing profile: the samples' stacks have more than 5 frames and inlined lines");
            StringAssert.StartsWith(Fails(bytes, new ProfileLimits { MaxMemoryBytes = 500 }).Message, "parsing profile: the decoded profile would need more than 500 bytes of memory");
            Assert.AreEqual(3, ProfileDecoder.Decode(bytes).Samples[0].Labels.Count);
        }

        [TestMethod]
        public void A_compression_bomb_of_garbage_stops_at_its_first_bytes()
        {
            // 64 MiB of zeros: field number 0 is invalid, so the reader stops at once, long before any size limit.
            var zeros = new byte[1 << 20];
            using var ms = new MemoryStream();
            using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
            {
                for (int i = 0; i < 64; i++)
                {
                    gz.Write(zeros, 0, zeros.Length);
                }
            }

            var limits = new ProfileLimits { MaxDecodedBytes = 1 << 20 };
            Assert.AreEqual("parsing profile: invalid field number 0", Fails(ms.ToArray(), limits).Message);
            Assert.AreEqual("parsing profile: invalid field number 0", Fails(Zstd(new byte[8 << 20]), limits).Message);
        }

        [TestMethod]
        public void A_bomb_of_valid_protobuf_stops_at_the_size_or_record_limit()
        {
            // An unknown field of 8 MiB (skipped, as Go does) and 300,000 one-frame samples.
            var unknown = Varint((99 << 3) | 2).Concat(Varint(8 << 20)).Concat(new byte[8 << 20]).ToArray();
            var b = PprofBuilder.Cpu();
            var header = b.ToBytes();
            var samples = header.Concat(Enumerable.Range(0, 300_000).SelectMany(_ => new byte[] { 0x12, 0x04, 0x12, 0x02, 0x01, 0x01 })).ToArray();

            Assert.AreEqual("decompressing profile: decompressed size exceeds the limit of 1048576 bytes",
                Fails(Zstd(unknown), new ProfileLimits { MaxDecodedBytes = 1 << 20 }).Message);
            Assert.AreEqual("decompressing profile: decompressed size exceeds the limit of 1048576 bytes",
                Fails(Lz4(unknown), new ProfileLimits { MaxDecodedBytes = 1 << 20 }).Message);
            Assert.AreEqual("parsing profile: more than 100000 samples (the limit)", Fails(Zstd(samples), new ProfileLimits { MaxRecords = 100_000 }).Message);
            StringAssert.StartsWith(Fails(PprofBuilder.Gzip(samples), new ProfileLimits { MaxMemoryBytes = 10 << 20 }).Message, "parsing profile: the decoded profile would need more than");
        }

        [TestMethod]
        public void A_length_that_lies_costs_only_the_bytes_that_exist()
        {
            // A sample announcing 1 GiB followed by 3 bytes: an EOF, not a 1 GiB buffer.
            var bytes = PprofBuilder.Cpu().ToBytes().Concat(new byte[] { 0x12 }).Concat(Varint(1UL << 30)).Concat(new byte[] { 1, 2, 3 }).ToArray();

            Assert.AreEqual("parsing profile: unexpected EOF", Fails(bytes, new ProfileLimits { MaxMemoryBytes = 2L << 30 }).Message);
        }

        // --- Cancellation ----------------------------------------------------------------------------------------

        [TestMethod]
        public void Every_stage_honours_cancellation()
        {
            var bytes = File.ReadAllBytes(TestData.GoCompilerProfile);
            var profile = ProfileDecoder.Decode(bytes);
            using var cts = new CancellationTokenSource();
            cts.Cancel();

            Assert.ThrowsExactly<OperationCanceledException>(() => ProfileDecoder.Decode(bytes, null, cts.Token));
            Assert.ThrowsExactly<OperationCanceledException>(() => CallGraphBuilder.Build(profile, 0, cts.Token));
            Assert.ThrowsExactly<OperationCanceledException>(() => new ProfileFold(cts.Token).Add("a", profile));
            Assert.ThrowsExactly<OperationCanceledException>(() => ProfileEncoder.Encode(profile, true, cts.Token));
            var calls = new ProfileData(new[] { new SampleType("calls", "count") }, Enumerable.Range(0, 5000).Select(_ => profile.Samples[0]).ToArray());
            Assert.ThrowsExactly<OperationCanceledException>(() => EmbeddedPgoReader.Read(calls, null, cts.Token));
        }

        // --- Hint files: the consumers' readers ----------------------------------------------------------------

        [TestMethod]
        public void Hint_files_with_numbers_too_large_are_FormatException()
        {
            using var dir = new TempDir();
            var provenance = new HintProvenance(new string('0', 64), "samples/count", 99);
            var functions = new[] { new FunctionWeight("main.f", 12345, 12345) };
            var edges = new[] { new CallEdge("main.f", "main.g", 12345, 12345) };
            void Check(byte[] bytes, Action<string> read)
            {
                string text = System.Text.Encoding.UTF8.GetString(bytes).Replace("12345", "99999999999999999999");
                string path = dir.Write("hint.txt", System.Text.Encoding.UTF8.GetBytes(text));
                Assert.ThrowsExactly<FormatException>(() => read(path));
            }

            Check(HotFunctionsFile.Write(functions, 12345, provenance), p => HotFunctionsFile.Read(p));
            Check(FunctionsFile.Write(functions, 12345, provenance), p => FunctionsFile.Read(p));
            Check(InlineHintsFile.Write(edges, 12345, true, provenance), p => InlineHintsFile.Read(p));
            var record = new RuntimeRecord("A!N.T::M()", "N.T.M", 12345, 1, 1, "", 1, 1, 0x41, 1, 1, 1, "", 1);
            Check(RuntimeRecordFiles.WriteBlockCounts(new[] { record }, provenance), p => RuntimeRecordFiles.ReadBlockCounts(p));
        }
    }
}
