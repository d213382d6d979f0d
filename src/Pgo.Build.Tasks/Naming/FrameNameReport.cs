using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Pgo.Build.CallGraph;

namespace Pgo.Build.Naming
{
    /// <summary>
    /// How much of a profile names .NET methods: functions and flat weight whose frame name parses into a
    /// <see cref="MethodIdentity"/>, and the dialect most of them are written in.
    /// </summary>
    public sealed record FrameNameReport(int Functions, int Parsed, long TotalWeight, long ParsedWeight, IReadOnlyDictionary<FrameDialect, int> Dialects)
    {
        /// <summary>Below this share of parsed weight a build warns (PGO105).</summary>
        public const double LowShare = 0.5;

        /// <summary>The dialect of most parsed functions; null when none parsed.</summary>
        public FrameDialect? Dialect => Dialects.Count == 0 ? (FrameDialect?)null : Dialects.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).First().Key;

        /// <summary>Parsed share of the flat weight (of the functions when no function has flat weight).</summary>
        public double Share => TotalWeight > 0 ? (double)ParsedWeight / TotalWeight : Functions > 0 ? (double)Parsed / Functions : 1.0;

        public bool IsLow => Functions > 0 && Share < LowShare;

        public static FrameNameReport Of(IEnumerable<FunctionWeight> functions)
        {
            int count = 0, parsed = 0;
            long total = 0, parsedWeight = 0;
            var dialects = new SortedDictionary<FrameDialect, int>();
            foreach (var f in functions)
            {
                count++;
                total += f.Flat;
                var identity = FrameNames.Parse(f.Name);
                if (identity == null)
                {
                    continue;
                }

                parsed++;
                parsedWeight += f.Flat;
                dialects[identity.Dialect] = dialects.TryGetValue(identity.Dialect, out int n) ? n + 1 : 1;
            }

            return new FrameNameReport(count, parsed, total, parsedWeight, dialects);
        }

        public override string ToString() =>
            string.Format(
                CultureInfo.InvariantCulture,
                "frame names: {0}; {1:N0} of {2:N0} functions ({3:0.0}% of the flat weight) parsed into .NET methods",
                Dialect is FrameDialect d ? DialectName(d) : "no known dialect",
                Parsed,
                Functions,
                100.0 * Share);

        public static string DialectName(FrameDialect dialect) => dialect switch
        {
            FrameDialect.Recorder => "pgo record",
            FrameDialect.PerfMap => "perf map",
            FrameDialect.OpenTelemetry => "OpenTelemetry",
            FrameDialect.Plain => "plain dotted names",
            _ => dialect.ToString(),
        };
    }
}
