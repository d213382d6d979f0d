using System;
using System.Globalization;
using System.IO;
using Microsoft.Build.Framework;
using Pgo.Build.Engine;
using Pgo.Build.IO;
using Pgo.Build.Inlining;

namespace Pgo.Build.Tasks
{
    /// <summary>After compilation: AggressiveInlining on the hot callees of inline-hints.txt. Thin wrapper over <see cref="InliningStage"/>.</summary>
    public sealed class RewritePgoInlining : Microsoft.Build.Utilities.Task
    {
        [Required]
        public string Assembly { get; set; } = "";

        [Required]
        public string HintDirectory { get; set; } = "";

        /// <summary><c>$(PgoInlineBudget)</c>: largest IL body (bytes) that gets the flag.</summary>
        public string? IlBudget { get; set; }

        /// <summary>Only take back the flags an earlier build set (no profile now, or <c>PgoInlining=false</c>).</summary>
        public bool RestoreOnly { get; set; }

        public override bool Execute()
        {
            int budget = InliningStage.DefaultBudget;
            if (!string.IsNullOrWhiteSpace(IlBudget) && (!int.TryParse(IlBudget, NumberStyles.None, CultureInfo.InvariantCulture, out budget) || budget <= 0))
            {
                Log.LogError(null, PgoCodes.InvalidSetting, null, null, 0, 0, 0, 0, $"invalid PgoInlineBudget '{IlBudget}': expected a positive number of IL bytes (default {InliningStage.DefaultBudget}).");
                return false;
            }

            string assembly = Path.GetFullPath(Assembly);
            PgoEngine.ReportSwept(new TaskLog(Log), AtomicFile.SweepTemporaryFiles(Path.GetDirectoryName(assembly)!, Path.GetFileName(assembly) + "."), Path.GetDirectoryName(assembly)!);
            try
            {
                var outcome = InliningStage.Run(Path.GetFullPath(Assembly), Path.GetFullPath(HintDirectory), budget, RestoreOnly);
                Log.LogMessage(RestoreOnly ? MessageImportance.Normal : MessageImportance.High, outcome.Summary);
            }
            catch (Exception e) when (TaskLog.IsConsumerProblem(e))
            {
                // The assembly is only replaced once the rewrite succeeded; on failure it stays as the compiler wrote it.
                TaskLog.ConsumerSkipped(Log, "AggressiveInlining", Assembly, e, "the build goes on without it.");
            }

            return !Log.HasLoggedErrors;
        }
    }
}
