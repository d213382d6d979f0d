using System;

namespace Pgo.Tool.Cli
{
    /// <summary>Documented exit codes of the pgo tool (docs/tool.md).</summary>
    public static class ExitCodes
    {
        public const int Success = 0;
        public const int Failure = 1;
        public const int Usage = 2;
    }

    /// <summary>A failure the tool reports as one line on stderr, with its exit code.</summary>
    public sealed class ToolException : Exception
    {
        public ToolException(string message, int exitCode = ExitCodes.Failure, Exception? inner = null)
            : base(message, inner)
        {
            ExitCode = exitCode;
        }

        public int ExitCode { get; }

        public static ToolException Usage(string message) => new ToolException(message, ExitCodes.Usage);
    }
}
