using System;
using System.Runtime.CompilerServices;
using System.IO;

namespace Pgo.Build.Profiles
{
    /// <summary>
    /// Reads the top-level fields of a protobuf message from a stream (a decompressor's output) through a small
    /// buffer: nothing is held beyond what the caller copies out, so a decompression bomb costs no memory, and
    /// garbage stops the read at its first bytes.
    /// </summary>
    internal sealed class ProtoStream
    {
        private readonly Stream _stream;
        private readonly byte[] _buffer;
        private int _pos, _end;
        private bool _eof;

        public ProtoStream(Stream stream, int bufferSize = 64 << 10)
        {
            _stream = stream;
            _buffer = new byte[bufferSize];
        }

        /// <summary>True once the stream has ended.</summary>
        public bool Ended => _eof;

        /// <summary>Bytes consumed so far.</summary>
        public long Position { get; private set; }

        /// <summary>The next top-level field, or false at the end of the stream.</summary>
        [MethodImpl(Jit.Optimized)]
        public bool TryReadTag(out int field, out int wire)
        {
            field = wire = 0;
            if (!Fill(1))
            {
                return false;
            }

            ulong tag = ReadVarint();
            wire = (int)(tag & 7);
            if (wire != WireType.Varint && wire != WireType.Fixed64 && wire != WireType.Bytes && wire != WireType.Fixed32)
            {
                throw ProtoReader.Parsing("unknown wire type: " + wire);
            }

            ulong number = tag >> 3;
            if (number == 0 || number > int.MaxValue)
            {
                throw ProtoReader.Parsing("invalid field number " + number);
            }

            field = (int)number;
            return true;
        }

        [MethodImpl(Jit.Optimized)]
        public ulong ReadVarint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 70; shift += 7)
            {
                if (!Fill(1))
                {
                    throw ProtoReader.Parsing("unexpected EOF");
                }

                byte b = _buffer[_pos++];
                Position++;
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw ProtoReader.Parsing("bad varint");
        }

        public ulong ReadVarintField(int wire)
        {
            if (wire != WireType.Varint)
            {
                throw ProtoReader.Parsing("type mismatch");
            }

            return ReadVarint();
        }

        /// <summary>The length of a length-delimited field (type-checked).</summary>
        public ulong ReadLength(int wire)
        {
            if (wire != WireType.Bytes)
            {
                throw ProtoReader.Parsing("type mismatch");
            }

            return ReadVarint();
        }

        /// <summary>Copies <paramref name="count"/> bytes into <paramref name="destination"/>; the stream must have them.</summary>
        [MethodImpl(Jit.Optimized)]
        public void ReadExactly(byte[] destination, int offset, int count)
        {
            while (count > 0)
            {
                if (!Fill(1))
                {
                    throw ProtoReader.Parsing("unexpected EOF");
                }

                int n = Math.Min(count, _end - _pos);
                Buffer.BlockCopy(_buffer, _pos, destination, offset, n);
                _pos += n;
                Position += n;
                offset += n;
                count -= n;
            }
        }

        public void SkipBytes(ulong count)
        {
            while (count > 0)
            {
                if (!Fill(1))
                {
                    throw ProtoReader.Parsing("unexpected EOF");
                }

                int n = (int)Math.Min(count, (ulong)(_end - _pos));
                _pos += n;
                Position += n;
                count -= (ulong)n;
            }
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case WireType.Varint:
                    ReadVarint();
                    break;
                case WireType.Fixed64:
                    SkipBytes(8);
                    break;
                case WireType.Fixed32:
                    SkipBytes(4);
                    break;
                default:
                    SkipBytes(ReadLength(wire));
                    break;
            }
        }

        /// <summary>True when at least one byte is buffered (refilling from the stream as needed).</summary>
        private bool Fill(int _)
        {
            if (_pos < _end)
            {
                return true;
            }

            if (_eof)
            {
                return false;
            }

            _pos = 0;
            _end = _stream.Read(_buffer, 0, _buffer.Length);
            if (_end <= 0)
            {
                _end = 0;
                _eof = true;
                return false;
            }

            return true;
        }
    }
}
