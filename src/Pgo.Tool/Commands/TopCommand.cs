using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Pgo.Build;
using Pgo.Build.Caching;
using Pgo.Build.CallGraph;
using Pgo.Build.Engine;
using Pgo.Build.Inlining;
using Pgo.Build.Naming;
using Pgo.Build.Profiles;
using Pgo.Build.RuntimePgo;
using Pgo.Tool.Cli;

namespace Pgo.Tool.Commands
{
    internal sealed class TopCommand : ICommand
    {
        public string Name => "top";

        public string Summary => "show the hottest functions and the hot call sites a build would use";

        public string Help =>
@"Usage: pgo top <profile> [-n 20] [--threshold 99] [--no-cache] [--sample-type cpu]
                     [--project App.csproj [-c Release] | --assembly bin/Release/net10.0/App.dll] [--inline-budget 120]

Prints the build's summary line for <profile> (the same numbers 'dotnet build' logs), the hottest
functions by flat weight (with cumulative weight) and the hot call sites chosen by the build's CDF
rule: the heaviest edges whose cumulative share first exceeds --threshold percent.

Options:
  -n, --count <n>         rows per table (default 20; 0 = all)
      --threshold <pct>   hot call site threshold, like -p:PgoHotCallsiteThreshold (default 99)
      --no-cache          decode the profile even when the build cache has its graph
      --sample-type <t>   weigh with this sample type (type or type/unit), like -p:PgoSampleType
      --project <csproj>  also show what a build of this project would do with the profile (its built
                          assembly, found with dotnet msbuild -getProperty:TargetPath; build it first)
  -c, --configuration     the configuration of --project (default Release)
      --assembly <dll>    the same for a built assembly given directly
      --inline-budget <n> like -p:PgoInlineBudget (default 120)
  -h, --help              this help
";

        public IReadOnlyDictionary<string, string> ValueOptions { get; } = new Dictionary<string, string>
        {
            ["-n"] = "count", ["--count"] = "count",
            ["--threshold"] = "threshold",
            ["--project"] = "project",
            ["-c"] = "configuration", ["--configuration"] = "configuration",
            ["--assembly"] = "assembly",
            ["--inline-budget"] = "inline-budget",
            ["--sample-type"] = "sample-type",
        };

        public IReadOnlyDictionary<string, string> FlagOptions { get; } = new Dictionary<string, string>
        {
            ["--no-cache"] = "no-cache",
        };

        public int Run(Arguments args, TextWriter stdout, TextWriter stderr)
        {
            if (args.Positionals.Count != 1)
            {
                throw ToolException.Usage("give exactly one profile");
            }

            string path = args.Positionals[0];
            int count = 20;
            string? countText = args.Value("count");
            if (countText != null && (!int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out count)))
            {
                throw ToolException.Usage($"invalid count '{countText}'");
            }

            double threshold = HotSelection.DefaultThreshold;
            string? thresholdText = args.Value("threshold");
            // (TryParseThreshold reads an empty MSBuild property as the default; on the command line it is a mistake.)
            if (thresholdText != null && (string.IsNullOrWhiteSpace(thresholdText) || !HotSelection.TryParseThreshold(thresholdText, out threshold)))
            {
                throw ToolException.Usage($"invalid threshold '{thresholdText}': expected a percentage greater than 0 and at most 100");
            }

            var cache = args.Flag("no-cache") ? null : new GraphCache(GraphCache.DefaultDirectory());
            PreprocessedProfile profile;
            string sha;
            try
            {
                (profile, sha, _) = PgoEngine.PreprocessProfile(path, cache, new StderrLog(stderr), ProfileLimits.Default, default, new AnalysisOptions(args.Value("sample-type")));
            }
            catch (PgoException e)
            {
                throw new ToolException($"{e.Code}: {e.Message}", ExitCodes.Failure, e);
            }

            string? project = args.Value("project");
            string? assembly = args.Value("assembly");
            if (project != null && assembly != null)
            {
                throw ToolException.Usage("give either --project or --assembly");
            }

            int budget = InliningStage.DefaultBudget;
            string? budgetText = args.Value("inline-budget");
            if (budgetText != null && (!int.TryParse(budgetText, NumberStyles.None, CultureInfo.InvariantCulture, out budget) || budget <= 0))
            {
                throw ToolException.Usage($"invalid inline budget '{budgetText}': a positive number of IL bytes");
            }

            if (project != null)
            {
                assembly = ProjectReport.AssemblyOf(project, args.Value("configuration") ?? "Release");
            }

            TopReport.Write(stdout, Path.GetFullPath(path), sha, profile.Graph, threshold, count, profile.RuntimeRecords, profile.Names);
            if (assembly != null)
            {
                var records = ReceiverTypeAgreement.Of(profile.Graph.Edges, profile.RuntimeRecords).Apply(profile.RuntimeRecords);
                ProjectReport.Write(stdout, Path.GetFullPath(assembly), profile.Graph, records, threshold, budget, count);
            }

            return ExitCodes.Success;
        }

        private sealed class StderrLog : IPgoLog
        {
            private readonly TextWriter _stderr;

            public StderrLog(TextWriter stderr)
            {
                _stderr = stderr;
            }

            public void Message(string text)
            {
            }

            public void Warning(string code, string text, string? file) => _stderr.WriteLine($"pgo: warning {code}: {text}");
        }
    }

    /// <summary>The text <c>pgo top</c> prints: stable, sorted, invariant culture (golden-tested).</summary>
    internal static class TopReport
    {
        // Percent columns are 7 wide: "100.00%" must not shift the columns after it.
        private const string FunctionRow = "{0,12:N0} {1,7} {2,7} {3,11:N0} {4,7}  {5,-3}  {6}";
        private const string CallRow = "{0,12:N0} {1,7} {2,7}  {3}";
        private const string HistogramRow = "{0,12:N0} {1,7}  {2}";

        public static void Write(TextWriter w, string path, string sha, WeightedCallGraph graph, double threshold, int count, IReadOnlyList<RuntimeRecord>? records = null, FrameNameReport? names = null)
        {
            records ??= Array.Empty<RuntimeRecord>();
            var hotCalls = HotSelection.HotCallSites(graph, threshold);
            var hotFunctions = HotSelection.HotFunctions(graph, threshold);
            w.WriteLine(PgoEngine.Summarize(path, sha, graph, hotCalls.Count, hotFunctions.Count, records.Count));
            w.WriteLine(string.Format(CultureInfo.InvariantCulture, "Sample type: {0}; total flat weight {1:N0}; total edge weight {2:N0}; threshold {3}%",
                graph.SampleType, graph.TotalFlat, graph.TotalWeight, threshold));
            w.WriteLine((names ?? FrameNameReport.Of(graph.Functions)).ToString().Replace("frame names:", "Frame names:"));
            w.WriteLine();
            int rows = Rows(graph.Functions.Count, count);
            w.WriteLine(Invariant("Hottest functions ({0} of {1:N0}, by flat weight):", rows, graph.Functions.Count));
            w.WriteLine(Invariant(FunctionRow, "flat", "flat%", "sum%", "cum", "cum%", "hot", "function"));
            long sum = 0;
            var hot = new HashSet<string>(StringComparer.Ordinal);
            foreach (var f in hotFunctions)
            {
                hot.Add(f.Name);
            }

            for (int i = 0; i < rows; i++)
            {
                var f = graph.Functions[i];
                sum += f.Flat;
                w.WriteLine(Invariant(FunctionRow,
                    f.Flat, Percent(f.Flat, graph.TotalFlat), Percent(sum, graph.TotalFlat), f.Cum, Percent(f.Cum, graph.TotalFlat), hot.Contains(f.Name) ? "*" : "", f.Name));
            }

            w.WriteLine();
            rows = Rows(hotCalls.Count, count);
            w.WriteLine(Invariant("Hot call sites ({0} of {1:N0} hot, {2:N0} edges; caller +line offset from its start line -> callee):", rows, hotCalls.Count, graph.Edges.Count));
            w.WriteLine(Invariant(CallRow, "weight", "weight%", "cum%", "call site"));
            long cum = 0;
            for (int i = 0; i < rows; i++)
            {
                var e = hotCalls[i];
                cum += e.Weight;
                w.WriteLine(Invariant(CallRow,
                    e.Weight, Percent(e.Weight, graph.TotalWeight), Percent(cum, graph.TotalWeight), e.ToString().Substring(0, e.ToString().LastIndexOf(" (", StringComparison.Ordinal))));
            }

            WriteRuntimeCallSites(w, records, count);
            var agreement = ReceiverTypeAgreement.Of(graph.Edges, records);
            if (agreement.Checked > 0)
            {
                w.WriteLine();
                w.WriteLine(char.ToUpperInvariant(agreement.ToString()[0]) + agreement.ToString().Substring(1) +
                    (agreement.Contradicted ? ": contradicted, a build leaves the runtime data out (PGO106)." : "."));
            }
        }

        /// <summary>The recorded receiver-type and delegate-target histograms, busiest call site first.</summary>
        private static void WriteRuntimeCallSites(TextWriter w, IReadOnlyList<RuntimeRecord> records, int count)
        {
            var sites = CallSiteHistogram.Of(records);
            if (sites.Count == 0)
            {
                return;
            }

            w.WriteLine();
            int rows = Rows(sites.Count, count);
            w.WriteLine(Invariant("Recorded call-site histograms ({0} of {1:N0}; histogram slots, summed over runs; method +line offset (IL offset) -> most frequent target):", rows, sites.Count));
            w.WriteLine(Invariant(HistogramRow, "slots", "top%", "call site"));
            foreach (var site in sites.Take(rows))
            {
                w.WriteLine(Invariant(HistogramRow, site.Slots, Percent(site.Dominant.Value, site.Slots), site.Site + " -> " + RuntimeHandles.DisplayName(site.Dominant.Handle)));
            }
        }

        private static int Rows(int available, int count) => count <= 0 ? available : Math.Min(available, count);

        private static string Percent(long value, long total) =>
            total == 0 ? "-" : (100.0 * value / total).ToString("0.00", CultureInfo.InvariantCulture) + "%";

        private static string Invariant(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
    }
}
