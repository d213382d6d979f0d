using System;
using System.Collections.Generic;
using System.Threading;
using Pgo.Build.Profiles;

namespace Pgo.Build.RuntimePgo
{
    /// <summary>
    /// One value of the runtime's instrumentation data as a profile carries it (docs/profile-encoding.md): the
    /// method it belongs to (identity, IL size and fingerprint when recorded, source position), the record
    /// (kind, IL offset, Other, index), the handle of a histogram entry and the count.
    /// </summary>
    public sealed record RuntimeRecord(
        string Method,
        string MethodName,
        long IlSize,
        long IlHash,
        long MethodHash,
        string Instantiation,
        long StartLine,
        long Line,
        int Kind,
        int IlOffset,
        long Other,
        int Index,
        string Handle,
        long Value)
    {
        public bool IsCallRecord => InstrumentationKind.IsCallRecord(Kind);

        /// <summary>Deterministic order: method, instantiation, IL offset, kind, index, handle.</summary>
        public static int Compare(RuntimeRecord a, RuntimeRecord b)
        {
            int c = string.CompareOrdinal(a.Method, b.Method);
            if (c == 0) c = string.CompareOrdinal(a.Instantiation, b.Instantiation);
            if (c == 0) c = a.IlHash.CompareTo(b.IlHash);
            if (c == 0) c = a.IlOffset.CompareTo(b.IlOffset);
            if (c == 0) c = a.Kind.CompareTo(b.Kind);
            if (c == 0) c = a.Other.CompareTo(b.Other);
            if (c == 0) c = a.Index.CompareTo(b.Index);
            if (c == 0) c = string.CompareOrdinal(a.Handle, b.Handle);
            return c;
        }
    }

    /// <summary>
    /// Extracts the runtime records <c>pgo record</c> embedded in a profile (samples with a <c>pgo.kind</c> label).
    /// Records with equal fields are summed (checked: an overflow is a <see cref="ProfileFormatException"/>); strings are
    /// numbered once (<see cref="StringIds"/>) and numbers hashed with <see cref="KeyedHash"/>, so the cost is
    /// proportional to the profile whatever its names and numbers.
    /// </summary>
    public static class EmbeddedPgoReader
    {
        /// <summary>Longest label key we read: longer keys are none of ours, skipped without comparing their text.</summary>
        private const int MaxKeyLength = 24;

        public static IReadOnlyList<RuntimeRecord> Read(ProfileData profile, ProfileLimits? limits = null, CancellationToken cancellation = default)
        {
            int calls = IndexOf(profile, EmbeddedPgo.CallsType);
            int blocks = IndexOf(profile, EmbeddedPgo.BlocksType);
            if (calls < 0 && blocks < 0)
            {
                return Array.Empty<RuntimeRecord>();
            }

            limits ??= ProfileLimits.Default;
            var strings = new StringIds();
            var merged = new Dictionary<RecordKey, int>(RecordKey.Comparer.Instance);
            var keys = new List<RecordKey>();
            var values = new List<long>();
            long spelled = 0, maxSpelled = limits.SpelledNameLimit(profile.DecodedBytes);
            int seen = 0;
            foreach (var sample in profile.Samples)
            {
                if ((++seen & 0x3ff) == 0)
                {
                    cancellation.ThrowIfCancellationRequested();
                }

                if (sample.Labels.Count == 0 || sample.Stack.Count == 0)
                {
                    continue;
                }

                long kind = -1, ilOffset = -1, other = 0, index = 0, ilSize = 0, ilHash = 0, methodHash = 0;
                string handle = "", instantiation = "";
                foreach (var label in sample.Labels)
                {
                    if (label.Key.Length > MaxKeyLength)
                    {
                        continue;
                    }

                    switch (label.Key)
                    {
                        case EmbeddedPgo.KindLabel: kind = label.Num; break;
                        case EmbeddedPgo.IlOffsetLabel: ilOffset = label.Num; break;
                        case EmbeddedPgo.OtherLabel: other = label.Num; break;
                        case EmbeddedPgo.IndexLabel: index = label.Num; break;
                        case EmbeddedPgo.IlSizeLabel: ilSize = label.Num; break;
                        case EmbeddedPgo.IlHashLabel: ilHash = label.Num; break;
                        case EmbeddedPgo.MethodHashLabel: methodHash = label.Num; break;
                        case EmbeddedPgo.InstantiationLabel: instantiation = label.Str; break;
                        case EmbeddedPgo.TypeLabel:
                        case EmbeddedPgo.MethodLabel: handle = label.Str; break;
                    }
                }

                if (kind < 0 || ilOffset < 0 || kind > int.MaxValue || ilOffset > int.MaxValue)
                {
                    continue;
                }

                // The method is the outermost frame: [method] for counts, [target, method at the call line] for entries.
                var frame = sample.Stack[sample.Stack.Count - 1];
                if (frame.Lines.Count == 0)
                {
                    continue;
                }

                var line = frame.Lines[frame.Lines.Count - 1];
                long value = Add(calls >= 0 ? sample.Values[calls] : 0, blocks >= 0 ? sample.Values[blocks] : 0);
                var key = new RecordKey(
                    strings.Id(line.Function.SystemName), strings.Id(line.Function.Name), strings.Id(instantiation), strings.Id(handle),
                    ilSize, ilHash, methodHash, line.Function.StartLine, line.Line, (int)kind, (int)ilOffset, other, (int)index);
                if (merged.TryGetValue(key, out int at))
                {
                    values[at] = Add(values[at], value);
                    continue;
                }

                merged.Add(key, keys.Count);
                keys.Add(key);
                values.Add(value);
                spelled += (long)line.Function.SystemName.Length + line.Function.Name.Length + instantiation.Length + handle.Length;
                if (spelled > maxSpelled)
                {
                    throw new ProfileFormatException($"the runtime PGO records spell out more than {maxSpelled} characters of names (the limit)");
                }
            }

            var result = new List<RuntimeRecord>(keys.Count);
            for (int i = 0; i < keys.Count; i++)
            {
                var k = keys[i];
                result.Add(new RuntimeRecord(strings[k.Method], strings[k.Name], k.IlSize, k.IlHash, k.MethodHash, strings[k.Instantiation],
                    k.StartLine, k.Line, k.Kind, k.IlOffset, k.Other, k.Index, strings[k.Handle], values[i]));
            }

            cancellation.ThrowIfCancellationRequested();
            result.Sort(RuntimeRecord.Compare); // equal strings are one object here: compared in constant time
            return result;
        }

        private static long Add(long a, long b)
        {
            try
            {
                return checked(a + b);
            }
            catch (OverflowException)
            {
                throw new ProfileFormatException("the runtime PGO values overflow a 64-bit integer when summed");
            }
        }

        private static int IndexOf(ProfileData profile, string type)
        {
            for (int i = 0; i < profile.SampleTypes.Count; i++)
            {
                if (profile.SampleTypes[i].Type == type && profile.SampleTypes[i].Unit == EmbeddedPgo.CountUnit)
                {
                    return i;
                }
            }

            return -1;
        }

        private readonly struct RecordKey
        {
            public RecordKey(int method, int name, int instantiation, int handle, long ilSize, long ilHash, long methodHash, long startLine, long line,
                int kind, int ilOffset, long other, int index)
            {
                Method = method;
                Name = name;
                Instantiation = instantiation;
                Handle = handle;
                IlSize = ilSize;
                IlHash = ilHash;
                MethodHash = methodHash;
                StartLine = startLine;
                Line = line;
                Kind = kind;
                IlOffset = ilOffset;
                Other = other;
                Index = index;
            }

            public int Method { get; }
            public int Name { get; }
            public int Instantiation { get; }
            public int Handle { get; }
            public long IlSize { get; }
            public long IlHash { get; }
            public long MethodHash { get; }
            public long StartLine { get; }
            public long Line { get; }
            public int Kind { get; }
            public int IlOffset { get; }
            public long Other { get; }
            public int Index { get; }

            public sealed class Comparer : IEqualityComparer<RecordKey>
            {
                public static readonly Comparer Instance = new Comparer();

                public bool Equals(RecordKey x, RecordKey y) =>
                    x.Method == y.Method && x.Name == y.Name && x.Instantiation == y.Instantiation && x.Handle == y.Handle &&
                    x.IlSize == y.IlSize && x.IlHash == y.IlHash && x.MethodHash == y.MethodHash && x.StartLine == y.StartLine &&
                    x.Line == y.Line && x.Kind == y.Kind && x.IlOffset == y.IlOffset && x.Other == y.Other && x.Index == y.Index;

                public int GetHashCode(RecordKey k)
                {
                    var h = KeyedHash.Start();
                    h = KeyedHash.Add(h, ((ulong)(uint)k.Method << 32) | (uint)k.Name);
                    h = KeyedHash.Add(h, ((ulong)(uint)k.Instantiation << 32) | (uint)k.Handle);
                    h = KeyedHash.Add(h, (ulong)k.IlSize);
                    h = KeyedHash.Add(h, (ulong)k.IlHash);
                    h = KeyedHash.Add(h, (ulong)k.MethodHash);
                    h = KeyedHash.Add(h, (ulong)k.StartLine);
                    h = KeyedHash.Add(h, (ulong)k.Line);
                    h = KeyedHash.Add(h, ((ulong)(uint)k.Kind << 32) | (uint)k.IlOffset);
                    h = KeyedHash.Add(h, (ulong)k.Other);
                    h = KeyedHash.Add(h, (ulong)(uint)k.Index);
                    return KeyedHash.Finish(h);
                }
            }
        }
    }
}
