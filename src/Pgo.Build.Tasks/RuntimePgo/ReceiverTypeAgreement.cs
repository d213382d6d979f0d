using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Pgo.Build.CallGraph;
using Pgo.Build.Naming;

namespace Pgo.Build.RuntimePgo
{
    /// <summary>
    /// Whether a profile's two measurements of the same run agree on receiver types: the runtime's histograms (what
    /// the compilers will guard for) and the CPU samples' call edges. A call site is checked when the samples show
    /// its caller, on its line, calling a method of a type the runtime recorded as a receiver somewhere; it agrees when
    /// one of those sampled types is in the histograms of that line, and contradicts when none is. Inlining in the
    /// recorded run hides some direct calls (the samples then show the inlined callee's own calls), so single sites may
    /// disagree in a sound profile; a profile whose contradicting sites outweigh the agreeing ones is not sound (its
    /// runtime data was damaged, shuffled or spliced from another run), and a wrong guarded devirtualization makes
    /// the program slower than none. Which of its records are wrong cannot be told, so all of its runtime data is
    /// then left out (PGO106); the CPU samples still drive the build.
    /// </summary>
    public sealed record ReceiverTypeAgreement(int Agreeing, int Contradicting, long AgreeingWeight, long ContradictingWeight)
    {
        /// <summary>Contradicting call sites needed before a profile's histograms are distrusted.</summary>
        public const int MinContradicting = 2;

        public static readonly ReceiverTypeAgreement None = new ReceiverTypeAgreement(0, 0, 0, 0);

        public int Checked => Agreeing + Contradicting;

        /// <summary>The samples contradict the histograms: more contradicting sites (by sampled weight) than agreeing ones.</summary>
        public bool Contradicted => Contradicting >= MinContradicting && ContradictingWeight > AgreeingWeight;

        public override string ToString() => string.Format(CultureInfo.InvariantCulture,
            "receiver types checked against the CPU samples at {0:N0} call sites: {1:N0} agree (sampled weight {2:N0}), {3:N0} contradict (weight {4:N0})",
            Checked, Agreeing, AgreeingWeight, Contradicting, ContradictingWeight);

        /// <summary>Compares the sampled call edges of <paramref name="edges"/> with the receiver-type histograms of <paramref name="records"/>.</summary>
        public static ReceiverTypeAgreement Of(IEnumerable<CallEdge> edges, IReadOnlyList<RuntimeRecord> records)
        {
            // Recorded receiver types per (caller, line offset), and per caller over all its lines (profiles without lines).
            var byLine = new Dictionary<(string Caller, long Offset), HashSet<string>>(CallerLineComparer.Instance);
            var byCaller = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            var receivers = new HashSet<string>(StringComparer.Ordinal);
            foreach (var r in records)
            {
                if (r.Kind != InstrumentationKind.HandleHistogramTypes || r.Handle.Length == 0 || r.StartLine <= 0)
                {
                    continue;
                }

                string? caller = FrameNames.Parse(r.MethodName, r.Method)?.Key;
                string? type = TypeKey(RuntimeHandles.TypePart(r.Handle));
                if (caller == null || type == null)
                {
                    continue;
                }

                receivers.Add(type);
                Add(byLine, (caller, r.Line - r.StartLine), type);
                Add(byCaller, caller, type);
            }

            if (receivers.Count == 0)
            {
                return None;
            }

            // Sampled receiver types per call site: callees that are methods of a recorded receiver type.
            var sampled = new SortedDictionary<(string Caller, long Offset), Dictionary<string, long>>();
            foreach (var edge in edges)
            {
                var caller = FrameNames.Parse(edge.Caller)?.Key;
                var callee = FrameNames.Parse(edge.Callee);
                if (caller == null || callee == null)
                {
                    continue;
                }

                string type = callee.Key.Substring(0, Math.Max(0, FrameNames.LastSeparator(callee.Key)));
                if (!receivers.Contains(type))
                {
                    continue;
                }

                var site = (caller, edge.Offset ?? long.MinValue);
                if (!sampled.TryGetValue(site, out var weights))
                {
                    sampled.Add(site, weights = new Dictionary<string, long>(StringComparer.Ordinal));
                }

                weights[type] = Profiles.Saturating.Add(weights.TryGetValue(type, out long w) ? w : 0, edge.Weight);
            }

            int agreeing = 0, contradicting = 0;
            long agreeingWeight = 0, contradictingWeight = 0;
            foreach (var kv in sampled)
            {
                var recorded = kv.Key.Offset == long.MinValue
                    ? (byCaller.TryGetValue(kv.Key.Caller, out var all) ? all : null)
                    : (byLine.TryGetValue(kv.Key, out var line) ? line : null);
                if (recorded == null)
                {
                    continue;
                }

                long weight = Profiles.Saturating.Sum(kv.Value.Values);
                if (kv.Value.Keys.Any(recorded.Contains))
                {
                    agreeing++;
                    agreeingWeight = Profiles.Saturating.Add(agreeingWeight, weight);
                }
                else
                {
                    contradicting++;
                    contradictingWeight = Profiles.Saturating.Add(contradictingWeight, weight);
                }
            }

            return new ReceiverTypeAgreement(agreeing, contradicting, agreeingWeight, contradictingWeight);
        }

        /// <summary>The records a build uses: all of them, or none when <see cref="Contradicted"/>.</summary>
        public IReadOnlyList<RuntimeRecord> Apply(IReadOnlyList<RuntimeRecord> records) =>
            Contradicted ? Array.Empty<RuntimeRecord>() : records;

        /// <summary>The key of a runtime type name (<c>Ns.Outer+Inner</c>, <c>List`1[[...]]</c>) as a frame's type part.</summary>
        private static string? TypeKey(string runtimeTypeName)
        {
            string? key = FrameNames.KeyOf(runtimeTypeName.Trim() + ".M");
            return key?.Substring(0, key.Length - 2);
        }

        private static void Add<TKey>(Dictionary<TKey, HashSet<string>> map, TKey key, string type)
            where TKey : notnull
        {
            if (!map.TryGetValue(key, out var set))
            {
                map.Add(key, set = new HashSet<string>(StringComparer.Ordinal));
            }

            set.Add(type);
        }
    }

    /// <summary>(caller, line offset) keys: the offset is the profile's choice, so it is hashed with a per-process key.</summary>
    internal sealed class CallerLineComparer : IEqualityComparer<(string Caller, long Offset)>
    {
        public static readonly CallerLineComparer Instance = new CallerLineComparer();

        public bool Equals((string Caller, long Offset) x, (string Caller, long Offset) y) =>
            x.Offset == y.Offset && string.Equals(x.Caller, y.Caller, StringComparison.Ordinal);

        public int GetHashCode((string Caller, long Offset) k) => StringComparer.Ordinal.GetHashCode(k.Caller) ^ Profiles.KeyedHash.Of((ulong)k.Offset);
    }
}
