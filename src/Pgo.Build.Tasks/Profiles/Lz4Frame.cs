using System;
using System.IO;
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
        /// <summary>The whole decompressed content, at most <paramref name="maxOutput"/> bytes.</summary>
        public static byte[] Decode(byte[] input, long maxOutput, CancellationToken cancellation = default)
        {
            using var stream = new Lz4FrameStream(input);
            using var output = new MemoryStream();
            var buffer = new byte[81920];
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                cancellation.ThrowIfCancellationRequested();
                if (output.Length + read > maxOutput)
                {
                    throw new ProfileFormatException($"decompressing profile: decompressed size exceeds the limit of {maxOutput} bytes");
                }

                output.Write(buffer, 0, read);
            }

            return output.ToArray();
        }
    }

    /// <summary>
    /// The content of LZ4 frames as a stream, one block at a time: memory is the frame's block size plus the
    /// 64 KiB a match may reach back, whatever the content size.
    /// </summary>
    public sealed class Lz4FrameStream : Stream
    {
        private const uint Magic = 0x184D2204;
        private const uint SkippableMagicMask = 0xFFFFFFF0;
        private const uint SkippableMagic = 0x184D2A50;
        private const int History = 64 << 10;

        private readonly byte[] _input;
        private int _pos;
        private bool _any;

        // The current frame.
        private bool _inFrame;
        private bool _blockChecksum, _contentChecksum;
        private int _blockMax;
        private long _declaredSize;
        private long _frameDecoded;
        private XxHash32.State _contentHash;

        // Decoded bytes: [0, _historyLength) earlier output of this frame, then the current block up to _length.
        private byte[] _window = new byte[0];
        private int _historyLength, _length, _served;

        public Lz4FrameStream(byte[] input)
        {
            _input = input;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            while (_served == _length)
            {
                if (!NextBlock())
                {
                    return 0;
                }
            }

            int n = Math.Min(count, _length - _served);
            Buffer.BlockCopy(_window, _served, buffer, offset, n);
            _served += n;
            return n;
        }

        /// <summary>Decodes the next non-empty block; false at the end of the input.</summary>
        private bool NextBlock()
        {
            while (true)
            {
                if (!_inFrame)
                {
                    if (_pos >= _input.Length)
                    {
                        return false;
                    }

                    if (!StartFrame())
                    {
                        continue; // a skippable frame
                    }
                }

                uint header = ReadUInt32("block size");
                if (header == 0)
                {
                    EndFrame();
                    continue;
                }

                bool stored = (header & 0x80000000u) != 0;
                int size = (int)(header & 0x7FFFFFFFu);
                if (size > _blockMax || size > _input.Length - _pos)
                {
                    throw Fail(size > _blockMax ? "block larger than the frame's maximum" : "unexpected EOF in a block");
                }

                if (_blockChecksum)
                {
                    if (_input.Length - _pos - size < 4)
                    {
                        throw Fail("unexpected EOF in a block checksum");
                    }

                    int at = _pos + size;
                    if (XxHash32.Compute(_input, _pos, size) != ReadUInt32At(ref at, "block checksum"))
                    {
                        throw Fail("block checksum mismatch");
                    }
                }

                Slide();
                if (stored)
                {
                    Append(_input, _pos, size);
                }
                else
                {
                    DecodeBlock(_pos, size);
                }

                _pos += size + (_blockChecksum ? 4 : 0);
                int produced = _length - _served;
                _frameDecoded += produced;
                if (_contentChecksum)
                {
                    XxHash32.Update(ref _contentHash, _window, _served, produced);
                }

                if (produced > 0)
                {
                    return true;
                }
            }
        }

        /// <summary>Reads a frame header; false for a skippable frame (skipped).</summary>
        private bool StartFrame()
        {
            uint magic = ReadUInt32("frame magic");
            if ((magic & SkippableMagicMask) == SkippableMagic)
            {
                uint size = ReadUInt32("skippable frame size");
                if (size > _input.Length - _pos)
                {
                    throw Fail("unexpected EOF in a skippable frame");
                }

                _pos += (int)size;
                return false;
            }

            if (magic != Magic)
            {
                throw Fail(_any ? "trailing data after the last frame" : "not an LZ4 frame");
            }

            _any = true;
            int descriptorStart = _pos;
            byte flags = ReadHeaderByte();
            byte bd = ReadHeaderByte();
            if ((flags >> 6) != 1)
            {
                throw Fail($"unsupported frame version {flags >> 6}");
            }

            if ((flags & 0x02) != 0 || (bd & 0x8F) != 0)
            {
                throw Fail("reserved bits set in the frame descriptor");
            }

            _blockChecksum = (flags & 0x10) != 0;
            bool contentSize = (flags & 0x08) != 0;
            _contentChecksum = (flags & 0x04) != 0;
            if ((flags & 0x01) != 0)
            {
                throw Fail("frames that need a dictionary are not supported");
            }

            _blockMax = ((bd >> 4) & 7) switch
            {
                4 => 64 << 10,
                5 => 256 << 10,
                6 => 1 << 20,
                7 => 4 << 20,
                _ => throw Fail("invalid block maximum size"),
            };
            _declaredSize = -1;
            if (contentSize)
            {
                ulong low = ReadUInt32("content size");
                ulong high = ReadUInt32("content size");
                _declaredSize = (long)(low | (high << 32));
            }

            int descriptorLength = _pos - descriptorStart;
            byte headerChecksum = ReadHeaderByte();
            if ((byte)(XxHash32.Compute(_input, descriptorStart, descriptorLength) >> 8) != headerChecksum)
            {
                throw Fail("frame descriptor checksum mismatch");
            }

            _inFrame = true;
            _frameDecoded = 0;
            _historyLength = _length = _served = 0;
            _contentHash = XxHash32.Start();
            return true;
        }

        private void EndFrame()
        {
            if (_declaredSize >= 0 && _declaredSize != _frameDecoded)
            {
                throw Fail("content size mismatch");
            }

            if (_contentChecksum)
            {
                uint expected = ReadUInt32("content checksum");
                if (XxHash32.Finish(_contentHash) != expected)
                {
                    throw Fail("content checksum mismatch");
                }
            }

            _inFrame = false;
            _historyLength = _length = _served = 0;
        }

        /// <summary>Keeps the last 64 KiB of this frame's output at the front of the window for the next block's matches.</summary>
        private void Slide()
        {
            int keep = Math.Min(_length, History);
            if (keep > 0 && _length > keep)
            {
                Buffer.BlockCopy(_window, _length - keep, _window, 0, keep);
            }

            _historyLength = _length = _served = keep;
        }

        /// <summary>One compressed block: sequences of literals followed by a back-reference into what is decoded.</summary>
        private void DecodeBlock(int start, int length)
        {
            byte[] input = _input;
            int pos = start, end = start + length;
            int blockStart = _length;
            while (true)
            {
                if (pos >= end)
                {
                    throw Fail("unexpected end of a block");
                }

                byte token = input[pos++];
                int literals = ReadLength(ref pos, end, token >> 4);
                if (literals > end - pos)
                {
                    throw Fail("literals run past the block");
                }

                Append(input, pos, literals);
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
                if (offset == 0 || offset > _length || (long)offset > _frameDecoded + (_length - blockStart))
                {
                    throw Fail("match offset out of range");
                }

                int match = ReadLength(ref pos, end, token & 0x0F) + 4;
                if (match > _blockMax - (_length - blockStart))
                {
                    throw Fail("block decodes past the frame's maximum block size");
                }

                Reserve(match);
                var window = _window;
                int from = _length - offset, to = _length;
                for (int i = 0; i < match; i++)
                {
                    window[to + i] = window[from + i];
                }

                _length += match;
            }
        }

        private void Append(byte[] source, int start, int count)
        {
            Reserve(count);
            Buffer.BlockCopy(source, start, _window, _length, count);
            _length += count;
        }

        /// <summary>Grows the window as output arrives, never past 64 KiB plus the frame's block size.</summary>
        private void Reserve(int count)
        {
            long needed = (long)_length + count;
            if (needed > _historyLength + (long)_blockMax)
            {
                throw Fail("block decodes past the frame's maximum block size");
            }

            if (needed > _window.Length)
            {
                long size = Math.Min(Math.Max(needed, (long)_window.Length * 2), History + (long)_blockMax);
                var bigger = new byte[size];
                Buffer.BlockCopy(_window, 0, bigger, 0, _length);
                _window = bigger;
            }
        }

        private int ReadLength(ref int pos, int end, int nibble)
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

                    b = _input[pos++];
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

        private byte ReadHeaderByte()
        {
            if (_pos >= _input.Length)
            {
                throw Fail("unexpected EOF in the frame descriptor");
            }

            return _input[_pos++];
        }

        private uint ReadUInt32(string what) => ReadUInt32At(ref _pos, what);

        private uint ReadUInt32At(ref int pos, string what)
        {
            if (_input.Length - pos < 4)
            {
                throw Fail("unexpected EOF reading the " + what);
            }

            uint v = (uint)(_input[pos] | _input[pos + 1] << 8 | _input[pos + 2] << 16 | _input[pos + 3] << 24);
            pos += 4;
            return v;
        }

        private static ProfileFormatException Fail(string reason) => new ProfileFormatException("decompressing profile: lz4: " + reason);
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

            return Tail(h, (uint)length, data, pos, end);
        }

        /// <summary>Running state of a hash over data that arrives in pieces.</summary>
        public struct State
        {
            internal uint V1, V2, V3, V4;
            internal long Total;
            internal byte[] Pending;
            internal int PendingLength;
        }

        public static State Start() => new State
        {
            V1 = unchecked(P1 + P2), V2 = P2, V3 = 0, V4 = unchecked(0 - P1), Pending = new byte[16],
        };

        public static void Update(ref State s, byte[] data, int start, int length)
        {
            s.Total += length;
            int pos = start, end = start + length;
            if (s.PendingLength > 0)
            {
                int take = Math.Min(16 - s.PendingLength, length);
                Buffer.BlockCopy(data, pos, s.Pending, s.PendingLength, take);
                s.PendingLength += take;
                pos += take;
                if (s.PendingLength < 16)
                {
                    return;
                }

                Stripe(ref s, s.Pending, 0);
                s.PendingLength = 0;
            }

            while (end - pos >= 16)
            {
                Stripe(ref s, data, pos);
                pos += 16;
            }

            Buffer.BlockCopy(data, pos, s.Pending, 0, end - pos);
            s.PendingLength = end - pos;
        }

        public static uint Finish(State s)
        {
            uint h = s.Total >= 16 ? unchecked(Rotl(s.V1, 1) + Rotl(s.V2, 7) + Rotl(s.V3, 12) + Rotl(s.V4, 18)) : P5;
            return Tail(h, (uint)s.Total, s.Pending, 0, s.PendingLength);
        }

        private static void Stripe(ref State s, byte[] d, int pos)
        {
            s.V1 = Round(s.V1, Word(d, pos));
            s.V2 = Round(s.V2, Word(d, pos + 4));
            s.V3 = Round(s.V3, Word(d, pos + 8));
            s.V4 = Round(s.V4, Word(d, pos + 12));
        }

        private static uint Tail(uint h, uint length, byte[] data, int pos, int end)
        {
            unchecked
            {
                h += length;
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
