using System;
using System.IO;
using System.Linq;
using K4os.Compression.LZ4;
using K4os.Compression.LZ4.Streams;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Profiles;

namespace Pgo.Build.Tests.Unit
{
    /// <summary>
    /// Our LZ4 frame decoder against an independent encoder (K4os.Compression.LZ4.Streams, tests only) on a real
    /// .NET profile, in every frame layout older Datadog profilers could have written.
    /// </summary>
    [TestClass]
    public sealed class Lz4FrameTests
    {
        private static readonly byte[] Raw = File.ReadAllBytes(TestData.Path_("dotnet", "profiles", "pyroscope__dotnet-pprof-211.pb.gz"));

        private static byte[] Compress(byte[] data, int blockSize = 64 * 1024, bool chain = true, bool blockChecksum = false, bool contentChecksum = true,
            LZ4Level level = LZ4Level.L00_FAST, bool contentLength = false)
        {
            using var output = new MemoryStream();
            var settings = new LZ4EncoderSettings
            {
                BlockSize = blockSize,
                ChainBlocks = chain,
                BlockChecksum = blockChecksum,
                ContentChecksum = contentChecksum,
                CompressionLevel = level,
            };
            using (var lz4 = LZ4Stream.Encode(output, settings, leaveOpen: true))
            {
                lz4.Write(data, 0, data.Length);
            }

            return contentLength ? WithContentSize(output.ToArray(), data.Length) : output.ToArray();
        }

        /// <summary>
        /// The encoder never writes the optional content size; add it the way the format says (FLG bit 3, 8 bytes
        /// after BD, the descriptor checksum recomputed with the reference xxHash32).
        /// </summary>
        private static byte[] WithContentSize(byte[] frame, long size)
        {
            var descriptor = new[] { (byte)(frame[4] | 0x08), frame[5] }.Concat(BitConverter.GetBytes(size)).ToArray();
            byte checksum = (byte)(K4os.Hash.xxHash.XXH32.DigestOf(descriptor, 0, descriptor.Length) >> 8);
            return frame.Take(4).Concat(descriptor).Append(checksum).Concat(frame.Skip(7)).ToArray();
        }

        [TestMethod]
        [DataRow(64 * 1024, true, false, true, LZ4Level.L00_FAST, false)]
        [DataRow(64 * 1024, false, true, false, LZ4Level.L00_FAST, false)]
        [DataRow(256 * 1024, true, true, true, LZ4Level.L09_HC, true)]
        [DataRow(4 * 1024 * 1024, false, false, false, LZ4Level.L12_MAX, true)]
        public void RealProfileRoundTripsThroughEveryFrameLayout(int blockSize, bool chain, bool blockChecksum, bool contentChecksum, LZ4Level level, bool contentLength)
        {
            byte[] lz4 = Compress(Raw, blockSize, chain, blockChecksum, contentChecksum, level, contentLength);
            Assert.AreEqual(ProfileCompression.Lz4, ProfileDecoder.Sniff(lz4));
            Assert.IsTrue(lz4.Length < Raw.Length, "compressed");

            CollectionAssert.AreEqual(Raw, Lz4Frame.Decode(lz4, long.MaxValue));
            var fromLz4 = ProfileDecoder.Decode(lz4);
            var fromRaw = ProfileDecoder.Decode(Raw);
            Assert.AreEqual(fromRaw.Samples.Count, fromLz4.Samples.Count);
            Assert.AreEqual(fromRaw.Samples.Sum(x => x.Values[0]), fromLz4.Samples.Sum(x => x.Values[0]));
        }

        [TestMethod]
        public void IncompressibleDataIsStoredAndConcatenatedFramesAndSkippableFramesAreRead()
        {
            var random = new byte[200_000];
            new Random(7).NextBytes(random);
            byte[] skippable = { 0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9 };
            byte[] both = Compress(random, chain: false).Concat(skippable).Concat(Compress(Raw)).ToArray();

            CollectionAssert.AreEqual(random.Concat(Raw).ToArray(), Lz4Frame.Decode(both, long.MaxValue));
        }

        [TestMethod]
        public void DamagedTruncatedAndOversizedFramesAreClearErrors()
        {
            byte[] lz4 = Compress(Raw, blockChecksum: true);

            var flipped = (byte[])lz4.Clone();
            flipped[lz4.Length / 2] ^= 0x40;
            StringAssert.StartsWith(Fails(flipped).Message, "decompressing profile: lz4: ");
            StringAssert.Contains(Fails(flipped).Message, "checksum mismatch");

            var header = (byte[])lz4.Clone();
            header[5] ^= 0x10; // block size code: the descriptor checksum no longer fits
            Assert.AreEqual("decompressing profile: lz4: frame descriptor checksum mismatch", Fails(header).Message);

            StringAssert.StartsWith(Fails(lz4.Take(lz4.Length - 9).ToArray()).Message, "decompressing profile: lz4: unexpected EOF");

            var limited = Assert.ThrowsExactly<ProfileFormatException>(() => ProfileDecoder.Decode(lz4, new ProfileLimits { MaxDecodedBytes = Raw.Length - 1 }));
            StringAssert.Contains(limited.Message, "exceeds the limit");

            var trailing = lz4.Concat(new byte[] { 1, 2, 3, 4 }).ToArray();
            Assert.AreEqual("decompressing profile: lz4: trailing data after the last frame", Fails(trailing).Message);
        }

        [TestMethod]
        public void XxHash32MatchesTheReferenceImplementation()
        {
            Assert.AreEqual(0x02CC5D05u, XxHash32.Compute(Array.Empty<byte>(), 0, 0)); // XXH32 of nothing, seed 0
            var random = new Random(11);
            foreach (int length in new[] { 1, 3, 4, 15, 16, 17, 31, 32, 33, 100, 4097 })
            {
                var bytes = new byte[length + 5];
                random.NextBytes(bytes);
                Assert.AreEqual(K4os.Hash.xxHash.XXH32.DigestOf(bytes, 5, length), XxHash32.Compute(bytes, 5, length), "length " + length);
            }
        }

        private static ProfileFormatException Fails(byte[] bytes) =>
            Assert.ThrowsExactly<ProfileFormatException>(() => ProfileDecoder.Decode(bytes));
    }
}
