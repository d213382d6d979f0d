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

        /// <summary>
        /// What an after-compilation consumer may meet in a user's build (unreadable files, metadata it cannot
        /// express): turned into PGO103, never a failed build.
        /// </summary>
        public static bool IsConsumerProblem(System.Exception e) =>
            e is PgoException || e is System.IO.IOException || e is System.UnauthorizedAccessException || e is System.BadImageFormatException ||
            e is System.InvalidOperationException || e is System.NotSupportedException || e is System.FormatException || e is System.ArgumentException;

        public static void ConsumerSkipped(TaskLoggingHelper log, string step, string? file, System.Exception e, string consequence) =>
            log.LogWarning(null, PgoCodes.ConsumerSkipped, null, file, 0, 0, 0, 0,
                $"the {step} step was skipped ({e.GetType().Name}: {e.Message}); {consequence}");
    }
}
