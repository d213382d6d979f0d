using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using Google.Protobuf;
using Proto = Perftools.Profiles;

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
        public static byte[] Encode(ProfileData profile, bool gzip = true)
        {
            if (profile == null)
            {
                throw new ArgumentNullException(nameof(profile));
            }

            byte[] raw = new Writer().Build(profile).ToByteArray();
            return gzip ? Gzip(raw) : raw;
        }

        /// <summary>
        /// gzip through <see cref="GZipStream"/>, whose header carries no file name and a zero modification time,
        /// so equal input gives equal bytes (on one runtime: another zlib may compress differently).
        /// </summary>
        private static byte[] Gzip(byte[] raw)
        {
            using var output = new MemoryStream();
            using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
            {
                gzip.Write(raw, 0, raw.Length);
            }

            return output.ToArray();
        }

        private sealed class Writer
        {
            private readonly Proto.Profile _message = new Proto.Profile();
            private readonly Dictionary<string, long> _strings = new Dictionary<string, long>(StringComparer.Ordinal);
            private readonly Dictionary<ProfileFunction, ulong> _functions = new Dictionary<ProfileFunction, ulong>();
            private readonly Dictionary<ProfileLocation, ulong> _locationsByObject = new Dictionary<ProfileLocation, ulong>();
            private readonly Dictionary<LocationKey, ulong> _locations = new Dictionary<LocationKey, ulong>();

            public Proto.Profile Build(ProfileData profile)
            {
                Str("");
                foreach (var type in profile.SampleTypes)
                {
                    _message.SampleType.Add(ValueType(type));
                }

                foreach (var sample in profile.Samples)
                {
                    var message = new Proto.Sample();
                    foreach (var location in sample.Stack)
                    {
                        message.LocationId.Add(Location(location));
                    }

                    message.Value.Add(sample.Values);
                    foreach (var label in sample.Labels)
                    {
                        message.Label.Add(new Proto.Label
                        {
                            Key = Str(label.Key),
                            Str = Str(label.Str),
                            Num = label.Num,
                            NumUnit = Str(label.NumUnit),
                        });
                    }

                    _message.Sample.Add(message);
                }

                _message.TimeNanos = profile.TimeNanos;
                _message.DurationNanos = profile.DurationNanos;
                if (profile.PeriodType is SampleType periodType)
                {
                    _message.PeriodType = ValueType(periodType);
                }

                _message.Period = profile.Period;
                foreach (var comment in profile.Comments)
                {
                    _message.Comment.Add(Str(comment));
                }

                _message.DefaultSampleType = Str(profile.DefaultSampleType);
                return _message;
            }

            private Proto.ValueType ValueType(SampleType type) => new Proto.ValueType { Type = Str(type.Type), Unit = Str(type.Unit) };

            private long Str(string? s)
            {
                s ??= "";
                if (!_strings.TryGetValue(s, out long index))
                {
                    index = _message.StringTable.Count;
                    _message.StringTable.Add(s);
                    _strings.Add(s, index);
                }

                return index;
            }

            private ulong Location(ProfileLocation location)
            {
                if (_locationsByObject.TryGetValue(location, out ulong id))
                {
                    return id;
                }

                var key = new LocationKey(location.Address, location.Lines);
                if (!_locations.TryGetValue(key, out id))
                {
                    var message = new Proto.Location { Address = location.Address };
                    foreach (var line in location.Lines)
                    {
                        message.Line.Add(new Proto.Line { FunctionId = Function(line.Function), Line_ = line.Line });
                    }

                    id = (ulong)_message.Location.Count + 1;
                    message.Id = id;
                    _message.Location.Add(message);
                    _locations.Add(key, id);
                }

                _locationsByObject.Add(location, id);
                return id;
            }

            private ulong Function(ProfileFunction function)
            {
                if (!_functions.TryGetValue(function, out ulong id))
                {
                    id = (ulong)_message.Function.Count + 1;
                    _message.Function.Add(new Proto.Function
                    {
                        Id = id,
                        Name = Str(function.Name),
                        SystemName = Str(function.SystemName),
                        Filename = Str(function.FileName),
                        StartLine = function.StartLine,
                    });
                    _functions.Add(function, id);
                }

                return id;
            }
        }
    }

    /// <summary>
    /// A location's identity once ids are forgotten: its address and its lines (function by value, line number).
    /// </summary>
    internal sealed class LocationKey : IEquatable<LocationKey>
    {
        private readonly ulong _address;
        private readonly ProfileLine[] _lines;
        private readonly int _hash;

        public LocationKey(ulong address, IReadOnlyList<ProfileLine> lines)
        {
            _address = address;
            _lines = new ProfileLine[lines.Count];
            int hash = address.GetHashCode();
            for (int i = 0; i < _lines.Length; i++)
            {
                _lines[i] = lines[i];
                hash = unchecked((hash * 31) + lines[i].GetHashCode());
            }

            _hash = hash;
        }

        public bool Equals(LocationKey? other)
        {
            if (other == null || other._hash != _hash || other._address != _address || other._lines.Length != _lines.Length)
            {
                return false;
            }

            for (int i = 0; i < _lines.Length; i++)
            {
                if (!_lines[i].Equals(other._lines[i]))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => Equals(obj as LocationKey);

        public override int GetHashCode() => _hash;
    }
}
