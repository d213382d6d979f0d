using System.Collections.Generic;

namespace Pgo.Build.CallGraph
{
    /// <summary>
    /// A weighted call edge as Go's PGO names it: caller, callee and the call site as a line offset from the
    /// caller's start line. <see cref="Offset"/> is null in a method-level graph (no start lines in the profile).
    /// </summary>
    public readonly record struct CallEdge(string Caller, string Callee, long? Offset, long Weight)
    {
        public override string ToString() => $"{Caller} +{(Offset.HasValue ? Offset.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?")} -> {Callee} ({Weight})";
    }

    /// <summary>Self (flat) and inclusive (cum) weight of one function over the whole profile.</summary>
    public readonly record struct FunctionWeight(string Name, long Flat, long Cum);

    /// <summary>
    /// The preprocessed profile: Go's named edge map plus per-function weights. Pure data; this is what the
    /// cache stores, keyed on the profile's content hash, and what the hint stage reads.
    /// </summary>
    public sealed class WeightedCallGraph
    {
        public WeightedCallGraph(
            string sampleType,
            long sampleCount,
            long sampleValue,
            bool hasStartLines,
            IReadOnlyList<CallEdge> edges,
            IReadOnlyList<FunctionWeight> functions)
        {
            SampleType = sampleType;
            SampleCount = sampleCount;
            SampleValue = sampleValue;
            HasStartLines = hasStartLines;
            Edges = edges;
            Functions = functions;
            long total = 0;
            foreach (var e in edges)
            {
                total = Profiles.Saturating.Add(total, e.Weight);
            }

            TotalWeight = total;
            long flat = 0;
            foreach (var f in functions)
            {
                flat = Profiles.Saturating.Add(flat, f.Flat);
            }

            TotalFlat = flat;
        }

        public static WeightedCallGraph Empty { get; } = new WeightedCallGraph("", 0, 0, true, new CallEdge[0], new FunctionWeight[0]);

        /// <summary>The sample type whose values are the weights, e.g. <c>samples/count</c>; empty for an empty profile.</summary>
        public string SampleType { get; }

        /// <summary>Samples with a non-zero value of <see cref="SampleType"/>.</summary>
        public long SampleCount { get; }

        /// <summary>Sum of the non-zero sample values.</summary>
        public long SampleValue { get; }

        /// <summary>
        /// False when no function in the graph has a start line (every .NET producer but ours): edges are then
        /// method-level, with a null <see cref="CallEdge.Offset"/>.
        /// </summary>
        public bool HasStartLines { get; }

        /// <summary>Edges sorted like Go's <c>NamedEdgeMap.ByWeight</c>: weight desc, caller, callee, offset.</summary>
        public IReadOnlyList<CallEdge> Edges { get; }

        /// <summary>Functions sorted by flat weight desc, then cum desc, then name.</summary>
        public IReadOnlyList<FunctionWeight> Functions { get; }

        /// <summary>Go's TotalWeight: the sum of edge weights (not of sample values).</summary>
        public long TotalWeight { get; }

        /// <summary>Sum of the functions' flat weights: the total the hot-function CDF runs against.</summary>
        public long TotalFlat { get; }

        /// <summary>Go's edge order.</summary>
        public static int CompareEdges(CallEdge a, CallEdge b)
        {
            if (a.Weight != b.Weight)
            {
                return a.Weight > b.Weight ? -1 : 1;
            }

            int c = Utf8Ordinal.Instance.Compare(a.Caller, b.Caller);
            if (c != 0)
            {
                return c;
            }

            c = Utf8Ordinal.Instance.Compare(a.Callee, b.Callee);
            if (c != 0)
            {
                return c;
            }

            return System.Nullable.Compare(a.Offset, b.Offset);
        }

        public static int CompareFunctions(FunctionWeight a, FunctionWeight b)
        {
            if (a.Flat != b.Flat)
            {
                return a.Flat > b.Flat ? -1 : 1;
            }

            if (a.Cum != b.Cum)
            {
                return a.Cum > b.Cum ? -1 : 1;
            }

            return Utf8Ordinal.Instance.Compare(a.Name, b.Name);
        }
    }
}
