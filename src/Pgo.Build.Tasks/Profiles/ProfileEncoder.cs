using System;
using System.Runtime.CompilerServices;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Threading;

namespace Pgo.Build.Profiles
{
    /// <summary>
    /// Writes a <see cref="ProfileData"/> as a pprof <c>profile.proto</c> message, optionally gzip-compressed
    /// (the form <c>go tool pprof -proto</c> and Go's runtime write).
    /// </summary>
    /// <remarks>
    /// The output depends only on the profile, never on object identities or hash order:
    /// the string table lists "" first, then every string in order of first use; functions are deduplicated by
    /// (name, system name, file name, start line) and locations by (address, lines), both numbered 1..n in order
    /// of first use; samples keep their order. Only what <see cref="ProfileData"/> holds is written: no mappings,
    /// no line columns, no drop/keep frames, and unreferenced functions and locations disappear.
    /// <see cref="ProfileDecoder.Decode"/> of the output gives back the same profile (with new location ids).
    /// </remarks>
    public static class ProfileEncoder
    {
        public static byte[] Encode(ProfileData profile, bool gzip = true, CancellationToken cancellation = default)
        {
            if (profile == null)
            {
                throw new ArgumentNullException(nameof(profile));
            }

            var raw = new Writer(cancellation).Build(profile);
            return gzip ? Gzip(raw) : raw.ToArray();
        }

        /// <summary>
        /// gzip through <see cref="GZipStream"/>, whose header carries no file name and a zero modification time,
        /// so equal input gives equal bytes (on one runtime: another zlib may compress differently).
        /// </summary>
        private static byte[] Gzip(ProtoWriter raw)
        {
            using var output = new MemoryStream(raw.Length / 4 + 64);
            using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
            {
                gzip.Write(raw.Buffer, 0, raw.Length);
            }

            return output.ToArray();
        }

        /// <summary>
        /// Writes the message field by field in field-number order, proto3 style (zero scalars omitted, repeated numbers
        /// packed), the bytes Google.Protobuf writes for the same message. Samples are written as they are numbered;
        /// locations, functions and the string table follow.
        /// </summary>
        private sealed class Writer
        {
            private readonly CancellationToken _cancellation;
            private readonly ProtoWriter _out = new ProtoWriter(1 << 16);
            private readonly ProtoWriter _message = new ProtoWriter(256);
            private readonly ProtoWriter _packed = new ProtoWriter(256);
            private readonly StringIds _strings = new StringIds();
            private readonly Dictionary<ProfileFunction, ulong> _functionsByObject = new Dictionary<ProfileFunction, ulong>(ByReference<ProfileFunction>.Instance);
            private readonly Dictionary<(int, int, int, long), ulong> _functions = new Dictionary<(int, int, int, long), ulong>(FunctionKeyComparer.Instance);
            private readonly List<ProfileFunction> _functionList = new List<ProfileFunction>();
            private readonly Dictionary<ProfileLocation, ulong> _locationsByObject = new Dictionary<ProfileLocation, ulong>(ByReference<ProfileLocation>.Instance);
            private readonly Dictionary<LocationKey, ulong> _locations = new Dictionary<LocationKey, ulong>(LocationKey.Comparer.Instance);
            private readonly List<LocationKey> _locationList = new List<LocationKey>();
            private ulong[]? _byIndex;

            public Writer(CancellationToken cancellation)
            {
                _cancellation = cancellation;
            }

            [MethodImpl(Jit.Optimized)]
            public ProtoWriter Build(ProfileData profile)
            {
                _byIndex = profile.LocationCount > 0 ? new ulong[profile.LocationCount] : null;
                Str("");
                foreach (var type in profile.SampleTypes)
                {
                    ValueType(1, type);
                }

                int count = 0;
                foreach (var sample in profile.Samples)
                {
                    if ((++count & 0x3ff) == 0)
                    {
                        _cancellation.ThrowIfCancellationRequested();
                    }

                    Sample(sample);
                }

                foreach (var location in _locationList)
                {
                    _message.Clear();
                    _message.Varint(1, location.Id);
                    _message.Varint(3, location.Address);
                    foreach (var (function, line) in location.Lines)
                    {
                        _packed.Clear();
                        _packed.Varint(1, function);
                        _packed.Varint(2, (ulong)line);
                        _message.Bytes(4, _packed);
                    }

                    _out.Bytes(4, _message);
                }

                for (int i = 0; i < _functionList.Count; i++)
                {
                    var f = _functionList[i];
                    _message.Clear();
                    _message.Varint(1, (ulong)i + 1);
                    _message.Varint(2, (ulong)Str(f.Name));
                    _message.Varint(3, (ulong)Str(f.SystemName));
                    _message.Varint(4, (ulong)Str(f.FileName));
                    _message.Varint(5, (ulong)f.StartLine);
                    _out.Bytes(5, _message);
                }

                // The header's strings come after the samples' in the table, as the message builder numbered them.
                long periodTypeStrings = 0;
                if (profile.PeriodType is SampleType periodType)
                {
                    periodTypeStrings = 1;
                    Str(periodType.Type);
                    Str(periodType.Unit);
                }

                var comments = new long[profile.Comments.Count];
                for (int i = 0; i < comments.Length; i++)
                {
                    comments[i] = Str(profile.Comments[i]);
                }

                long defaultSampleType = Str(profile.DefaultSampleType);
                for (int i = 0; i < _strings.Count; i++)
                {
                    _out.String(6, _strings[i]);
                }

                _out.Varint(9, (ulong)profile.TimeNanos);
                _out.Varint(10, (ulong)profile.DurationNanos);
                if (periodTypeStrings != 0)
                {
                    ValueType(11, profile.PeriodType!.Value);
                }

                _out.Varint(12, (ulong)profile.Period);
                if (comments.Length > 0)
                {
                    _packed.Clear();
                    foreach (long c in comments)
                    {
                        _packed.RawVarint((ulong)c);
                    }

                    _out.Bytes(13, _packed);
                }

                _out.Varint(14, (ulong)defaultSampleType);
                return _out;
            }

            private void ValueType(int field, SampleType type)
            {
                _message.Clear();
                _message.Varint(1, (ulong)Str(type.Type));
                _message.Varint(2, (ulong)Str(type.Unit));
                _out.Bytes(field, _message);
            }

            [MethodImpl(Jit.Optimized)]
            private void Sample(ProfileSample sample)
            {
                _message.Clear();
                if (sample.Stack.Count > 0)
                {
                    _packed.Clear();
                    foreach (var location in sample.Stack)
                    {
                        _packed.RawVarint(Location(location));
                    }

                    _message.Bytes(1, _packed);
                }

                if (sample.Values.Length > 0)
                {
                    _packed.Clear();
                    foreach (long v in sample.Values)
                    {
                        _packed.RawVarint((ulong)v);
                    }

                    _message.Bytes(2, _packed);
                }

                foreach (var label in sample.Labels)
                {
                    _packed.Clear();
                    _packed.Varint(1, (ulong)Str(label.Key));
                    _packed.Varint(2, (ulong)Str(label.Str));
                    _packed.Varint(3, (ulong)label.Num);
                    _packed.Varint(4, (ulong)Str(label.NumUnit));
                    _message.Bytes(3, _packed);
                }

                _out.Bytes(2, _message);
            }

            private long Str(string? s) => _strings.Id(s ?? "");

            [MethodImpl(Jit.Optimized)]
            private ulong Location(ProfileLocation location)
            {
                bool indexed = _byIndex != null && location.Index >= 0 && location.Index < _byIndex.Length;
                if (indexed && _byIndex![location.Index] != 0)
                {
                    return _byIndex[location.Index];
                }

                if (!indexed && _locationsByObject.TryGetValue(location, out ulong id))
                {
                    return id;
                }

                var lines = new (ulong Function, long Line)[location.Lines.Count];
                for (int i = 0; i < lines.Length; i++)
                {
                    lines[i] = (Function(location.Lines[i].Function), location.Lines[i].Line);
                }

                var key = new LocationKey(0, location.Address, lines);
                if (!_locations.TryGetValue(key, out id))
                {
                    id = (ulong)_locationList.Count + 1;
                    key = new LocationKey(id, location.Address, lines);
                    _locationList.Add(key);
                    _locations.Add(key, id);
                }

                if (indexed)
                {
                    _byIndex![location.Index] = id;
                }
                else
                {
                    _locationsByObject.Add(location, id);
                }

                return id;
            }

            private ulong Function(ProfileFunction function)
            {
                if (_functionsByObject.TryGetValue(function, out ulong id))
                {
                    return id;
                }

                var key = ((int)Str(function.Name), (int)Str(function.SystemName), (int)Str(function.FileName), function.StartLine);
                if (!_functions.TryGetValue(key, out id))
                {
                    id = (ulong)_functionList.Count + 1;
                    _functionList.Add(function);
                    _functions.Add(key, id);
                }

                _functionsByObject.Add(function, id);
                return id;
            }
        }

        private sealed class FunctionKeyComparer : IEqualityComparer<(int Name, int System, int File, long Start)>
        {
            public static readonly FunctionKeyComparer Instance = new FunctionKeyComparer();

            public bool Equals((int Name, int System, int File, long Start) x, (int Name, int System, int File, long Start) y) => x == y;

            public int GetHashCode((int Name, int System, int File, long Start) k) =>
                KeyedHash.Of(((ulong)(uint)k.Name << 32) | (uint)k.System, (uint)k.File, (ulong)k.Start);
        }

        /// <summary>A location's identity once ids are forgotten: its address and its lines (function id, line number).</summary>
        private readonly struct LocationKey
        {
            public LocationKey(ulong id, ulong address, (ulong Function, long Line)[] lines)
            {
                Id = id;
                Address = address;
                Lines = lines;
            }

            public ulong Id { get; }
            public ulong Address { get; }
            public (ulong Function, long Line)[] Lines { get; }

            public sealed class Comparer : IEqualityComparer<LocationKey>
            {
                public static readonly Comparer Instance = new Comparer();

                public bool Equals(LocationKey x, LocationKey y)
                {
                    if (x.Address != y.Address || x.Lines.Length != y.Lines.Length)
                    {
                        return false;
                    }

                    for (int i = 0; i < x.Lines.Length; i++)
                    {
                        if (x.Lines[i] != y.Lines[i])
                        {
                            return false;
                        }
                    }

                    return true;
                }

                public int GetHashCode(LocationKey k)
                {
                    var h = KeyedHash.Add(KeyedHash.Start(), k.Address);
                    foreach (var (function, line) in k.Lines)
                    {
                        h = KeyedHash.Add(h, function);
                        h = KeyedHash.Add(h, (ulong)line);
                    }

                    return KeyedHash.Finish(h);
                }
            }
        }
    }
}
