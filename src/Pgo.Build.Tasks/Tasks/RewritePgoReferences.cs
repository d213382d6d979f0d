using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Pgo.Build.Rewriting;

namespace Pgo.Build.Tasks
{
    /// <summary>
    /// NativeAOT publish, once ILC's inputs are known: package and project references rewritten into private copies for
    /// ILC (delegate guards, AggressiveInlining). Thin wrapper over <see cref="ReferenceRewriteStage"/>; the targets swap
    /// each <see cref="Rewritten"/> item in for its <c>OriginalItemSpec</c> in <c>@(IlcReference)</c>.
    /// </summary>
    public sealed class RewritePgoReferences : Microsoft.Build.Utilities.Task
    {
        [Required]
        public string AssemblyName { get; set; } = "";

        public ITaskItem[] References { get; set; } = new ITaskItem[0];

        [Required]
        public string HintDirectory { get; set; } = "";

        public bool Delegates { get; set; }

        public bool Inlining { get; set; }

        /// <summary><c>$(PgoEnumerators)</c>: foreach over an interface enumerates the recorded List&lt;T&gt; or T[] without allocating.</summary>
        public bool Enumerators { get; set; }

        public string? IlBudget { get; set; }

        /// <summary>The copies to compile, each with the metadata of the reference it replaces and <c>OriginalItemSpec</c>.</summary>
        [Output]
        public ITaskItem[] Rewritten { get; private set; } = new ITaskItem[0];

        public override bool Execute()
        {
            if (!RewritePgoAssembly.TryBudget(IlBudget, out int budget))
            {
                Log.LogError(null, PgoCodes.InvalidSetting, null, null, 0, 0, 0, 0, $"invalid PgoInlineBudget '{IlBudget}': expected a positive number of IL bytes.");
                return false;
            }

            try
            {
                var byPath = new Dictionary<string, ITaskItem>(StringComparer.Ordinal);
                foreach (var item in References)
                {
                    byPath[Path.GetFullPath(item.GetMetadata("FullPath"))] = item;
                }

                var outcome = ReferenceRewriteStage.Run(AssemblyName, byPath.Keys, Path.GetFullPath(HintDirectory), new RewriteOptions(Delegates, Inlining, budget) { Enumerators = Enumerators });
                Rewritten = outcome.Rewritten.Select(r =>
                {
                    var copy = new TaskItem(r.Output);
                    byPath[r.Source].CopyMetadataTo(copy);
                    copy.SetMetadata("OriginalItemSpec", byPath[r.Source].ItemSpec);
                    return (ITaskItem)copy;
                }).ToArray();
                Log.LogMessage(MessageImportance.High, outcome.Summary);
            }
            catch (Exception e) when (TaskLog.IsConsumerProblem(e))
            {
                Rewritten = new ITaskItem[0];
                TaskLog.ConsumerSkipped(Log, "reference rewrite for ILC", null, e, "ILC compiles the references as they are.");
            }

            return !Log.HasLoggedErrors;
        }
    }
}
