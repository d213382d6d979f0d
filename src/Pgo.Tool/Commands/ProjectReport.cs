using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Pgo.Build.CallGraph;
using Pgo.Build.Inlining;
using Pgo.Build.Matching;
using Pgo.Build.Metadata;
using Pgo.Build.Naming;
using Pgo.Build.Mibc;
using Pgo.Build.RuntimePgo;
using Pgo.Tool.Cli;

namespace Pgo.Tool.Commands
{
    /// <summary>
    /// <c>pgo top --project/--assembly</c>: what a build of that assembly would do with the profile, computed by the
    /// same stages a build runs (matching, the .mibc writer, the inlining planner), without writing anything.
    /// </summary>
    internal static class ProjectReport
    {
        /// <summary>The built assembly of a project: <c>dotnet msbuild -getProperty:TargetPath</c>.</summary>
        public static string AssemblyOf(string project, string configuration)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { "msbuild", project, "-getProperty:TargetPath", "-getProperty:PgoIntermediateDirectory", "-p:Configuration=" + configuration, "-nologo" })
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start) ?? throw new ToolException("could not run dotnet msbuild");
            string output = process.StandardOutput.ReadToEnd().Trim();
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0 || output.Length == 0)
            {
                throw new ToolException($"cannot evaluate '{project}': {(error.Length > 0 ? error.Trim() : output)}");
            }

            string target, hints;
            try
            {
                using var json = System.Text.Json.JsonDocument.Parse(output);
                var properties = json.RootElement.GetProperty("Properties");
                target = properties.GetProperty("TargetPath").GetString() ?? "";
                hints = properties.GetProperty("PgoIntermediateDirectory").GetString() ?? "";
            }
            catch (Exception e) when (e is System.Text.Json.JsonException || e is KeyNotFoundException || e is InvalidOperationException)
            {
                throw new ToolException($"cannot evaluate '{project}': unexpected output of dotnet msbuild: {output}");
            }

            if (!File.Exists(target))
            {
                throw new ToolException($"'{target}' does not exist: build the project first (dotnet build -c {configuration})");
            }

            // A PGO build rewrote the output (delegate guards, AggressiveInlining): plan on the compiler's bytes it kept.
            string original = hints.Length == 0 ? "" : Path.Combine(hints, Build.Rewriting.RewriteStage.OriginalDirectory, Path.GetFileName(target));
            return File.Exists(original) ? original : target;
        }

        public static void Write(TextWriter w, string assemblyPath, WeightedCallGraph graph, IReadOnlyList<RuntimeRecord> records, double threshold, int inlineBudget, int count)
        {
            using var assembly = AssemblySymbols.TryOpen(assemblyPath) ?? throw new ToolException($"'{assemblyPath}' is not a readable managed assembly");
            w.WriteLine();
            w.WriteLine($"What a build of {assembly.AssemblyName} ({assemblyPath}) would do:");

            // The same data the build's .mibc step uses: the runtime's records, else receiver types from sampled edges.
            var hot = HotSelection.HotCallSites(graph, threshold);
            var (recorded, report) = RuntimeRecordMatcher.Match(assembly, records);
            var (sampledRecords, sampled) = SampledReceiverTypes.Derive(assembly, hot, new HashSet<string>(records.Select(r => r.Method), StringComparer.Ordinal));
            var matched = recorded.Concat(RuntimeRecordMatcher.Match(assembly, sampledRecords).Matched).ToList();
            string sampledText = sampled.Edges + sampled.Ambiguous > 0 ? "; " + sampled : "";
            if (matched.Count == 0)
            {
                w.WriteLine(report.Recorded == 0
                    ? "  .mibc: the profile holds no runtime PGO data for this assembly (record it with pgo record): none written" + sampledText
                    : "  .mibc: " + report + sampledText + "; none written");
            }
            else
            {
                var written = MibcWriter.Write(assembly, matched, assembly.AssemblyName + ".mibc");
                w.WriteLine(string.Format(CultureInfo.InvariantCulture,
                    "  .mibc: {0}{5}; written: {1:N0} methods, {2:N0} records, {3:N0} receiver-type histograms (call sites the compilers can guard){4}",
                    report, written.Methods, written.Records, written.TypeHistograms,
                    written.DroppedTypeSlots > 0 ? string.Format(CultureInfo.InvariantCulture, ", {0:N0} histogram slots left out", written.DroppedTypeSlots) : "",
                    sampledText));
                var sites = CallSiteHistogram.Of(matched.SelectMany(m => m.Records))
                    .Where(h => h.Kind == InstrumentationKind.HandleHistogramTypes && !IlFingerprint.IsEnumeratorType(h.Dominant.Handle)) // pgo record's note of a rewritten loop is no receiver
                    .Take(count <= 0 ? int.MaxValue : count);
                foreach (var site in sites)
                {
                    w.WriteLine(string.Format(CultureInfo.InvariantCulture, "    devirtualize {0} -> {1} ({2:0}% of {3} slots)",
                        site.Site, RuntimeHandles.DisplayName(site.Dominant.Handle), 100 * site.DominantShare, site.Slots));
                }
            }

            var plan = InliningStage.Plan(assemblyPath, hot, inlineBudget);
            w.WriteLine(string.Format(CultureInfo.InvariantCulture, "  inlining: AggressiveInlining on {0:N0} of {1:N0} hot callees defined here (IL budget {2}){3}",
                plan.Marked.Count, plan.Candidates, inlineBudget,
                plan.Skipped.Count == 0 ? "" : "; not marked: " + string.Join(", ", plan.Skipped.Select(kv => $"{kv.Value} {kv.Key}"))));
            foreach (var name in plan.Marked)
            {
                w.WriteLine("    inline " + name);
            }

            var delegates = Build.Rewriting.DelegateRewriter.Plan(assemblyPath, records, hot);
            w.WriteLine("  delegates: " + WithoutBuildPrefix(delegates.Summary));
            foreach (var site in delegates.Guarded.Take(count <= 0 ? int.MaxValue : count))
            {
                w.WriteLine("    guard " + site);
            }

            if (delegates.EnumeratorSummary != null)
            {
                w.WriteLine("  foreach: " + WithoutBuildPrefix(delegates.EnumeratorSummary));
                foreach (var site in delegates.Enumerated.Take(count <= 0 ? int.MaxValue : count))
                {
                    w.WriteLine("    enumerate " + site);
                }
            }

            // NativeAOT publishes: which LINQ ILC gets (the project's own UseSizeOptimizedLinq is not known here).
            var linq = Build.Linq.LinqVariant.Decide("auto", null, HotSelection.HotFunctions(graph, threshold), graph.TotalFlat, assembly.AssemblyName);
            w.WriteLine("  LINQ (NativeAOT publish): " + WithoutBuildPrefix(linq.Summary));

            var methods = new HashSet<string>(assembly.Methods().Select(m => FrameNames.KeyOf(m.Name) ?? m.Name), StringComparer.Ordinal);
            bool IsFramework(string key) =>
                key.StartsWith("System.", StringComparison.Ordinal) || key.StartsWith("Microsoft.", StringComparison.Ordinal) || key.StartsWith("Interop.", StringComparison.Ordinal);
            var unmatched = hot.Select(e => e.Callee).Concat(hot.Select(e => e.Caller))
                .Where(n => FrameNames.Parse(n)?.Key is not string key || (!methods.Contains(key) && !IsFramework(key)))
                .Distinct(StringComparer.Ordinal).OrderBy(n => n, StringComparer.Ordinal).ToList();
            w.WriteLine(unmatched.Count == 0
                ? "  unmatched: every hot caller and callee is a method of this assembly or of the framework"
                : $"  unmatched: {unmatched.Count} hot callers/callees are neither methods of this assembly nor framework methods (another assembly, or another program): {string.Join(", ", unmatched.Take(count <= 0 ? int.MaxValue : count))}");
        }

        /// <summary>A build line without its <c>PGO: &lt;assembly&gt;: </c> prefix.</summary>
        private static string WithoutBuildPrefix(string summary) =>
            summary.StartsWith("PGO: ", StringComparison.Ordinal) ? summary.Substring(summary.IndexOf(": ", 5, StringComparison.Ordinal) + 2) : summary;
    }
}
