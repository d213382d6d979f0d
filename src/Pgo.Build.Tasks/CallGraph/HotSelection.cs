using System;
using System.Collections.Generic;

namespace Pgo.Build.CallGraph
{
    /// <summary>
    /// Go's CDF rule (<c>cmd/compile/internal/inline.hotNodesFromCDF</c>): walk the weights in descending order
    /// accumulating; the hot set is the prefix up to and including the entry at which the cumulative share first
    /// exceeds the threshold percentage. When it is never exceeded, everything is hot.
    /// </summary>
    public static class HotSelection
    {
        public const double DefaultThreshold = 99;

        /// <summary>How many of <paramref name="weightsDescending"/> are hot.</summary>
        public static int CountHot(IReadOnlyList<long> weightsDescending, long total, double thresholdPercent)
        {
            long cum = 0;
            for (int i = 0; i < weightsDescending.Count; i++)
            {
                cum = Profiles.Saturating.Add(cum, weightsDescending[i]);
                if (WeightInPercentage(cum, total) > thresholdPercent)
                {
                    return i + 1;
                }
            }

            return weightsDescending.Count;
        }

        /// <summary>The hot prefix of the graph's edges (Go's hot call sites).</summary>
        public static IReadOnlyList<CallEdge> HotCallSites(WeightedCallGraph graph, double thresholdPercent)
        {
            var weights = new long[graph.Edges.Count];
            for (int i = 0; i < weights.Length; i++)
            {
                weights[i] = graph.Edges[i].Weight;
            }

            return Prefix(graph.Edges, CountHot(weights, graph.TotalWeight, thresholdPercent));
        }

        /// <summary>The hot prefix of the graph's functions by flat weight; functions without flat weight are never hot.</summary>
        public static IReadOnlyList<FunctionWeight> HotFunctions(WeightedCallGraph graph, double thresholdPercent)
        {
            var weights = new List<long>(graph.Functions.Count);
            foreach (var f in graph.Functions)
            {
                if (f.Flat <= 0)
                {
                    break; // sorted by flat descending
                }

                weights.Add(f.Flat);
            }

            return Prefix(graph.Functions, CountHot(weights, graph.TotalFlat, thresholdPercent));
        }

        /// <summary>Go's <c>pgo.WeightInPercentage</c>, with the same floating-point operations.</summary>
        public static double WeightInPercentage(long value, long total) => ((double)value / total) * 100;

        /// <summary>Validates a threshold given as text (MSBuild property): a number in (0, 100].</summary>
        public static bool TryParseThreshold(string? text, out double threshold)
        {
            threshold = DefaultThreshold;
            if (string.IsNullOrWhiteSpace(text))
            {
                return true;
            }

            return double.TryParse(text!.Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out threshold)
                && threshold > 0 && threshold <= 100 && !double.IsNaN(threshold);
        }

        private static IReadOnlyList<T> Prefix<T>(IReadOnlyList<T> items, int count)
        {
            var result = new T[Math.Min(count, items.Count)];
            for (int i = 0; i < result.Length; i++)
            {
                result[i] = items[i];
            }

            return result;
        }
    }
}
