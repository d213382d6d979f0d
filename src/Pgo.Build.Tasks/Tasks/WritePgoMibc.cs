using System.IO;
using Microsoft.Build.Framework;
using Pgo.Build.Mibc;

namespace Pgo.Build.Tasks
{
    /// <summary>
    /// After compilation: turns the hint files' runtime PGO data into a .mibc for ILC (NativeAOT) and crossgen2
    /// (ReadyToRun). Thin wrapper over <see cref="MibcStage"/>.
    /// </summary>
    public sealed class WritePgoMibc : Microsoft.Build.Utilities.Task
    {
        /// <summary>The compiled assembly (<c>@(IntermediateAssembly)</c>).</summary>
        [Required]
        public string Assembly { get; set; } = "";

        /// <summary>The hint directory (<c>$(PgoIntermediateDirectory)</c>).</summary>
        [Required]
        public string HintDirectory { get; set; } = "";

        /// <summary>The .mibc written, or empty when the profile holds no data for this assembly.</summary>
        [Output]
        public string MibcFile { get; private set; } = "";

        public override bool Execute()
        {
            try
            {
                var outcome = MibcStage.Run(Path.GetFullPath(Assembly), Path.GetFullPath(HintDirectory));
                MibcFile = outcome.MibcPath ?? "";
                Log.LogMessage(MessageImportance.High, outcome.Summary);
            }
            catch (PgoException e)
            {
                TaskLog.Error(Log, e);
            }

            return !Log.HasLoggedErrors;
        }
    }
}
