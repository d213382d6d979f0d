using System;
using System.Runtime.CompilerServices;
using System.Collections.Generic;
using System.Text;
using System.Threading;

namespace Pgo.Build.Profiles
{
    /// <summary>
    /// Reads <c>profile.proto</c> into a <see cref="ProfileData"/> in two passes, with every limit of
    /// <see cref="ProfileLimits"/> checked before what it bounds is allocated:
    /// <list type="number">
    /// <item><see cref="ReadFields"/> streams the top-level fields: strings, functions, locations, mappings and the
    /// small fields are read as they come; each sample's bytes are kept as they are (they name locations that may
    /// come later), counted against the memory budget.</item>
    /// <item><see cref="Build"/> resolves functions and locations, then decodes each kept sample straight into its
    /// final arrays (frames are counted first, so a stack costs its references and nothing more).</item>
    /// </list>
    /// Wire rules are Go's (<c>internal/profile/proto.go</c>): wire types 0, 1, 2, 5 only; a known field with another
    /// wire type is a "type mismatch"; unknown fields are skipped; repeated numbers packed or not.
    /// </summary>
    internal sealed class ProfileParser
    {
        private const int StringCost = 48, FunctionCost = 96, LocationCost = 96, LineCost = 32, SampleCost = 128, LabelCost = 40;

        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);

        private readonly ProfileLimits _limits;
        private readonly CancellationToken _cancellation;
        private readonly Dictionary<string, string> _interned = new Dictionary<string, string>(StringComparer.Ordinal);
        private readonly List<string> _strings = new List<string>();
        private readonly List<(long Type, long Unit)> _sampleTypes = new List<(long, long)>();
        private readonly List<ulong> _mappingIds = new List<ulong>();
        private readonly List<RawFunction> _functions = new List<RawFunction>();
        private readonly List<RawLocation> _locations = new List<RawLocation>();
        private readonly List<ulong> _lineFunctions = new List<ulong>();
        private readonly List<long> _lineNumbers = new List<long>();
        private readonly List<long> _comments = new List<long>();
        private readonly SampleStore _samples = new SampleStore();
        private byte[] _scratch = new byte[256];
        private long _memory;
        private long _timeNanos, _durationNanos, _period, _defaultSampleType;
        private (long Type, long Unit)? _periodType;

        public ProfileParser(ProfileLimits limits, CancellationToken cancellation)
        {
            _limits = limits;
            _cancellation = cancellation;
        }

        /// <summary>Pass 1: every top-level field of the stream.</summary>
        [MethodImpl(Jit.Optimized)]
        public void ReadFields(ProtoStream input)
        {
            long fields = 0;
            while (input.TryReadTag(out int field, out int wire))
            {
                if ((++fields & 0x3ff) == 0)
                {
                    _cancellation.ThrowIfCancellationRequested();
                }

                switch (field)
                {
                    case 1:
                        _sampleTypes.Add(ReadValueType(input, wire, (0, 0)));
                        Count(_sampleTypes.Count, "sample types", 32);
                        break;
                    case 2:
                        KeepSample(input, wire);
                        break;
                    case 3:
                        ReadMapping(Message(input, wire));
                        break;
                    case 4:
                        ReadLocation(Message(input, wire));
                        break;
                    case 5:
                        ReadFunction(Message(input, wire));
                        break;
                    case 6:
                        ReadString(input, wire);
                        break;
                    case 7:
                    case 8:
                    case 15:
                        input.ReadVarintField(wire); // drop_frames, keep_frames, doc_url: not used
                        break;
                    case 9:
                        _timeNanos = (long)input.ReadVarintField(wire);
                        break;
                    case 10:
                        _durationNanos = (long)input.ReadVarintField(wire);
                        break;
                    case 11:
                        _periodType = ReadValueType(input, wire, _periodType ?? (0, 0));
                        break;
                    case 12:
                        _period = (long)input.ReadVarintField(wire);
                        break;
                    case 13:
                        ReadComments(input, wire);
                        break;
                    case 14:
                        _defaultSampleType = (long)input.ReadVarintField(wire);
                        break;
                    default:
                        input.Skip(wire);
                        break;
                }
            }
        }

        /// <summary>Pass 2: resolves ids and strings, decodes the kept samples.</summary>
        [MethodImpl(Jit.Optimized)]
        public ProfileData Build(long decodedBytes)
        {
            if (_strings.Count > 0 && _strings[0].Length != 0)
            {
                throw new ProfileFormatException("parsing profile: string_table[0] must be ''");
            }

            var sampleTypes = new List<SampleType>(_sampleTypes.Count);
            foreach (var (type, unit) in _sampleTypes)
            {
                sampleTypes.Add(new SampleType(Str(type), Str(unit)));
            }

            var mappings = new IdTable<object>(_mappingIds.Count);
            var present = new object();
            foreach (ulong id in _mappingIds)
            {
                if (id == 0)
                {
                    throw Malformed("found mapping with reserved ID=0");
                }

                if (!mappings.TryAdd(id, present))
                {
                    throw Malformed($"multiple mappings with same id: {id}");
                }
            }

            var functions = ResolveFunctions();
            int locationCount = _locations.Count;
            var locations = ResolveLocations(functions);
            if (sampleTypes.Count == 0 && _samples.Count != 0)
            {
                throw Malformed("missing sample type information");
            }

            var samples = new List<ProfileSample>(_samples.Count);
            var decoder = new SampleDecoder(this, locations, sampleTypes.Count);
            foreach (var (buffer, start, end) in _samples.Bodies())
            {
                if ((samples.Count & 0x3ff) == 0)
                {
                    _cancellation.ThrowIfCancellationRequested();
                }

                samples.Add(decoder.Decode(buffer, start, end));
            }

            _samples.Clear();
            SampleType? periodType = _periodType is (long t, long u) ? new SampleType(OptStr(t), OptStr(u)) : (SampleType?)null;
            var comments = new string[_comments.Count];
            for (int i = 0; i < comments.Length; i++)
            {
                comments[i] = OptStr(_comments[i]);
            }

            return new ProfileData(sampleTypes, samples, _durationNanos, _period, periodType, _timeNanos, comments, OptStr(_defaultSampleType), decodedBytes, locationCount);
        }

        [MethodImpl(Jit.Optimized)]
        private IdTable<ProfileFunction> ResolveFunctions()
        {
            // Pyroscope's older .NET profiler writes Function.id = 0 for every function and means the 1-based position
            // (what Pyroscope's own FixFunctionIDForBrokenDotnet assumes). Only that exact shape is accepted; a single
            // id of 0 among real ids stays Go's error.
            bool implicitIds = _functions.Count > 0 && _functions.TrueForAll(f => f.Id == 0);
            var functions = new IdTable<ProfileFunction>(_functions.Count);
            var unique = new Dictionary<ProfileFunction, ProfileFunction>(InternedFunctionComparer.Instance);
            for (int index = 0; index < _functions.Count; index++)
            {
                if ((index & 0x3ff) == 0)
                {
                    _cancellation.ThrowIfCancellationRequested();
                }

                var f = _functions[index];
                ulong id = implicitIds ? (ulong)index + 1 : f.Id;
                if (id == 0)
                {
                    throw Malformed("found function with reserved ID=0");
                }

                var function = new ProfileFunction(Str(f.Name), Str(f.SystemName), Str(f.FileName), f.StartLine);
                if (unique.TryGetValue(function, out var same))
                {
                    function = same; // equal records share one object: later stages compare functions by reference first
                }
                else
                {
                    unique.Add(function, function);
                }

                if (!functions.TryAdd(id, function))
                {
                    throw Malformed($"multiple functions with same id: {id}");
                }
            }

            _functions.Clear();
            return functions;
        }

        [MethodImpl(Jit.Optimized)]
        private IdTable<ProfileLocation> ResolveLocations(IdTable<ProfileFunction> functions)
        {
            var locations = new IdTable<ProfileLocation>(_locations.Count);
            for (int index = 0; index < _locations.Count; index++)
            {
                if ((index & 0x3ff) == 0)
                {
                    _cancellation.ThrowIfCancellationRequested();
                }

                var l = _locations[index];
                if (l.Id == 0)
                {
                    throw Malformed("found location with reserved id=0");
                }

                var lines = l.LineCount == 0 ? Array.Empty<ProfileLine>() : new ProfileLine[l.LineCount];
                for (int i = 0; i < lines.Length; i++)
                {
                    ulong functionId = _lineFunctions[l.FirstLine + i];
                    var function = functionId == 0 ? null : functions.Get(functionId);
                    if (function == null)
                    {
                        throw Malformed($"location id: {l.Id} has a line with nil function");
                    }

                    lines[i] = new ProfileLine(function, _lineNumbers[l.FirstLine + i]);
                }

                if (!locations.TryAdd(l.Id, new ProfileLocation(l.Id, l.Address, lines) { Index = index }))
                {
                    throw Malformed($"multiple locations with same id: {l.Id}");
                }
            }

            _locations.Clear();
            _lineFunctions.Clear();
            _lineNumbers.Clear();
            return locations;
        }

        private string Str(long index)
        {
            if (index < 0 || index >= _strings.Count)
            {
                // Go reports string indexes past the table as a decoding error.
                throw new ProfileFormatException($"parsing profile: string index {index} out of range (string table has {_strings.Count} entries)");
            }

            return _strings[(int)index];
        }

        // The fields added after the first version resolve index 0 to "" even when the string table is empty,
        // so a profile the decoder used to accept still decodes.
        private string OptStr(long index) => index == 0 ? "" : Str(index);

        private void KeepSample(ProtoStream input, int wire)
        {
            ulong length = input.ReadLength(wire);
            Count(_samples.Count + 1, "samples", 0);
            Spend(SampleCost + (long)Math.Min(length, (ulong)int.MaxValue));
            if (length > int.MaxValue)
            {
                throw ProtoReader.Parsing("unexpected EOF");
            }

            _samples.Add(input, (int)length);
        }

        /// <summary>The body of a length-delimited record, read into the scratch buffer (grown only as bytes arrive).</summary>
        private ProtoReader Message(ProtoStream input, int wire)
        {
            ulong length = input.ReadLength(wire);
            if (length > (ulong)_limits.MaxDecodedBytes || length > int.MaxValue - 64)
            {
                throw ProtoReader.Parsing("unexpected EOF");
            }

            int n = (int)length;
            int have = 0;
            while (have < n)
            {
                // Grow by at most what is already read (doubling), so a length that lies costs no more than the bytes that exist.
                if (_scratch.Length < n && _scratch.Length == have)
                {
                    Array.Resize(ref _scratch, (int)Math.Min(n, Math.Max(256L, (long)_scratch.Length * 2)));
                }

                int chunk = Math.Min(n, _scratch.Length) - have;
                input.ReadExactly(_scratch, have, chunk);
                have += chunk;
            }

            return new ProtoReader(_scratch, 0, n);
        }

        private (long Type, long Unit) ReadValueType(ProtoStream input, int wire, (long Type, long Unit) value)
        {
            var r = Message(input, wire);
            while (!r.AtEnd)
            {
                var (field, w) = r.ReadTag();
                switch (field)
                {
                    case 1: value.Type = (long)r.ReadVarintField(w); break;
                    case 2: value.Unit = (long)r.ReadVarintField(w); break;
                    default: r.Skip(w); break;
                }
            }

            return value;
        }

        private void ReadMapping(ProtoReader r)
        {
            ulong id = 0;
            while (!r.AtEnd)
            {
                var (field, w) = r.ReadTag();
                if (field == 1)
                {
                    id = r.ReadVarintField(w);
                }
                else if (field >= 2 && field <= 10)
                {
                    r.ReadVarintField(w); // addresses, file name and build id indexes, flags: not kept
                }
                else
                {
                    r.Skip(w);
                }
            }

            _mappingIds.Add(id);
            Count(_mappingIds.Count, "mappings", 24);
        }

        [MethodImpl(Jit.Optimized)]
        private void ReadFunction(ProtoReader r)
        {
            var f = default(RawFunction);
            while (!r.AtEnd)
            {
                var (field, w) = r.ReadTag();
                switch (field)
                {
                    case 1: f.Id = r.ReadVarintField(w); break;
                    case 2: f.Name = (long)r.ReadVarintField(w); break;
                    case 3: f.SystemName = (long)r.ReadVarintField(w); break;
                    case 4: f.FileName = (long)r.ReadVarintField(w); break;
                    case 5: f.StartLine = (long)r.ReadVarintField(w); break;
                    default: r.Skip(w); break;
                }
            }

            _functions.Add(f);
            Count(_functions.Count, "functions", FunctionCost);
        }

        [MethodImpl(Jit.Optimized)]
        private void ReadLocation(ProtoReader r)
        {
            var l = new RawLocation { FirstLine = _lineFunctions.Count };
            while (!r.AtEnd)
            {
                var (field, w) = r.ReadTag();
                switch (field)
                {
                    case 1:
                        l.Id = r.ReadVarintField(w);
                        break;
                    case 2:
                    case 5:
                        r.ReadVarintField(w); // mapping id, is_folded: not kept
                        break;
                    case 3:
                        l.Address = r.ReadVarintField(w);
                        break;
                    case 4:
                        if (++l.LineCount > _limits.MaxLinesPerLocation)
                        {
                            throw new ProfileFormatException($"parsing profile: a location has more than {_limits.MaxLinesPerLocation} lines (the limit)");
                        }

                        Spend(LineCost);
                        ReadLine(r.Sub(r.ReadBytesField(w)));
                        break;
                    default:
                        r.Skip(w);
                        break;
                }
            }

            _locations.Add(l);
            Count(_locations.Count, "locations", LocationCost);
        }

        private void ReadLine(ProtoReader r)
        {
            ulong function = 0;
            long line = 0;
            while (!r.AtEnd)
            {
                var (field, w) = r.ReadTag();
                switch (field)
                {
                    case 1: function = r.ReadVarintField(w); break;
                    case 2: line = (long)r.ReadVarintField(w); break;
                    case 3: r.ReadVarintField(w); break; // column: not kept
                    default: r.Skip(w); break;
                }
            }

            _lineFunctions.Add(function);
            _lineNumbers.Add(line);
        }

        [MethodImpl(Jit.Optimized)]
        private void ReadString(ProtoStream input, int wire)
        {
            ulong length = input.ReadLength(wire);
            if (length > (ulong)_limits.MaxStringLength)
            {
                throw new ProfileFormatException($"parsing profile: a string of {length} bytes is longer than the limit of {_limits.MaxStringLength} bytes");
            }

            Count(_strings.Count + 1, "strings", 0);
            Spend(StringCost + 2 * (long)length);
            int n = (int)length;
            if (_scratch.Length < n)
            {
                _scratch = new byte[Math.Max(n, _scratch.Length * 2)];
            }

            input.ReadExactly(_scratch, 0, n);
            string s;
            try
            {
                s = StrictUtf8.GetString(_scratch, 0, n);
            }
            catch (DecoderFallbackException e)
            {
                throw new ProfileFormatException("parsing profile: a string is invalid UTF-8", e);
            }

            if (_interned.TryGetValue(s, out var same))
            {
                s = same;
            }
            else
            {
                _interned.Add(s, s);
            }

            _strings.Add(s);
        }

        private void ReadComments(ProtoStream input, int wire)
        {
            if (wire != WireType.Bytes)
            {
                _comments.Add((long)input.ReadVarintField(wire));
                Count(_comments.Count, "comments", 16);
                return;
            }

            var r = Message(input, wire);
            while (!r.AtEnd)
            {
                _comments.Add((long)r.ReadVarint());
                Count(_comments.Count, "comments", 16);
            }
        }

        private void Count(int count, string what, long cost)
        {
            if (count > _limits.MaxRecords)
            {
                throw new ProfileFormatException($"parsing profile: more than {_limits.MaxRecords} {what} (the limit)");
            }

            Spend(cost);
        }

        /// <summary>Adds to the estimated memory of the decoded profile; over the budget is an error.</summary>
        internal void Spend(long bytes)
        {
            _memory += bytes;
            if (_memory > _limits.MaxMemoryBytes)
            {
                throw new ProfileFormatException($"parsing profile: the decoded profile would need more than {_limits.MaxMemoryBytes} bytes of memory (the limit)");
            }
        }

        internal static ProfileFormatException Malformed(string reason) => new ProfileFormatException("malformed profile: " + reason);

        private struct RawFunction
        {
            public ulong Id;
            public long Name, SystemName, FileName, StartLine;
        }

        private struct RawLocation
        {
            public ulong Id, Address;
            public int FirstLine, LineCount;
        }

        /// <summary>Decodes one kept sample into its final arrays (counted first, then filled).</summary>
        private sealed class SampleDecoder
        {
            private readonly ProfileParser _parser;
            private readonly IdTable<ProfileLocation> _locations;
            private readonly int _types;
            private long _frameLines;

            public SampleDecoder(ProfileParser parser, IdTable<ProfileLocation> locations, int types)
            {
                _parser = parser;
                _locations = locations;
                _types = types;
            }

            [MethodImpl(Jit.Optimized)]
            public ProfileSample Decode(byte[] buffer, int start, int end)
            {
                var limits = _parser._limits;
                int frames = 0, values = 0, labels = 0;
                var r = new ProtoReader(buffer, start, end);
                while (!r.AtEnd)
                {
                    var (field, w) = r.ReadTag();
                    switch (field)
                    {
                        case 1: frames += r.CountRepeated(w); break;
                        case 2: values += r.CountRepeated(w); break;
                        case 3: labels++; r.ReadBytesField(w); break;
                        default: r.Skip(w); break;
                    }
                }

                if (values != _types)
                {
                    throw Malformed($"mismatch: sample has: {values} values vs. {_types} types");
                }

                if (frames > limits.MaxStackDepth)
                {
                    throw new ProfileFormatException($"parsing profile: a sample has {frames} frames, more than the limit of {limits.MaxStackDepth}");
                }

                if (labels > limits.MaxLabelsPerSample)
                {
                    throw new ProfileFormatException($"parsing profile: a sample has {labels} labels, more than the limit of {limits.MaxLabelsPerSample}");
                }

                _parser.Spend(8L * frames + 8L * values + (labels == 0 ? 0 : 24 + LabelCost * (long)labels));
                var stack = frames == 0 ? Array.Empty<ProfileLocation>() : new ProfileLocation[frames];
                var numbers = new long[values];
                var labelArray = labels == 0 ? null : new ProfileLabel[labels];
                int fi = 0, vi = 0, li = 0;
                r = new ProtoReader(buffer, start, end);
                while (!r.AtEnd)
                {
                    var (field, w) = r.ReadTag();
                    switch (field)
                    {
                        case 1:
                            if (w == WireType.Bytes)
                            {
                                var packed = r.Sub(r.ReadBytesField(w));
                                while (!packed.AtEnd)
                                {
                                    stack[fi++] = Location(packed.ReadVarint());
                                }
                            }
                            else
                            {
                                stack[fi++] = Location(r.ReadVarintField(w));
                            }

                            break;
                        case 2:
                            if (w == WireType.Bytes)
                            {
                                var packed = r.Sub(r.ReadBytesField(w));
                                while (!packed.AtEnd)
                                {
                                    numbers[vi++] = (long)packed.ReadVarint();
                                }
                            }
                            else
                            {
                                numbers[vi++] = (long)r.ReadVarintField(w);
                            }

                            break;
                        case 3:
                            labelArray![li++] = Label(r.Sub(r.ReadBytesField(w)));
                            break;
                        default:
                            r.Skip(w);
                            break;
                    }
                }

                return new ProfileSample(stack, numbers, labelArray);
            }

            private ProfileLocation Location(ulong id)
            {
                var location = _locations.Get(id) ?? throw Malformed("sample has nil location");
                _frameLines += Math.Max(1, location.Lines.Count);
                if (_frameLines > _parser._limits.MaxFrameLines)
                {
                    throw new ProfileFormatException($"parsing profile: the samples' stacks have more than {_parser._limits.MaxFrameLines} frames and inlined lines in total (the limit)");
                }

                return location;
            }

            private ProfileLabel Label(ProtoReader r)
            {
                long key = 0, str = 0, num = 0, unit = 0;
                while (!r.AtEnd)
                {
                    var (field, w) = r.ReadTag();
                    switch (field)
                    {
                        case 1: key = (long)r.ReadVarintField(w); break;
                        case 2: str = (long)r.ReadVarintField(w); break;
                        case 3: num = (long)r.ReadVarintField(w); break;
                        case 4: unit = (long)r.ReadVarintField(w); break;
                        default: r.Skip(w); break;
                    }
                }

                return new ProfileLabel(_parser.OptStr(key), _parser.OptStr(str), num, _parser.OptStr(unit));
            }
        }
    }
}
