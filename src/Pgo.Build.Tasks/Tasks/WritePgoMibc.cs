using System;
using System.IO;
using Microsoft.Build.Framework;
using Pgo.Build.IO;
using Pgo.Build.Mibc;

namespace Pgo.Build.Tasks
{
    /// <summary>
    /// After compilation: turns the hint files' runtime PGO data into a .mibc for ILC (NativeAOT) and crossgen2
    /// (ReadyToRun). Thin wrapper over <see cref="MibcStage"/>; unchanged inputs replay the last run (<see cref="MibcState"/>).
    /// </summary>
    public sealed class WritePgoMibc : Microsoft.Build.Utilities.Task
    {
        /// <summary>The compiled assembly (<c>@(IntermediateAssembly)</c>).</summary>
        [Required]
        public string Assembly { get; set; } = "";

        /// <summary>The hint directory (<c>$(PgoIntermediateDirectory)</c>).</summary>
        [Required]
        public string HintDirectory { get; set; } = "";

        /// <summary><c>$(OutputType)</c> is Exe/WinExe: a profile without data for it may be another program's (PGO104).</summary>
        public bool IsExecutable { get; set; }

        /// <summary>The .mibc written, or empty when the profile holds no data for this assembly.</summary>
        [Output]
        public string MibcFile { get; private set; } = "";

        public override bool Execute()
        {
            try
            {
                var outcome = MibcStage.RunIncremental(Path.GetFullPath(Assembly), Path.GetFullPath(HintDirectory), IsExecutable);
                MibcFile = outcome.MibcPath ?? "";
                Log.LogMessage(MessageImportance.High, outcome.Summary);
                if (outcome.Mismatch != null)
                {
                    Log.LogWarning(null, PgoCodes.ProfileMismatch, null, Assembly, 0, 0, 0, 0, outcome.Mismatch);
                }
            }
            catch (Exception e) when (TaskLog.IsConsumerProblem(e))
            {
                // Matching must never fail a build: the program is built without the .mibc.
                MibcStage.DeleteStale(Path.GetFullPath(HintDirectory), null);
                AtomicFile.TryDelete(Path.Combine(Path.GetFullPath(HintDirectory), MibcState.FileName));
                TaskLog.ConsumerSkipped(Log, ".mibc", Assembly, e, "the build goes on without static PGO data.");
            }

            return !Log.HasLoggedErrors;
        }
    }
}
