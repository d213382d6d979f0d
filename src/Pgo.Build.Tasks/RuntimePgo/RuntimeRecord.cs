using System;
using System.Collections.Generic;
using System.Linq;
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

    /// <summary>Extracts the runtime records <c>pgo record</c> embedded in a profile (samples with a <c>pgo.kind</c> label).</summary>
    public static class EmbeddedPgoReader
    {
        public static IReadOnlyList<RuntimeRecord> Read(ProfileData profile)
        {
            int calls = IndexOf(profile, EmbeddedPgo.CallsType);
            int blocks = IndexOf(profile, EmbeddedPgo.BlocksType);
            if (calls < 0 && blocks < 0)
            {
                return Array.Empty<RuntimeRecord>();
            }

            var merged = new Dictionary<RuntimeRecord, long>();
            foreach (var sample in profile.Samples)
            {
                if (sample.Labels.Count == 0 || sample.Stack.Count == 0)
                {
                    continue;
                }

                long kind = -1, ilOffset = -1, other = 0, index = 0, ilSize = 0, ilHash = 0, methodHash = 0;
                string handle = "", instantiation = "";
                foreach (var label in sample.Labels)
                {
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
                long value = (calls >= 0 ? sample.Values[calls] : 0) + (blocks >= 0 ? sample.Values[blocks] : 0);
                var key = new RuntimeRecord(line.Function.SystemName, line.Function.Name, ilSize, ilHash, methodHash, instantiation,
                    line.Function.StartLine, line.Line, (int)kind, (int)ilOffset, other, (int)index, handle, 0);
                merged[key] = merged.TryGetValue(key, out long v) ? v + value : value;
            }

            var result = merged.Select(kv => kv.Key with { Value = kv.Value }).ToList();
            result.Sort(RuntimeRecord.Compare);
            return result;
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
    }
}
