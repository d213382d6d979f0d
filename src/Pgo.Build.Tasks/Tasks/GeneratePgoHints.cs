using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Pgo.Build.Caching;
using Pgo.Build.CallGraph;
using Pgo.Build.Engine;

namespace Pgo.Build.Tasks
{
    /// <summary>
    /// Preprocesses the profile (through the per-user cache) and writes the hint files of one project.
    /// Up to date (same profile file, same settings, outputs present): does not read the profile at all.
    /// </summary>
    public sealed class GeneratePgoHints : Microsoft.Build.Utilities.Task, ICancelableTask
    {
        private readonly CancellationTokenSource _cancel = new CancellationTokenSource();

        [Required]
        public string ProfilePath { get; set; } = "";

        [Required]
        public string OutputDirectory { get; set; } = "";

        /// <summary><c>$(PgoCacheDirectory)</c>; empty selects the per-user default.</summary>
        public string? CacheDirectory { get; set; }

        /// <summary><c>$(PgoHotCallsiteThreshold)</c>: Go's CDF threshold in percent, default 99.</summary>
        public string? HotCallsiteThreshold { get; set; }

        /// <summary><c>$(PgoSampleType)</c>: the profile's sample type to use (<c>type</c> or <c>type/unit</c>); empty chooses.</summary>
        public string? SampleType { get; set; }

        /// <summary><c>$(PgoEdgeFrames)</c>: <c>leaf</c> (Go's rule, the default) or <c>all</c> (edges along the whole stack).</summary>
        public string? EdgeFrames { get; set; }

        /// <summary>The hint files and the state file (for FileWrites).</summary>
        [Output]
        public ITaskItem[] OutputFiles { get; private set; } = new ITaskItem[0];

        [Output]
        public string ProfileSha256 { get; private set; } = "";

        [Output]
        public string ProfileFileName { get; private set; } = "";

        public void Cancel() => _cancel.Cancel();

        public override bool Execute()
        {
            if (!HotSelection.TryParseThreshold(HotCallsiteThreshold, out double threshold))
            {
                Log.LogError(null, PgoCodes.InvalidSetting, null, null, 0, 0, 0, 0,
                    $"invalid PgoHotCallsiteThreshold '{HotCallsiteThreshold}': expected a percentage greater than 0 and at most 100 (default 99).");
                return false;
            }

            string edgeFrames = string.IsNullOrWhiteSpace(EdgeFrames) ? "leaf" : EdgeFrames!.Trim().ToLowerInvariant();
            if (edgeFrames != "leaf" && edgeFrames != "all")
            {
                Log.LogError(null, PgoCodes.InvalidSetting, null, null, 0, 0, 0, 0,
                    $"invalid PgoEdgeFrames '{EdgeFrames}': expected 'leaf' (Go's rule, the default) or 'all'.");
                return false;
            }

            bool allFrames = edgeFrames == "all";
            string cacheDirectory = string.IsNullOrWhiteSpace(CacheDirectory) ? GraphCache.DefaultDirectory() : Path.GetFullPath(CacheDirectory);
            var request = new PgoRequest(Path.GetFullPath(ProfilePath), Path.GetFullPath(OutputDirectory), cacheDirectory)
            {
                HotCallsiteThreshold = threshold,
                Options = new AnalysisOptions(string.IsNullOrWhiteSpace(SampleType) ? null : SampleType, allFrames),
            };

            try
            {
                var outcome = PgoEngine.RunIncremental(request, new TaskLog(Log), _cancel.Token);
                Log.LogMessage(MessageImportance.High, outcome.SummaryWithStatus);
                ProfileSha256 = outcome.State.ProfileSha256;
                ProfileFileName = outcome.State.ProfileFileName;
                var files = new List<ITaskItem>();
                foreach (var name in Hints.HintFileNames.All)
                {
                    files.Add(new TaskItem(Path.Combine(request.OutputDirectory, name)));
                }

                OutputFiles = files.ToArray();
            }
            catch (PgoException e)
            {
                TaskLog.Error(Log, e);
            }
            catch (OperationCanceledException)
            {
                Log.LogMessage(MessageImportance.High, "PGO: cancelled; no hint files were left behind.");
                return false;
            }

            return !Log.HasLoggedErrors;
        }
    }
}
