namespace Pgo.Build.Profiles
{
    /// <summary>Protobuf wire types (the only ones Go's decoder knows).</summary>
    internal static class WireType
    {
        public const int Varint = 0;
        public const int Fixed64 = 1;
        public const int Bytes = 2;
        public const int Fixed32 = 5;
    }

    /// <summary>
    /// Reads protobuf fields from a region of a byte array, with Go's <c>internal/profile</c> rules: only wire types
    /// 0, 1, 2 and 5, lengths within the region, varints of at most ten bytes. Errors are <see cref="ProfileFormatException"/>
    /// ("parsing profile: ...").
    /// </summary>
    internal struct ProtoReader
    {
        private readonly byte[] _buffer;
        private int _pos;
        private readonly int _end;

        public ProtoReader(byte[] buffer, int start, int end)
        {
            _buffer = buffer;
            _pos = start;
            _end = end;
        }

        public bool AtEnd => _pos >= _end;

        public int Position => _pos;

        /// <summary>The next field's number and wire type; throws on an invalid tag or wire type.</summary>
        public (int Field, int Wire) ReadTag()
        {
            ulong tag = ReadVarint();
            int wire = (int)(tag & 7);
            if (wire != WireType.Varint && wire != WireType.Fixed64 && wire != WireType.Bytes && wire != WireType.Fixed32)
            {
                throw Parsing("unknown wire type: " + wire);
            }

            ulong field = tag >> 3;
            if (field == 0 || field > int.MaxValue)
            {
                throw Parsing("invalid field number " + field);
            }

            return ((int)field, wire);
        }

        public ulong ReadVarint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 70; shift += 7)
            {
                if (_pos >= _end)
                {
                    throw Parsing("unexpected EOF");
                }

                byte b = _buffer[_pos++];
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw Parsing("bad varint");
        }

        /// <summary>A varint field (type-checked), as Go's int64/uint64/bool decoders read it.</summary>
        public ulong ReadVarintField(int wire)
        {
            if (wire != WireType.Varint)
            {
                throw Parsing("type mismatch");
            }

            return ReadVarint();
        }

        /// <summary>The region of a length-delimited field (type-checked); the reader moves past it.</summary>
        public (int Start, int End) ReadBytesField(int wire)
        {
            if (wire != WireType.Bytes)
            {
                throw Parsing("type mismatch");
            }

            ulong length = ReadVarint();
            if (length > (ulong)(_end - _pos))
            {
                throw Parsing("unexpected EOF");
            }

            int start = _pos;
            _pos += (int)length;
            return (start, _pos);
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case WireType.Varint:
                    ReadVarint();
                    break;
                case WireType.Fixed64:
                    Advance(8);
                    break;
                case WireType.Fixed32:
                    Advance(4);
                    break;
                default:
                    ReadBytesField(wire);
                    break;
            }
        }

        /// <summary>How many values a repeated varint field holds (packed or not); the reader moves past them.</summary>
        public int CountRepeated(int wire)
        {
            if (wire != WireType.Bytes)
            {
                ReadVarintField(wire);
                return 1;
            }

            var (start, end) = ReadBytesField(wire);
            return CountVarints(_buffer, start, end);
        }

        /// <summary>The varints of a packed region (each ends with a byte below 0x80; a cut one is an error).</summary>
        public static int CountVarints(byte[] buffer, int start, int end)
        {
            int count = 0;
            for (int i = start; i < end; i++)
            {
                if (buffer[i] < 0x80)
                {
                    count++;
                }
            }

            if (end > start && buffer[end - 1] >= 0x80)
            {
                throw Parsing("unexpected EOF");
            }

            return count;
        }

        /// <summary>A reader over a region of the same buffer (a nested message or a packed field).</summary>
        public ProtoReader Sub((int Start, int End) region) => new ProtoReader(_buffer, region.Start, region.End);

        private void Advance(int n)
        {
            if (_end - _pos < n)
            {
                throw Parsing("unexpected EOF");
            }

            _pos += n;
        }

        public static ProfileFormatException Parsing(string reason) => new ProfileFormatException("parsing profile: " + reason);
    }
}
