using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Pgo.Tool.Recording
{
    /// <summary>
    /// Reads an EventPipe trace (.nettrace, format versions 4 and 5: what .NET Core 3.0 to .NET 10 write) into
    /// <see cref="TraceContents"/> in one streaming pass: the SampleProfiler's stacks as raw return addresses, and the
    /// runtime's method load, IL-to-native map and module events (live or rundown) that symbolize them.
    /// The format (FastSerialization objects holding metadata, stack, event and sequence-point blocks, with compressed
    /// event headers) is described in microsoft/perfview src/TraceEvent/EventPipe/NetTraceFormat_v5.md; the payload
    /// layouts are the runtime's (ClrEtwAll.man). Reading the file directly, instead of through TraceEvent's TraceLog,
    /// skips the intermediate .etlx file and keeps the tool free of reflection-based serialization (NativeAOT).
    /// </summary>
    internal static class NettraceReader
    {
        private const string SampleProfilerProvider = "Microsoft-DotNETCore-SampleProfiler";
        private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
        private const string RundownProvider = "Microsoft-Windows-DotNETRuntimeRundown";

        /// <summary>Reads the trace at <paramref name="nettracePath"/>; <paramref name="progress"/> gets (bytes read, file length).</summary>
        public static TraceContents Read(string nettracePath, Action<long, long>? progress = null) => Read(new[] { nettracePath }, progress);

        /// <summary>
        /// Reads several traces of one process into one <see cref="TraceContents"/>, e.g. a session with the method events
        /// and short sampling sessions beside it (addresses are the process's own, so one code map serves all);
        /// <paramref name="progress"/> gets (bytes read, total length of the files).
        /// </summary>
        public static TraceContents Read(IReadOnlyList<string> nettracePaths, Action<long, long>? progress = null)
        {
            var contents = new TraceContents();
            long total = 0, before = 0;
            foreach (var path in nettracePaths)
            {
                total += new FileInfo(path).Length;
            }

            foreach (var path in nettracePaths)
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
                long offset = before;
                new Parser(stream, contents, progress == null ? null : (done, _) => progress(offset + done, total)).Run();
                before += stream.Length;
            }

            return contents;
        }

        /// <summary>What kind of event a metadata id stands for (only the kinds the profile needs are told apart).</summary>
        private enum EventKind
        {
            Other,
            ThreadSample,
            MethodLoadVerbose,
            MethodUnloadVerbose,
            MethodILToNativeMap,
            ModuleLoad,
        }

        private sealed class Parser
        {
            private const byte NullReference = 1;
            private const byte BeginPrivateObject = 5;
            private const byte EndObject = 6;

            private readonly Stream _stream;
            private readonly TraceContents _contents;
            private readonly Action<long, long>? _progress;
            private readonly long _length;
            private readonly Dictionary<int, EventKind> _metadata = new Dictionary<int, EventKind>();
            private readonly Dictionary<int, ulong[]> _stacks = new Dictionary<int, ulong[]>();
            private readonly Dictionary<(ulong MethodId, ulong ReJitId), CodeVersion> _methods = new Dictionary<(ulong, ulong), CodeVersion>();
            private long _position;
            private byte[] _block = new byte[1 << 16];
            private int _pointerSize = 8;
            private long _syncQpc;
            private long _qpcFrequency = 1;
            private DateTime _syncUtc;
            private long _minTimestamp = long.MaxValue;
            private long _maxTimestamp = long.MinValue;

            public Parser(Stream stream, TraceContents contents, Action<long, long>? progress)
            {
                _stream = stream;
                _contents = contents;
                _progress = progress;
                _length = stream.CanSeek ? stream.Length : 0;
            }

            public void Run()
            {
                ReadHeader();
                try
                {
                    while (true)
                    {
                        int tag = _stream.ReadByte();
                        if (tag < 0)
                        {
                            // The runtime writes the closing NullReference tag when the session ends; a process killed
                            // before that leaves a trace without it: what was read is kept.
                            _contents.Truncated = true;
                            break;
                        }

                        _position++;
                        if (tag == NullReference)
                        {
                            break;
                        }

                        Expect(tag, BeginPrivateObject, "an object");
                        ReadObject();
                        _progress?.Invoke(_position, _length);
                    }
                }
                catch (EndOfStreamException)
                {
                    // Cut in the middle of a block: everything before it is kept.
                    _contents.Truncated = true;
                }

                if (_minTimestamp <= _maxTimestamp)
                {
                    var first = ToUtc(_minTimestamp);
                    var last = ToUtc(_maxTimestamp);
                    _contents.FirstEvent = _contents.FirstEvent is DateTime f && f < first ? f : first;
                    _contents.LastEvent = _contents.LastEvent is DateTime l && l > last ? l : last;
                }
            }

            private void ReadHeader()
            {
                Span<byte> magic = stackalloc byte[8];
                if (!TryReadExactly(magic) || !magic.SequenceEqual("Nettrace"u8))
                {
                    throw new FormatException("not an EventPipe trace (no 'Nettrace' header; the older .netperf format of .NET Core 2.x is not read)");
                }

                string serializer = ReadString();
                if (serializer != "!FastSerialization.1")
                {
                    throw new FormatException($"unexpected serialization header '{serializer}'");
                }
            }

            private void ReadObject()
            {
                // The type: BeginPrivateObject, NullReference (the type of a type), version, minimum reader version, name, EndObject.
                Expect(ReadByte(), BeginPrivateObject, "a type");
                Expect(ReadByte(), NullReference, "a type's type");
                int version = ReadInt32();
                int minimumReaderVersion = ReadInt32();
                string name = ReadString();
                Expect(ReadByte(), EndObject, "the end of a type");
                switch (name)
                {
                    case "Trace":
                        if (minimumReaderVersion > 5)
                        {
                            throw new FormatException($"nettrace format version {version} is not supported (this tool reads versions 4 and 5, which .NET runtimes write by default)");
                        }

                        ReadTrace();
                        break;
                    case "MetadataBlock":
                        ReadEventBlock(metadata: true);
                        break;
                    case "EventBlock":
                        ReadEventBlock(metadata: false);
                        break;
                    case "StackBlock":
                        ReadStackBlock();
                        break;
                    case "SPBlock":
                        ReadBlock(); // sequence points: dropped-event accounting and sort barriers, not needed here
                        break;
                    default:
                        throw new FormatException($"unknown object '{name}' in the trace");
                }

                Expect(ReadByte(), EndObject, "the end of " + name);
            }

            private void ReadTrace()
            {
                var fields = new byte[16 + 8 + 8 + 4 * 4];
                ReadExactly(fields);
                short Field(int i) => BinaryPrimitives.ReadInt16LittleEndian(fields.AsSpan(i * 2));
                try
                {
                    _syncUtc = new DateTime(Field(0), Field(1), Field(3), Field(4), Field(5), Field(6), Field(7), DateTimeKind.Utc);
                }
                catch (ArgumentOutOfRangeException)
                {
                    _syncUtc = DateTime.UnixEpoch;
                }

                _syncQpc = BinaryPrimitives.ReadInt64LittleEndian(fields.AsSpan(16));
                _qpcFrequency = Math.Max(1, BinaryPrimitives.ReadInt64LittleEndian(fields.AsSpan(24)));
                _pointerSize = BinaryPrimitives.ReadInt32LittleEndian(fields.AsSpan(32));
                if (_pointerSize != 4 && _pointerSize != 8)
                {
                    throw new FormatException($"unexpected pointer size {_pointerSize} in the trace header");
                }
            }

            private DateTime ToUtc(long qpc) => _syncUtc.AddTicks((long)((qpc - _syncQpc) * (10_000_000.0 / _qpcFrequency)));

            /// <summary>A block's size, the padding to a 4-byte file offset, then that many bytes (returned).</summary>
            private ReadOnlySpan<byte> ReadBlock()
            {
                int size = ReadInt32();
                if (size < 0)
                {
                    throw new FormatException($"negative block size {size}");
                }

                int padding = (int)((4 - (_position % 4)) % 4);
                if (padding > 0)
                {
                    ReadExactly(_block.AsSpan(0, padding));
                }

                if (_block.Length < size)
                {
                    _block = new byte[Math.Max(size, _block.Length * 2)];
                }

                var span = _block.AsSpan(0, size);
                ReadExactly(span);
                return span;
            }

            private void ReadStackBlock()
            {
                var block = new SpanReader(ReadBlock());
                int firstId = block.Int32();
                int count = block.Int32();
                for (int i = 0; i < count; i++)
                {
                    int size = block.Int32();
                    var bytes = block.Bytes(size);
                    var addresses = new ulong[size / _pointerSize];
                    for (int a = 0; a < addresses.Length; a++)
                    {
                        addresses[a] = _pointerSize == 8
                            ? BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(a * 8))
                            : BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(a * 4));
                    }

                    _stacks[firstId + i] = addresses;
                }
            }

            private void ReadEventBlock(bool metadata)
            {
                var data = ReadBlock();
                var block = new SpanReader(data);
                int headerSize = block.Int16();
                int flags = block.Int16();
                if (headerSize < 4 || headerSize > data.Length)
                {
                    throw new FormatException($"bad block header size {headerSize}");
                }

                block.Position = headerSize;
                bool compressed = (flags & 1) != 0;
                var header = new EventHeader();
                while (block.Position < data.Length)
                {
                    if (compressed)
                    {
                        header.ReadCompressed(ref block);
                    }
                    else
                    {
                        header.ReadUncompressed(ref block);
                    }

                    var payload = block.Bytes(header.PayloadSize);
                    if (!compressed)
                    {
                        block.Position = (block.Position + 3) & ~3;
                    }

                    if (metadata)
                    {
                        ReadMetadata(payload);
                    }
                    else
                    {
                        OnEvent(header, payload);
                    }
                }
            }

            private void ReadMetadata(ReadOnlySpan<byte> payload)
            {
                var reader = new SpanReader(payload);
                int id = reader.Int32();
                string provider = reader.Utf16String();
                int eventId = reader.Int32();
                _metadata[id] = Classify(provider, eventId);
            }

            /// <summary>Event ids of the runtime's providers (ClrEtwAll.man); the rundown provider numbers its events differently.</summary>
            private static EventKind Classify(string provider, int eventId) => provider switch
            {
                SampleProfilerProvider when eventId == 0 => EventKind.ThreadSample,
                RuntimeProvider => eventId switch
                {
                    143 => EventKind.MethodLoadVerbose,
                    144 => EventKind.MethodUnloadVerbose,
                    190 => EventKind.MethodILToNativeMap,
                    152 => EventKind.ModuleLoad,
                    _ => EventKind.Other,
                },
                RundownProvider => eventId switch
                {
                    143 or 144 => EventKind.MethodLoadVerbose, // MethodDCStartVerbose, MethodDCEndVerbose: methods alive at rundown
                    149 or 150 => EventKind.MethodILToNativeMap, // MethodDCStartILToNativeMap, MethodDCEndILToNativeMap
                    153 or 154 => EventKind.ModuleLoad, // ModuleDCStart, ModuleDCEnd
                    _ => EventKind.Other,
                },
                _ => EventKind.Other,
            };

            private void OnEvent(in EventHeader header, ReadOnlySpan<byte> payload)
            {
                _minTimestamp = Math.Min(_minTimestamp, header.Timestamp);
                _maxTimestamp = Math.Max(_maxTimestamp, header.Timestamp);
                if (!_metadata.TryGetValue(header.MetadataId, out var kind))
                {
                    return;
                }

                var reader = new SpanReader(payload);
                switch (kind)
                {
                    case EventKind.ThreadSample:
                        // Payload: the sample's type, 0 error, 1 external (not running managed code), 2 managed (on CPU).
                        if (payload.Length >= 4 && reader.Int32() != 2)
                        {
                            _contents.ExternalSamples++;
                        }
                        else if (_stacks.TryGetValue(header.StackId, out var stack) && stack.Length > 0)
                        {
                            _contents.Samples.Add(new StackSample(stack));
                        }

                        break;
                    case EventKind.ModuleLoad:
                    {
                        // ModuleID, AssemblyID, ModuleFlags, Reserved1, ModuleILPath, ModuleNativePath, ...
                        ulong moduleId = reader.UInt64();
                        reader.Skip(8 + 4 + 4);
                        string path = reader.Utf16String();
                        if (path.Length > 0)
                        {
                            _contents.Modules[moduleId] = path;
                        }

                        break;
                    }

                    case EventKind.MethodLoadVerbose:
                        OnMethodLoad(ref reader);
                        break;
                    case EventKind.MethodILToNativeMap:
                        OnILToNativeMap(ref reader);
                        break;
                }
            }

            private void OnMethodLoad(ref SpanReader reader)
            {
                // MethodID, ModuleID, MethodStartAddress, MethodSize, MethodToken, MethodFlags, MethodNamespace, MethodName,
                // MethodSignature, ClrInstanceID (version 1+), ReJITID (version 2+).
                ulong methodId = reader.UInt64();
                ulong moduleId = reader.UInt64();
                ulong start = reader.UInt64();
                uint size = reader.UInt32();
                int token = reader.Int32();
                reader.Skip(4);
                string ns = reader.Utf16String();
                string name = reader.Utf16String();
                string signature = reader.Utf16String();
                ulong rejitId = 0;
                if (reader.Remaining >= 2 + 8)
                {
                    reader.Skip(2);
                    rejitId = reader.UInt64();
                }

                var code = new CodeVersion(start, size, new JittedMethod(moduleId, token, ns, name, signature));
                var key = (methodId, rejitId);
                if (_methods.TryGetValue(key, out var earlier) && earlier.Start == code.Start)
                {
                    return; // the same body again (a rundown event after the load event)
                }

                _methods[key] = code;
                _contents.Code.Add(code);
            }

            private void OnILToNativeMap(ref SpanReader reader)
            {
                // MethodID, ReJITID, MethodExtent, CountOfMapEntries, ILOffsets[count], NativeOffsets[count], ClrInstanceID.
                ulong methodId = reader.UInt64();
                ulong rejitId = reader.UInt64();
                reader.Skip(1);
                int count = reader.UInt16();
                if (!_methods.TryGetValue((methodId, rejitId), out var target))
                {
                    return;
                }

                var il = reader.Bytes(count * 4);
                var native = reader.Bytes(count * 4);
                var entries = new (uint Native, int Il)[count];
                for (int i = 0; i < count; i++)
                {
                    entries[i] = (BinaryPrimitives.ReadUInt32LittleEndian(native.Slice(i * 4)), BinaryPrimitives.ReadInt32LittleEndian(il.Slice(i * 4)));
                }

                Array.Sort(entries, (a, b) => a.Native != b.Native ? a.Native.CompareTo(b.Native) : a.Il.CompareTo(b.Il));
                target.Map = entries;
            }

            private static void Expect(int actual, byte expected, string what)
            {
                if (actual != expected)
                {
                    throw new FormatException($"malformed trace: expected {what} (tag {expected}), found tag {actual}");
                }
            }

            private byte ReadByte()
            {
                int b = _stream.ReadByte();
                if (b < 0)
                {
                    throw new EndOfStreamException();
                }

                _position++;
                return (byte)b;
            }

            private int ReadInt32()
            {
                Span<byte> bytes = stackalloc byte[4];
                ReadExactly(bytes);
                return BinaryPrimitives.ReadInt32LittleEndian(bytes);
            }

            private string ReadString()
            {
                int length = ReadInt32();
                if (length < 0 || length > 1 << 16)
                {
                    throw new FormatException($"bad string length {length}");
                }

                var bytes = new byte[length];
                ReadExactly(bytes);
                return Encoding.UTF8.GetString(bytes);
            }

            private void ReadExactly(Span<byte> buffer)
            {
                if (!TryReadExactly(buffer))
                {
                    throw new EndOfStreamException();
                }
            }

            private bool TryReadExactly(Span<byte> buffer)
            {
                int read = _stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
                _position += read;
                return read == buffer.Length;
            }
        }

        /// <summary>
        /// The header of one event blob. Compressed headers carry only what changed since the previous event of the block
        /// (flag bits say which fields follow; sequence numbers and timestamps are deltas).
        /// </summary>
        private struct EventHeader
        {
            public int MetadataId;
            public int SequenceNumber;
            public long CaptureThreadId;
            public int ProcessorNumber;
            public long ThreadId;
            public int StackId;
            public long Timestamp;
            public int PayloadSize;

            public void ReadCompressed(ref SpanReader reader)
            {
                byte flags = reader.Byte();
                if ((flags & 1) != 0)
                {
                    MetadataId = (int)reader.VarUInt32();
                }

                if ((flags & 2) != 0)
                {
                    SequenceNumber += (int)reader.VarUInt32();
                    CaptureThreadId = (long)reader.VarUInt64();
                    ProcessorNumber = (int)reader.VarUInt32();
                }

                if (MetadataId != 0)
                {
                    SequenceNumber++;
                }

                if ((flags & 4) != 0)
                {
                    ThreadId = (long)reader.VarUInt64();
                }

                if ((flags & 8) != 0)
                {
                    StackId = (int)reader.VarUInt32();
                }

                Timestamp += (long)reader.VarUInt64();
                if ((flags & 16) != 0)
                {
                    reader.Skip(16); // activity id
                }

                if ((flags & 32) != 0)
                {
                    reader.Skip(16); // related activity id
                }

                if ((flags & 128) != 0)
                {
                    PayloadSize = (int)reader.VarUInt32();
                }
            }

            public void ReadUncompressed(ref SpanReader reader)
            {
                reader.Skip(4); // event size
                MetadataId = reader.Int32() & 0x7FFFFFFF; // the high bit is the IsSorted flag
                SequenceNumber = reader.Int32();
                ThreadId = reader.Int64();
                CaptureThreadId = reader.Int64();
                ProcessorNumber = reader.Int32();
                StackId = reader.Int32();
                Timestamp = reader.Int64();
                reader.Skip(32); // activity ids
                PayloadSize = reader.Int32();
            }
        }

        /// <summary>Little-endian reads from a span, with bounds checked (a malformed trace is a FormatException).</summary>
        private ref struct SpanReader
        {
            private readonly ReadOnlySpan<byte> _data;

            public SpanReader(ReadOnlySpan<byte> data)
            {
                _data = data;
                Position = 0;
            }

            public int Position { get; set; }

            public int Remaining => _data.Length - Position;

            public ReadOnlySpan<byte> Bytes(int count)
            {
                if (count < 0 || count > Remaining)
                {
                    throw new FormatException($"malformed trace: a record of {count} bytes runs past the end of its block");
                }

                var span = _data.Slice(Position, count);
                Position += count;
                return span;
            }

            public void Skip(int count) => Bytes(count);

            public byte Byte() => Bytes(1)[0];

            public int Int16() => BinaryPrimitives.ReadInt16LittleEndian(Bytes(2));

            public int UInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2));

            public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4));

            public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));

            public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Bytes(8));

            public ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8));

            public uint VarUInt32()
            {
                ulong value = VarUInt64();
                if (value > uint.MaxValue)
                {
                    throw new FormatException("malformed trace: a 32-bit varint is too large");
                }

                return (uint)value;
            }

            public ulong VarUInt64()
            {
                ulong value = 0;
                for (int shift = 0; shift < 70; shift += 7)
                {
                    byte b = Byte();
                    value |= (ulong)(b & 0x7F) << shift;
                    if ((b & 0x80) == 0)
                    {
                        return value;
                    }
                }

                throw new FormatException("malformed trace: a varint is longer than 10 bytes");
            }

            /// <summary>A NUL-terminated UTF-16 string (the payload encoding of strings).</summary>
            public string Utf16String()
            {
                var rest = _data.Slice(Position);
                int end = 0;
                while (end + 1 < rest.Length && (rest[end] != 0 || rest[end + 1] != 0))
                {
                    end += 2;
                }

                if (end + 1 >= rest.Length)
                {
                    throw new FormatException("malformed trace: an unterminated string");
                }

                Position += end + 2;
                return Encoding.Unicode.GetString(rest.Slice(0, end));
            }
        }
    }
}
