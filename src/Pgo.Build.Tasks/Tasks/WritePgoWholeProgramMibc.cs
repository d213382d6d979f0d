using System;
using System.IO;
using System.Linq;
using Microsoft.Build.Framework;
using Pgo.Build.IO;
using Pgo.Build.Mibc;

namespace Pgo.Build.Tasks
{
    /// <summary>
    /// NativeAOT publish, before ILC's response file is written: the runtime PGO data of the other assemblies ILC
    /// compiles (<c>@(IlcReference)</c>: the framework of its runtime pack, project and package references) as one
    /// more .mibc. Thin wrapper over <see cref="MibcStage.RunReferencesIncremental"/> (unchanged inputs replay the last run).
    /// </summary>
    public sealed class WritePgoWholeProgramMibc : Microsoft.Build.Utilities.Task
    {
        /// <summary>The application's assembly name (its own methods are in the build's .mibc already).</summary>
        [Required]
        public string AssemblyName { get; set; } = "";

        /// <summary>The application's compiled assembly (<c>@(IlcCompileInput)</c>): its generic calls into the references count.</summary>
        public string Assembly { get; set; } = "";

        /// <summary>The assemblies the compiler compiles besides the application (<c>@(IlcReference)</c>).</summary>
        public ITaskItem[] References { get; set; } = new ITaskItem[0];

        [Required]
        public string HintDirectory { get; set; } = "";

        /// <summary>The .mibc written, or empty when no referenced assembly has data in the profile.</summary>
        [Output]
        public string MibcFile { get; private set; } = "";

        public override bool Execute()
        {
            try
            {
                var outcome = MibcStage.RunReferencesIncremental(AssemblyName, References.Select(r => r.GetMetadata("FullPath")).ToList(), Path.GetFullPath(HintDirectory),
                    Assembly.Length == 0 ? null : Path.GetFullPath(Assembly));
                MibcFile = outcome.MibcPath ?? "";
                Log.LogMessage(MessageImportance.High, outcome.Summary);
            }
            catch (Exception e) when (TaskLog.IsConsumerProblem(e))
            {
                MibcStage.DeleteStale(Path.GetFullPath(HintDirectory), null, AssemblyName + ".references");
                AtomicFile.TryDelete(Path.Combine(Path.GetFullPath(HintDirectory), MibcState.ReferencesFileName));
                TaskLog.ConsumerSkipped(Log, "whole-program .mibc", null, e, "ILC compiles the referenced assemblies without static PGO data.");
            }

            return !Log.HasLoggedErrors;
        }
    }
}
