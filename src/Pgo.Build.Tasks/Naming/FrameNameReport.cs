using System;
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
    public sealed record FrameNameReport(int Functions, int Parsed, long TotalWeight, long ParsedWeight, IReadOnlyDictionary<FrameDialect, int> Dialects, int GoFunctions = 0)
    {
        /// <summary>Below this share of parsed weight a build warns (PGO105).</summary>
        public const double LowShare = 0.5;

        /// <summary>The dialect of most parsed functions; null when none parsed.</summary>
        public FrameDialect? Dialect => Dialects.Count == 0 ? (FrameDialect?)null : Dialects.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).First().Key;

        /// <summary>Parsed share of the flat weight (of the functions when no function has flat weight).</summary>
        public double Share => TotalWeight > 0 ? (double)ParsedWeight / TotalWeight : Functions > 0 ? (double)Parsed / Functions : 1.0;

        public bool IsLow => Functions > 0 && Share < LowShare;

        /// <summary>
        /// The report over a graph's functions; <paramref name="details"/> gives a function's system name and file
        /// name when the profile is at hand (they tell our recorder's and Go's frames apart).
        /// </summary>
        public static FrameNameReport Of(IEnumerable<FunctionWeight> functions, Func<string, (string SystemName, string FileName)>? details = null)
        {
            int count = 0, parsed = 0, go = 0;
            long total = 0, parsedWeight = 0;
            var dialects = new SortedDictionary<FrameDialect, int>();
            foreach (var f in functions)
            {
                count++;
                total += f.Flat;
                var (systemName, fileName) = details?.Invoke(f.Name) ?? ("", "");
                if (FrameNames.IsGoSource(fileName))
                {
                    go++;
                    continue;
                }

                var identity = FrameNames.Parse(f.Name, systemName, fileName);
                if (identity == null)
                {
                    continue;
                }

                parsed++;
                parsedWeight += f.Flat;
                dialects[identity.Dialect] = dialects.TryGetValue(identity.Dialect, out int n) ? n + 1 : 1;
            }

            return new FrameNameReport(count, parsed, total, parsedWeight, dialects, go);
        }

        public override string ToString() =>
            string.Format(
                CultureInfo.InvariantCulture,
                "frame names: {0}; {1:N0} of {2:N0} functions ({3:0.0}% of the flat weight) parsed into .NET methods{4}",
                GoFunctions > Parsed ? "Go" : Dialect is FrameDialect d ? DialectName(d) : "no known dialect",
                Parsed,
                Functions,
                100.0 * Share,
                GoFunctions > 0 ? string.Format(CultureInfo.InvariantCulture, ", {0:N0} Go functions", GoFunctions) : "");

        /// <summary>The report as one cache-entry field: <c>functions parsed go total-weight parsed-weight dialect=n,...</c>.</summary>
        public string ToField() =>
            string.Join(" ", Functions, Parsed, GoFunctions, TotalWeight, ParsedWeight,
                Dialects.Count == 0 ? "-" : string.Join(",", Dialects.Select(kv => kv.Key + "=" + kv.Value.ToString(CultureInfo.InvariantCulture))));

        public static FrameNameReport? FromField(string? field)
        {
            var parts = field?.Split(' ');
            if (parts == null || parts.Length != 6)
            {
                return null;
            }

            var dialects = new SortedDictionary<FrameDialect, int>();
            if (parts[5] != "-")
            {
                foreach (var pair in parts[5].Split(','))
                {
                    int eq = pair.IndexOf('=');
                    if (eq < 0 || !Enum.TryParse(pair.Substring(0, eq), out FrameDialect dialect))
                    {
                        return null;
                    }

                    dialects[dialect] = int.Parse(pair.Substring(eq + 1), CultureInfo.InvariantCulture);
                }
            }

            return new FrameNameReport(
                int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture),
                long.Parse(parts[3], CultureInfo.InvariantCulture), long.Parse(parts[4], CultureInfo.InvariantCulture),
                dialects, int.Parse(parts[2], CultureInfo.InvariantCulture));
        }

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
