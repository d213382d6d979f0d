using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Threading;
using Google.Protobuf;

namespace Pgo.Build.Profiles
{
    /// <summary>
    /// Decodes pprof bytes (raw protobuf, gzip, zstd or LZ4 frame, told apart by magic bytes, never by file name) into a
    /// validated <see cref="ProfileData"/>, with the checks of Go's <c>internal/profile.Parse</c>.
    /// Every failure is a <see cref="ProfileFormatException"/> whose message follows Go's wording
    /// ("decompressing profile: ...", "parsing profile: ...", "malformed profile: ...").
    /// </summary>
    public static class ProfileDecoder
    {
        public static ProfileData Decode(byte[] bytes, ProfileLimits? limits = null, CancellationToken cancellation = default)
        {
            limits ??= ProfileLimits.Default;
            byte[] raw = Decompress(bytes, limits, cancellation);
            if (raw.Length == 0)
            {
                // Go: ErrNoData; an empty profile is accepted and means "no PGO data".
                return ProfileData.Empty;
            }

            Perftools.Profiles.Profile message;
            try
            {
                CheckWireTypes(raw);
                var input = new CodedInputStream(raw);
                message = Perftools.Profiles.Profile.Parser.ParseFrom(input);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new ProfileFormatException("parsing profile: " + e.Message, e);
            }

            cancellation.ThrowIfCancellationRequested();
            return Resolve(message, limits, cancellation);
        }

        /// <summary>The compression a profile's first bytes announce.</summary>
        public static ProfileCompression Sniff(byte[] bytes)
        {
            if (bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
            {
                return ProfileCompression.Gzip;
            }

            if (bytes.Length >= 4 && bytes[0] == 0x28 && bytes[1] == 0xb5 && bytes[2] == 0x2f && bytes[3] == 0xfd)
            {
                return ProfileCompression.Zstd;
            }

            if (bytes.Length >= 4 && bytes[0] == 0x04 && bytes[1] == 0x22 && bytes[2] == 0x4d && bytes[3] == 0x18)
            {
                return ProfileCompression.Lz4;
            }

            return ProfileCompression.None;
        }

        private static byte[] Decompress(byte[] bytes, ProfileLimits limits, CancellationToken cancellation)
        {
            switch (Sniff(bytes))
            {
                case ProfileCompression.Gzip:
                    return Gunzip(bytes, limits, cancellation);
                case ProfileCompression.Zstd:
                    return Inflate(() => new ZstdSharp.DecompressionStream(new MemoryStream(bytes, writable: false)), limits, cancellation);
                case ProfileCompression.Lz4:
                    return Lz4Frame.Decode(bytes, limits.MaxDecodedBytes, cancellation);
                default:
                    if (bytes.Length > limits.MaxDecodedBytes)
                    {
                        throw new ProfileFormatException($"parsing profile: {bytes.Length} bytes exceed the limit of {limits.MaxDecodedBytes} bytes");
                    }

                    return bytes;
            }
        }

        private static byte[] Gunzip(byte[] bytes, ProfileLimits limits, CancellationToken cancellation)
        {
            try
            {
                using var gzip = new GZipStream(new MemoryStream(bytes, writable: false), CompressionMode.Decompress);
                using var output = new MemoryStream();
                var buffer = new byte[81920];
                int read;
                while ((read = gzip.Read(buffer, 0, buffer.Length)) > 0)
                {
                    cancellation.ThrowIfCancellationRequested();
                    if (output.Length + read > limits.MaxDecodedBytes)
                    {
                        throw new ProfileFormatException($"decompressing profile: decompressed size exceeds the limit of {limits.MaxDecodedBytes} bytes");
                    }

                    output.Write(buffer, 0, read);
                }

                byte[] data = output.ToArray();
                CheckGzipTrailer(bytes, data);
                return data;
            }
            catch (InvalidDataException e)
            {
                throw new ProfileFormatException("decompressing profile: " + e.Message, e);
            }
            catch (EndOfStreamException e)
            {
                throw new ProfileFormatException("decompressing profile: unexpected EOF", e);
            }
        }

        private static bool AllFunctionIdsAreZero(Perftools.Profiles.Profile p)
        {
            foreach (var f in p.Function)
            {
                if (f.Id != 0)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>zstd (Datadog's current profiler), under the same size limit as gzip.</summary>
        private static byte[] Inflate(Func<Stream> open, ProfileLimits limits, CancellationToken cancellation)
        {
            try
            {
                using var input = open();
                using var output = new MemoryStream();
                var buffer = new byte[81920];
                int read;
                while ((read = input.Read(buffer, 0, buffer.Length)) > 0)
                {
                    cancellation.ThrowIfCancellationRequested();
                    if (output.Length + read > limits.MaxDecodedBytes)
                    {
                        throw new ProfileFormatException($"decompressing profile: decompressed size exceeds the limit of {limits.MaxDecodedBytes} bytes");
                    }

                    output.Write(buffer, 0, read);
                }

                return output.ToArray();
            }
            catch (Exception e) when (e is InvalidDataException || e is EndOfStreamException || e is IOException || e is InvalidOperationException || e is ArgumentException)
            {
                throw new ProfileFormatException("decompressing profile: " + e.Message, e);
            }
        }

        private static ProfileData Resolve(Perftools.Profiles.Profile p, ProfileLimits limits, CancellationToken cancellation)
        {
            CheckCount("samples", p.Sample.Count, limits);
            CheckCount("locations", p.Location.Count, limits);
            CheckCount("functions", p.Function.Count, limits);
            CheckCount("strings", p.StringTable.Count, limits);

            var strings = p.StringTable;
            if (strings.Count > 0 && strings[0].Length != 0)
            {
                throw new ProfileFormatException("parsing profile: string_table[0] must be ''");
            }

            string Str(long index)
            {
                if (index < 0 || index >= strings.Count)
                {
                    // Go reports string indexes past the table as a decoding error.
                    throw new ProfileFormatException($"parsing profile: string index {index} out of range (string table has {strings.Count} entries)");
                }

                return strings[(int)index];
            }

            // The fields added after the first version resolve index 0 to "" even when the string table is empty,
            // so a profile the decoder used to accept still decodes.
            string OptStr(long index) => index == 0 ? "" : Str(index);

            var sampleTypes = new List<SampleType>(p.SampleType.Count);
            foreach (var st in p.SampleType)
            {
                sampleTypes.Add(new SampleType(Str(st.Type), Str(st.Unit)));
            }

            var mappingIds = new HashSet<ulong>();
            foreach (var m in p.Mapping)
            {
                if (m.Id == 0)
                {
                    throw Malformed("found mapping with reserved ID=0");
                }

                if (!mappingIds.Add(m.Id))
                {
                    throw Malformed($"multiple mappings with same id: {m.Id}");
                }
            }

            // Pyroscope's older .NET profiler writes Function.id = 0 for every function and means the 1-based position
            // (what Pyroscope's own FixFunctionIDForBrokenDotnet assumes). Only that exact shape is accepted; a single
            // id of 0 among real ids stays Go's error.
            bool implicitIds = p.Function.Count > 0 && AllFunctionIdsAreZero(p);
            var functions = new Dictionary<ulong, ProfileFunction>(p.Function.Count);
            for (int index = 0; index < p.Function.Count; index++)
            {
                var f = p.Function[index];
                ulong id = implicitIds ? (ulong)index + 1 : f.Id;
                if (id == 0)
                {
                    throw Malformed("found function with reserved ID=0");
                }

                if (functions.ContainsKey(id))
                {
                    throw Malformed($"multiple functions with same id: {id}");
                }

                functions.Add(id, new ProfileFunction(Str(f.Name), Str(f.SystemName), Str(f.Filename), f.StartLine));
            }

            cancellation.ThrowIfCancellationRequested();
            var locations = new Dictionary<ulong, ProfileLocation>(p.Location.Count);
            foreach (var l in p.Location)
            {
                if (l.Id == 0)
                {
                    throw Malformed("found location with reserved id=0");
                }

                if (locations.ContainsKey(l.Id))
                {
                    throw Malformed($"multiple locations with same id: {l.Id}");
                }

                var lines = new ProfileLine[l.Line.Count];
                for (int i = 0; i < lines.Length; i++)
                {
                    var ln = l.Line[i];
                    if (ln.FunctionId == 0 || !functions.TryGetValue(ln.FunctionId, out var function))
                    {
                        throw Malformed($"location id: {l.Id} has a line with nil function");
                    }

                    lines[i] = new ProfileLine(function, ln.Line_);
                }

                locations.Add(l.Id, new ProfileLocation(l.Id, l.Address, lines));
            }

            if (sampleTypes.Count == 0 && p.Sample.Count != 0)
            {
                throw Malformed("missing sample type information");
            }

            var samples = new List<ProfileSample>(p.Sample.Count);
            foreach (var s in p.Sample)
            {
                if ((samples.Count & 0xfff) == 0)
                {
                    cancellation.ThrowIfCancellationRequested();
                }

                if (s.Value.Count != sampleTypes.Count)
                {
                    throw Malformed($"mismatch: sample has: {s.Value.Count} values vs. {sampleTypes.Count} types");
                }

                if (s.LocationId.Count > limits.MaxStackDepth)
                {
                    throw new ProfileFormatException($"parsing profile: a sample has {s.LocationId.Count} frames, more than the limit of {limits.MaxStackDepth}");
                }

                var stack = new ProfileLocation[s.LocationId.Count];
                for (int i = 0; i < stack.Length; i++)
                {
                    if (!locations.TryGetValue(s.LocationId[i], out var location))
                    {
                        throw Malformed("sample has nil location");
                    }

                    stack[i] = location;
                }

                var values = new long[s.Value.Count];
                s.Value.CopyTo(values, 0);
                ProfileLabel[]? labels = null;
                if (s.Label.Count != 0)
                {
                    labels = new ProfileLabel[s.Label.Count];
                    for (int i = 0; i < labels.Length; i++)
                    {
                        var label = s.Label[i];
                        labels[i] = new ProfileLabel(OptStr(label.Key), OptStr(label.Str), label.Num, OptStr(label.NumUnit));
                    }
                }

                samples.Add(new ProfileSample(stack, values, labels));
            }

            SampleType? periodType = p.PeriodType == null ? null : new SampleType(OptStr(p.PeriodType.Type), OptStr(p.PeriodType.Unit));
            var comments = new string[p.Comment.Count];
            for (int i = 0; i < comments.Length; i++)
            {
                comments[i] = OptStr(p.Comment[i]);
            }

            return new ProfileData(
                sampleTypes,
                samples,
                p.DurationNanos,
                p.Period,
                periodType,
                p.TimeNanos,
                comments,
                OptStr(p.DefaultSampleType));
        }

        /// <summary>
        /// GZipStream ends silently where truncated input ends (Go: "unexpected EOF"). A complete stream ends with
        /// the CRC-32 and size of its last member's data, i.e. of the output's last <c>size</c> bytes.
        /// </summary>
        private static void CheckGzipTrailer(byte[] gzip, byte[] data)
        {
            int n = gzip.Length;
            if (n >= 18)
            {
                uint crc = (uint)(gzip[n - 8] | gzip[n - 7] << 8 | gzip[n - 6] << 16 | gzip[n - 5] << 24);
                uint size = (uint)(gzip[n - 4] | gzip[n - 3] << 8 | gzip[n - 2] << 16 | gzip[n - 1] << 24);
                if (size <= (uint)data.Length && Crc32(data, data.Length - (int)size) == crc)
                {
                    return;
                }
            }

            throw new ProfileFormatException("decompressing profile: unexpected EOF");
        }

        private static uint Crc32(byte[] data, int start)
        {
            uint crc = 0xFFFFFFFF;
            for (int i = start; i < data.Length; i++)
            {
                crc ^= data[i];
                for (int k = 0; k < 8; k++)
                {
                    crc = (crc >> 1) ^ (0xEDB88320 & (0 - (crc & 1)));
                }
            }

            return ~crc;
        }

        /// <summary>
        /// Google.Protobuf skips a field whose wire type differs from its declaration and stops silently at a stray
        /// end-group tag, so text (a legacy heap profile, anything starting with 't') would parse as an empty profile.
        /// Go's decoder rejects both: check the top-level fields as it does (unknown field numbers are skipped).
        /// </summary>
        private static void CheckWireTypes(byte[] raw)
        {
            var input = new CodedInputStream(raw);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                var wire = WireFormat.GetTagWireType(tag);
                if (wire == WireFormat.WireType.StartGroup || wire == WireFormat.WireType.EndGroup)
                {
                    throw new ProfileFormatException("parsing profile: unknown wire type: " + (int)wire);
                }

                bool expected = WireFormat.GetTagFieldNumber(tag) switch
                {
                    >= 1 and <= 6 or 11 => wire == WireFormat.WireType.LengthDelimited, // messages, strings
                    13 => wire == WireFormat.WireType.Varint || wire == WireFormat.WireType.LengthDelimited, // comment: packed or not
                    >= 7 and <= 14 => wire == WireFormat.WireType.Varint,
                    _ => true,
                };
                if (!expected)
                {
                    throw new ProfileFormatException("parsing profile: type mismatch");
                }

                input.SkipLastField();
            }
        }

        private static void CheckCount(string what, int count, ProfileLimits limits)
        {
            if (count > limits.MaxRecords)
            {
                throw new ProfileFormatException($"parsing profile: {count} {what} exceed the limit of {limits.MaxRecords}");
            }
        }

        private static ProfileFormatException Malformed(string reason) => new ProfileFormatException("malformed profile: " + reason);
    }

    public enum ProfileCompression
    {
        None,
        Gzip,
        Zstd,
        Lz4,
    }

    /// <summary>The bytes are not a readable pprof profile (PGO002). The message is the decoder's reason.</summary>
    public sealed class ProfileFormatException : Exception
    {
        public ProfileFormatException(string message, Exception? inner = null)
            : base(message, inner)
        {
        }
    }
}
