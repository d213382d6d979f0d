using Microsoft.Build.Utilities;
using Pgo.Build.Engine;

namespace Pgo.Build.Tasks
{
    /// <summary>Forwards engine diagnostics to MSBuild with their codes, pointing at the profile file.</summary>
    internal sealed class TaskLog : IPgoLog
    {
        private readonly TaskLoggingHelper _log;

        public TaskLog(TaskLoggingHelper log)
        {
            _log = log;
        }

        public void Message(string text) => _log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, text);

        public void Warning(string code, string text, string? file) =>
            _log.LogWarning(null, code, null, file, 0, 0, 0, 0, text);

        public static void Error(TaskLoggingHelper log, PgoException e) =>
            log.LogError(null, e.Code, null, e.File, 0, 0, 0, 0, e.Message);
    }
}
