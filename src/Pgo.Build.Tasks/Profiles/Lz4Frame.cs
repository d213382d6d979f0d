using System;
using System.Threading;

namespace Pgo.Build.Profiles
{
    /// <summary>
    /// Decoder for the LZ4 frame format (magic <c>04 22 4D 18</c>; older Datadog .NET profilers compress their
    /// pprof output with it): frame descriptor with its checksum, linked or independent blocks, stored blocks,
    /// block and content checksums (xxHash32), concatenated and skippable frames. Dictionaries are not supported
    /// (no profiler uses them). Written from the format specification (lz4_Frame_format.md, lz4_Block_format.md).
    /// </summary>
    public static class Lz4Frame
    {
        private const uint Magic = 0x184D2204;
        private const uint SkippableMagicMask = 0xFFFFFFF0;
        private const uint SkippableMagic = 0x184D2A50;

        public static byte[] Decode(byte[] input, long maxOutput, CancellationToken cancellation = default)
        {
            var output = new Output(maxOutput);
            int pos = 0;
            bool any = false;
            while (pos < input.Length)
            {
                uint magic = ReadUInt32(input, ref pos, "frame magic");
                if ((magic & SkippableMagicMask) == SkippableMagic)
                {
                    uint size = ReadUInt32(input, ref pos, "skippable frame size");
                    if (size > input.Length - pos)
                    {
                        throw Fail("unexpected EOF in a skippable frame");
                    }

                    pos += (int)size;
                    continue;
                }

                if (magic != Magic)
                {
                    if (any)
                    {
                        throw Fail("trailing data after the last frame");
                    }

                    throw Fail("not an LZ4 frame");
                }

                any = true;
                DecodeFrame(input, ref pos, output, cancellation);
            }

            return output.ToArray();
        }

        private static void DecodeFrame(byte[] input, ref int pos, Output output, CancellationToken cancellation)
        {
            int descriptorStart = pos;
            byte flags = ReadByte(input, ref pos);
            byte bd = ReadByte(input, ref pos);
            if ((flags >> 6) != 1)
            {
                throw Fail($"unsupported frame version {flags >> 6}");
            }

            if ((flags & 0x02) != 0 || (bd & 0x8F) != 0)
            {
                throw Fail("reserved bits set in the frame descriptor");
            }

            bool blockChecksum = (flags & 0x10) != 0;
            bool contentSize = (flags & 0x08) != 0;
            bool contentChecksum = (flags & 0x04) != 0;
            if ((flags & 0x01) != 0)
            {
                throw Fail("frames that need a dictionary are not supported");
            }

            int blockMax = ((bd >> 4) & 7) switch
            {
                4 => 64 << 10,
                5 => 256 << 10,
                6 => 1 << 20,
                7 => 4 << 20,
                _ => throw Fail("invalid block maximum size"),
            };
            long declaredSize = -1;
            if (contentSize)
            {
                declaredSize = (long)ReadUInt64(input, ref pos);
            }

            int descriptorLength = pos - descriptorStart;
            byte headerChecksum = ReadByte(input, ref pos);
            if ((byte)(XxHash32.Compute(input, descriptorStart, descriptorLength) >> 8) != headerChecksum)
            {
                throw Fail("frame descriptor checksum mismatch");
            }

            int frameStart = output.Length;
            while (true)
            {
                cancellation.ThrowIfCancellationRequested();
                uint header = ReadUInt32(input, ref pos, "block size");
                if (header == 0)
                {
                    break; // end mark
                }

                bool stored = (header & 0x80000000u) != 0;
                int size = (int)(header & 0x7FFFFFFFu);
                if (size > blockMax || size > input.Length - pos)
                {
                    throw Fail(size > blockMax ? "block larger than the frame's maximum" : "unexpected EOF in a block");
                }

                if (blockChecksum)
                {
                    if (pos + size + 4 > input.Length)
                    {
                        throw Fail("unexpected EOF in a block checksum");
                    }

                    int at = pos + size;
                    if (XxHash32.Compute(input, pos, size) != ReadUInt32(input, ref at, "block checksum"))
                    {
                        throw Fail("block checksum mismatch");
                    }
                }

                if (stored)
                {
                    output.Append(input, pos, size);
                }
                else
                {
                    DecodeBlock(input, pos, size, output, frameStart);
                }

                pos += size + (blockChecksum ? 4 : 0);
            }

            if (declaredSize >= 0 && declaredSize != output.Length - frameStart)
            {
                throw Fail("content size mismatch");
            }

            if (contentChecksum)
            {
                uint expected = ReadUInt32(input, ref pos, "content checksum");
                if (XxHash32.Compute(output.Buffer, frameStart, output.Length - frameStart) != expected)
                {
                    throw Fail("content checksum mismatch");
                }
            }
        }

        /// <summary>One compressed block: sequences of literals followed by a back-reference into what is decoded.</summary>
        private static void DecodeBlock(byte[] input, int start, int length, Output output, int frameStart)
        {
            int pos = start, end = start + length;
            while (true)
            {
                if (pos >= end)
                {
                    throw Fail("unexpected end of a block");
                }

                byte token = input[pos++];
                int literals = ReadLength(input, ref pos, end, token >> 4);
                if (literals > end - pos)
                {
                    throw Fail("literals run past the block");
                }

                output.Append(input, pos, literals);
                pos += literals;
                if (pos == end)
                {
                    return; // the last sequence has literals only
                }

                if (end - pos < 2)
                {
                    throw Fail("unexpected end of a block");
                }

                int offset = input[pos] | (input[pos + 1] << 8);
                pos += 2;
                if (offset == 0 || offset > output.Length - frameStart)
                {
                    throw Fail("match offset out of range");
                }

                int match = ReadLength(input, ref pos, end, token & 0x0F) + 4;
                output.Copy(offset, match);
            }
        }

        private static int ReadLength(byte[] input, ref int pos, int end, int nibble)
        {
            long length = nibble;
            if (nibble == 15)
            {
                byte b;
                do
                {
                    if (pos >= end)
                    {
                        throw Fail("unexpected end of a block");
                    }

                    b = input[pos++];
                    length += b;
                }
                while (b == 255 && length < int.MaxValue);
            }

            if (length >= int.MaxValue)
            {
                throw Fail("sequence length out of range");
            }

            return (int)length;
        }

        private static byte ReadByte(byte[] input, ref int pos)
        {
            if (pos >= input.Length)
            {
                throw Fail("unexpected EOF in the frame descriptor");
            }

            return input[pos++];
        }

        private static uint ReadUInt32(byte[] input, ref int pos, string what)
        {
            if (input.Length - pos < 4)
            {
                throw Fail("unexpected EOF reading the " + what);
            }

            uint v = (uint)(input[pos] | input[pos + 1] << 8 | input[pos + 2] << 16 | input[pos + 3] << 24);
            pos += 4;
            return v;
        }

        private static ulong ReadUInt64(byte[] input, ref int pos)
        {
            ulong low = ReadUInt32(input, ref pos, "content size");
            ulong high = ReadUInt32(input, ref pos, "content size");
            return low | (high << 32);
        }

        private static ProfileFormatException Fail(string reason) => new ProfileFormatException("decompressing profile: lz4: " + reason);

        /// <summary>A growing buffer with the decoder's size limit.</summary>
        private sealed class Output
        {
            private readonly long _max;

            public Output(long max)
            {
                _max = max;
                Buffer = new byte[64 << 10];
            }

            public byte[] Buffer { get; private set; }

            public int Length { get; private set; }

            public void Append(byte[] source, int start, int count)
            {
                Reserve(count);
                System.Buffer.BlockCopy(source, start, Buffer, Length, count);
                Length += count;
            }

            /// <summary>Copies <paramref name="count"/> bytes from <paramref name="offset"/> back; the ranges may overlap.</summary>
            public void Copy(int offset, int count)
            {
                Reserve(count);
                var buffer = Buffer;
                int from = Length - offset, to = Length;
                for (int i = 0; i < count; i++)
                {
                    buffer[to + i] = buffer[from + i];
                }

                Length += count;
            }

            public byte[] ToArray()
            {
                var result = new byte[Length];
                System.Buffer.BlockCopy(Buffer, 0, result, 0, Length);
                return result;
            }

            private void Reserve(int count)
            {
                long needed = (long)Length + count;
                if (needed > _max)
                {
                    throw new ProfileFormatException($"decompressing profile: decompressed size exceeds the limit of {_max} bytes");
                }

                if (needed > Buffer.Length)
                {
                    long size = Math.Max(needed, Math.Min((long)Buffer.Length * 2, int.MaxValue - 64));
                    var bigger = new byte[size];
                    System.Buffer.BlockCopy(Buffer, 0, bigger, 0, Length);
                    Buffer = bigger;
                }
            }
        }
    }

    /// <summary>xxHash32 (seed 0), the checksum of the LZ4 frame format.</summary>
    internal static class XxHash32
    {
        private const uint P1 = 2654435761u, P2 = 2246822519u, P3 = 3266489917u, P4 = 668265263u, P5 = 374761393u;

        public static uint Compute(byte[] data, int start, int length)
        {
            int pos = start, end = start + length;
            uint h;
            if (length >= 16)
            {
                uint v1 = unchecked(P1 + P2), v2 = P2, v3 = 0, v4 = unchecked(0 - P1);
                int limit = end - 16;
                while (pos <= limit)
                {
                    v1 = Round(v1, Word(data, pos));
                    v2 = Round(v2, Word(data, pos + 4));
                    v3 = Round(v3, Word(data, pos + 8));
                    v4 = Round(v4, Word(data, pos + 12));
                    pos += 16;
                }

                h = unchecked(Rotl(v1, 1) + Rotl(v2, 7) + Rotl(v3, 12) + Rotl(v4, 18));
            }
            else
            {
                h = P5;
            }

            unchecked
            {
                h += (uint)length;
                while (pos + 4 <= end)
                {
                    h = Rotl(h + Word(data, pos) * P3, 17) * P4;
                    pos += 4;
                }

                while (pos < end)
                {
                    h = Rotl(h + data[pos] * P5, 11) * P1;
                    pos++;
                }

                h ^= h >> 15;
                h *= P2;
                h ^= h >> 13;
                h *= P3;
                h ^= h >> 16;
            }

            return h;
        }

        private static uint Round(uint acc, uint lane) => unchecked(Rotl(acc + lane * P2, 13) * P1);

        private static uint Rotl(uint x, int r) => (x << r) | (x >> (32 - r));

        private static uint Word(byte[] d, int i) => (uint)(d[i] | d[i + 1] << 8 | d[i + 2] << 16 | d[i + 3] << 24);
    }
}
