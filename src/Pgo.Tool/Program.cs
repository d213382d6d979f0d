using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using Pgo.Tool.Cli;
using Pgo.Tool.Commands;

namespace Pgo.Tool
{
    internal static class ToolInfo
    {
        public static string Version { get; } =
            typeof(ToolInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
    }

    /// <summary>Entry point of the <c>pgo</c> command: dispatches to one command per verb.</summary>
    public static class Program
    {
        private static readonly IReadOnlyList<ICommand> Commands = new ICommand[]
        {
            new RecordCommand(),
            new MergeCommand(),
            new TopCommand(),
            new MibcCommand(),
            new ConvertCommand(),
        };

        public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

        public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
        {
            if (args.Count == 0)
            {
                stderr.Write(Usage());
                return ExitCodes.Usage;
            }

            if (args[0] is "-h" or "--help" or "help")
            {
                stdout.Write(Usage());
                return ExitCodes.Success;
            }

            if (args[0] is "--version" or "version")
            {
                stdout.WriteLine("pgo " + ToolInfo.Version);
                return ExitCodes.Success;
            }

            foreach (var command in Commands)
            {
                if (command.Name == args[0])
                {
                    var rest = new List<string>(args);
                    rest.RemoveAt(0);
                    try
                    {
                        var parsed = Arguments.Parse(rest, command.ValueOptions, command.FlagOptions);
                        if (parsed.Help)
                        {
                            stdout.Write(command.Help);
                            return ExitCodes.Success;
                        }

                        return command.Run(parsed, stdout, stderr);
                    }
                    catch (ToolException e)
                    {
                        stderr.WriteLine($"pgo {command.Name}: {e.Message}");
                        if (e.ExitCode == ExitCodes.Usage)
                        {
                            stderr.WriteLine($"Run 'pgo {command.Name} --help' for usage.");
                        }

                        return e.ExitCode;
                    }
                }
            }

            stderr.WriteLine($"pgo: unknown command '{args[0]}'");
            stderr.Write(Usage());
            return ExitCodes.Usage;
        }

        private static string Usage()
        {
            var text = new System.Text.StringBuilder();
            text.AppendLine("pgo " + ToolInfo.Version + ": profiles for profile-guided .NET builds (Pgo.Sdk)");
            text.AppendLine();
            text.AppendLine("Usage: pgo <command> [options]");
            text.AppendLine();
            text.AppendLine("Commands:");
            foreach (var command in Commands)
            {
                text.AppendLine($"  {command.Name,-8} {command.Summary}");
            }

            text.AppendLine();
            text.AppendLine("Run 'pgo <command> --help' for a command's options.");
            text.AppendLine("Exit codes: 0 success, 1 failure (bad input, recording failed), 2 usage error.");
            return text.ToString();
        }
    }
}
