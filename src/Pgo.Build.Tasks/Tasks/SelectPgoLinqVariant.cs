using System;
using System.IO;
using Microsoft.Build.Framework;
using Pgo.Build.Linq;

namespace Pgo.Build.Tasks
{
    /// <summary>
    /// NativeAOT publish, before ILC's response file is written: whether ILC compiles System.Linq's speed-optimized
    /// variant (the one the recording ran) because the profile's hot functions include LINQ's. Thin wrapper over
    /// <see cref="LinqVariant.DecideFromHints"/>; the targets flip the feature switch when <see cref="SpeedOptimized"/>.
    /// </summary>
    public sealed class SelectPgoLinqVariant : Microsoft.Build.Utilities.Task
    {
        [Required]
        public string AssemblyName { get; set; } = "";

        [Required]
        public string HintDirectory { get; set; } = "";

        /// <summary><c>$(PgoSpeedOptimizedLinq)</c>: auto (default), true or false.</summary>
        public string? Setting { get; set; }

        /// <summary>The project's own <c>UseSizeOptimizedLinq</c> (empty when it left NativeAOT's default alone).</summary>
        public string? ProjectValue { get; set; }

        [Output]
        public bool SpeedOptimized { get; private set; }

        public override bool Execute()
        {
            try
            {
                var decision = LinqVariant.DecideFromHints(Setting, ProjectValue, Path.GetFullPath(HintDirectory), AssemblyName);
                SpeedOptimized = decision.SpeedOptimized;
                Log.LogMessage(decision.WorthSaying ? MessageImportance.High : MessageImportance.Normal, decision.Summary);
            }
            catch (PgoException e) when (e.Code == PgoCodes.InvalidSetting)
            {
                TaskLog.Error(Log, e);
            }
            catch (Exception e) when (TaskLog.IsConsumerProblem(e))
            {
                TaskLog.ConsumerSkipped(Log, "LINQ variant", null, e, "ILC compiles LINQ as NativeAOT builds it.");
            }

            return !Log.HasLoggedErrors;
        }
    }
}
