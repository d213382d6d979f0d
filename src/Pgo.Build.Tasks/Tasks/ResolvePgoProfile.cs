using System;
using System.Collections.Generic;
using Microsoft.Build.Framework;
using Pgo.Build.Settings;

namespace Pgo.Build.Tasks
{
    /// <summary>
    /// Turns the <c>Pgo</c> property into the profile this project builds with (or none). A relative path given
    /// as a global property (<c>-p:Pgo=x.pprof</c> on the command line) resolves against the directory the build
    /// started in, as <c>go build</c> does; one written in a project file against the project's directory.
    /// </summary>
    public sealed class ResolvePgoProfile : Microsoft.Build.Utilities.Task
    {
        public string? Pgo { get; set; }

        public string? OutputType { get; set; }

        [Required]
        public string ProjectDirectory { get; set; } = "";

        /// <summary><c>$(MSBuildStartupDirectory)</c>.</summary>
        public string? StartupDirectory { get; set; }

        /// <summary>Absolute path of the profile, empty when this project builds without PGO.</summary>
        [Output]
        public string ProfilePath { get; private set; } = "";

        /// <summary><c>off</c>, <c>auto</c> or <c>path</c>.</summary>
        [Output]
        public string Mode { get; private set; } = "";

        public override bool Execute()
        {
            bool fromCommandLine = IsGlobalProperty("Pgo") && !string.IsNullOrEmpty(StartupDirectory);
            string baseDirectory = fromCommandLine ? StartupDirectory! : ProjectDirectory;
            try
            {
                var setting = PgoSetting.Parse(Pgo, baseDirectory);
                Mode = setting.Mode.ToString().ToLowerInvariant();
                ProfilePath = setting.ResolveProfile(PgoSetting.IsExecutable(OutputType), ProjectDirectory, baseDirectory) ?? "";
                if (setting.Mode == PgoMode.Path)
                {
                    Log.LogMessage(MessageImportance.Low, "PGO: Pgo='{0}' resolved against {1} ({2}): {3}", Pgo, baseDirectory, fromCommandLine ? "global property" : "project property", ProfilePath);
                }
            }
            catch (PgoException e)
            {
                TaskLog.Error(Log, e);
            }

            return !Log.HasLoggedErrors;
        }

        private bool IsGlobalProperty(string name)
        {
            if (BuildEngine is IBuildEngine6 engine)
            {
                IReadOnlyDictionary<string, string> globals = engine.GetGlobalProperties();
                foreach (var key in globals.Keys)
                {
                    if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                    {
                        return true;
                    }
                }
            }

            return false;
        }
    }
}
