using System;
using System.Globalization;
using System.IO;
using Microsoft.Build.Framework;
using Pgo.Build.Engine;
using Pgo.Build.IO;
using Pgo.Build.Inlining;
using Pgo.Build.Rewriting;

namespace Pgo.Build.Tasks
{
    /// <summary>
    /// After compilation: the IL consumers (delegate guards, AggressiveInlining on hot callees) applied to the compiled
    /// assembly, always from the compiler's bytes. Thin wrapper over <see cref="RewriteStage"/>.
    /// </summary>
    public sealed class RewritePgoAssembly : Microsoft.Build.Utilities.Task
    {
        [Required]
        public string Assembly { get; set; } = "";

        [Required]
        public string HintDirectory { get; set; } = "";

        /// <summary><c>$(PgoDelegates)</c>: guard hot delegate calls.</summary>
        public bool Delegates { get; set; }

        /// <summary><c>$(PgoInlining)</c>: AggressiveInlining on hot callees.</summary>
        public bool Inlining { get; set; }

        /// <summary><c>$(PgoEnumerators)</c>: foreach over an interface enumerates the recorded List&lt;T&gt; or T[] without allocating.</summary>
        public bool Enumerators { get; set; }

        /// <summary><c>$(PgoInlineBudget)</c>: largest IL body (bytes) that gets the flag.</summary>
        public string? IlBudget { get; set; }

        public override bool Execute()
        {
            if (!TryBudget(IlBudget, out int budget))
            {
                Log.LogError(null, PgoCodes.InvalidSetting, null, null, 0, 0, 0, 0, $"invalid PgoInlineBudget '{IlBudget}': expected a positive number of IL bytes (default {InliningStage.DefaultBudget}).");
                return false;
            }

            var options = new RewriteOptions(Delegates, Inlining, budget) { Enumerators = Enumerators };
            // What a killed rewrite left beside the compiled assembly and its PDB (App.dll.pgo-<pid>-....tmp).
            string assembly = Path.GetFullPath(Assembly);
            string directory = Path.GetDirectoryName(assembly)!;
            PgoEngine.ReportSwept(new TaskLog(Log), AtomicFile.SweepTemporaryFiles(directory, Path.GetFileNameWithoutExtension(assembly) + "."), directory);
            try
            {
                var outcome = RewriteStage.Run(Path.GetFullPath(Assembly), Path.GetFullPath(HintDirectory), options);
                foreach (var line in outcome.Lines)
                {
                    Log.LogMessage(options.Any ? MessageImportance.High : MessageImportance.Normal, line);
                }
            }
            catch (Exception e) when (TaskLog.IsConsumerProblem(e))
            {
                // The assembly is replaced only once the rewrite succeeded; on failure it stays as it was.
                TaskLog.ConsumerSkipped(Log, "IL rewrite (delegate guards, AggressiveInlining)", Assembly, e, "the build goes on without it.");
            }

            return !Log.HasLoggedErrors;
        }

        internal static bool TryBudget(string? text, out int budget)
        {
            budget = InliningStage.DefaultBudget;
            return string.IsNullOrWhiteSpace(text) || (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out budget) && budget > 0);
        }
    }
}
