using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;

namespace Pgo.Build.Tests.EndToEnd
{
    /// <summary>The output of one dotnet command.</summary>
    internal sealed class CommandResult
    {
        public CommandResult(string command, int exitCode, string output)
        {
            Command = command;
            ExitCode = exitCode;
            Output = output;
        }

        public string Command { get; }
        public int ExitCode { get; }
        public string Output { get; }

        public override string ToString() => $"> {Command}\nexit code {ExitCode}\n{Output}";
    }

    /// <summary>
    /// Runs the dotnet CLI hermetically: the test host's MSBuild/NuGet/test-platform variables are removed,
    /// packages go to the run's own NUGET_PACKAGES, no build servers or node reuse, no terminal logger.
    /// </summary>
    internal static class DotNetCli
    {
        private static readonly string[] DroppedPrefixes = { "MSBUILD", "NUGET_", "VSTEST", "TESTINGPLATFORM", "DOTNET_HOST_PATH", "DOTNET_RUNNING_", "PGO" };

        public static CommandResult Run(string workingDirectory, IDictionary<string, string> environment, params string[] args) =>
            RunCore("dotnet", workingDirectory, environment, args);

        /// <summary>Runs an installed program (e.g. a tool's apphost) with the same hermetic environment.</summary>
        public static CommandResult RunProgram(string workingDirectory, string program, params string[] args) =>
            RunCore(program, workingDirectory, new Dictionary<string, string>(), args);

        /// <summary>
        /// Runs dotnet like <see cref="Run"/>, but kills the whole process tree (SIGKILL, as a crash or an OOM killer
        /// would) <paramref name="delay"/> after the first output line that <paramref name="killWhen"/> accepts. The
        /// result's exit code is -1 when the command was killed.
        /// </summary>
        public static CommandResult RunAndKill(string workingDirectory, IDictionary<string, string> environment, Func<string, bool> killWhen, TimeSpan delay, params string[] args)
        {
            var output = new StringBuilder();
            using var process = new Process { StartInfo = StartInfo("dotnet", workingDirectory, environment, args) };
            using var matched = new System.Threading.ManualResetEventSlim();
            void OnLine(string? line)
            {
                if (line == null)
                {
                    return;
                }

                lock (output)
                {
                    output.AppendLine(line);
                }

                if (killWhen(line))
                {
                    matched.Set();
                }
            }

            process.OutputDataReceived += (_, e) => OnLine(e.Data);
            process.ErrorDataReceived += (_, e) => OnLine(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            bool killed = false;
            var deadline = DateTime.UtcNow.AddMinutes(10);
            while (!process.HasExited && DateTime.UtcNow < deadline)
            {
                if (matched.Wait(50))
                {
                    System.Threading.Thread.Sleep(delay);
                    if (!process.HasExited)
                    {
                        process.Kill(entireProcessTree: true);
                        killed = true;
                    }

                    break;
                }
            }

            if (!process.HasExited && !killed)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("dotnet " + string.Join(" ", args) + " did not finish in 10 minutes");
            }

            process.WaitForExit();
            lock (output)
            {
                return new CommandResult("dotnet " + string.Join(" ", args) + " (in " + workingDirectory + ")", killed ? -1 : process.ExitCode, output.ToString());
            }
        }

        private static CommandResult RunCore(string program, string workingDirectory, IDictionary<string, string> environment, string[] args)
        {
            var output = new StringBuilder();
            using var process = new Process { StartInfo = StartInfo(program, workingDirectory, environment, args) };
            process.OutputDataReceived += (_, e) => { if (e.Data != null) { lock (output) { output.AppendLine(e.Data); } } };
            process.ErrorDataReceived += (_, e) => { if (e.Data != null) { lock (output) { output.AppendLine(e.Data); } } };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit(10 * 60 * 1000))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("dotnet " + string.Join(" ", args) + " did not finish in 10 minutes");
            }

            process.WaitForExit();
            lock (output)
            {
                return new CommandResult(program + " " + string.Join(" ", args) + " (in " + workingDirectory + ")", process.ExitCode, output.ToString());
            }
        }

        private static ProcessStartInfo StartInfo(string program, string workingDirectory, IDictionary<string, string> environment, string[] args)
        {
            var start = new ProcessStartInfo(program)
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                StandardOutputEncoding = Encoding.UTF8,
                StandardErrorEncoding = Encoding.UTF8,
            };
            foreach (var a in args)
            {
                start.ArgumentList.Add(a);
            }

            foreach (var key in new List<string>(start.Environment.Keys))
            {
                foreach (var prefix in DroppedPrefixes)
                {
                    if (key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                    {
                        start.Environment.Remove(key);
                    }
                }
            }

            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_NOLOGO"] = "1";
            start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
            start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
            start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
            start.Environment["MSBUILDTERMINALLOGGER"] = "off";
            foreach (var kv in environment)
            {
                start.Environment[kv.Key] = kv.Value;
            }

            return start;
        }
    }
}
