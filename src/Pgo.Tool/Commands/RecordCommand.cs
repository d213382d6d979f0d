using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Pgo.Tool.Cli;
using Pgo.Tool.Recording;

namespace Pgo.Tool.Commands
{
    internal sealed class RecordCommand : ICommand
    {
        public string Name => "record";

        public string Summary => "record a CPU profile plus the runtime's PGO data of a .NET program";

        public string Help =>
@"Usage: pgo record [-o default.pgo] [--duration 30s] -- <command> [args...]
       pgo record --pid <pid> --duration 30s [--sample-share 10%] [-o default.pgo]

Runs <command> (a .NET program: its apphost or 'dotnet app.dll', not 'dotnet run') with EventPipe CPU
sampling and the runtime's PGO data, and writes one gzip pprof profile when it exits or when the
duration ends. The runtime writes its PGO data only when the program ends by itself: a program stopped
at the end of the duration (SIGTERM) gives CPU samples only. With --pid, attaches to a running process
for the duration; such a recording holds CPU samples only too. EventPipe's sampler stops the program's
threads once a millisecond while it runs, so an attached recording runs it for a share of each second
(10%: an average of 100 samples a second per busy thread, Go's rate) to keep its cost low.

Options:
  -o, --output <file>     profile to write (default: default.pgo)
  -d, --duration <time>   stop after this long: 30s, 2m, 1m30s, 500ms
  -p, --pid <pid>         attach to a running .NET process (needs --duration)
      --sample-share <pct>  with --pid: share of each second the sampler runs, 1% to 100% (default 10%)
      --keep-readytorun   record with the framework's precompiled code (faster startup; framework
                          methods then get no runtime PGO data and no lines)
      --keep-temp         keep the raw trace and runtime PGO text (printed path)
  -h, --help              this help

The child's exit code is printed when it is not 0; pgo record itself exits 0 when the profile was
written, 1 on failure, 2 on a usage error.
";

        public IReadOnlyDictionary<string, string> ValueOptions { get; } = new Dictionary<string, string>
        {
            ["-o"] = "output", ["--output"] = "output",
            ["-d"] = "duration", ["--duration"] = "duration",
            ["-p"] = "pid", ["--pid"] = "pid",
            ["--sample-share"] = "sample-share",
        };

        public IReadOnlyDictionary<string, string> FlagOptions { get; } = new Dictionary<string, string>
        {
            ["--keep-readytorun"] = "keep-readytorun",
            ["--keep-temp"] = "keep-temp",
        };

        public int Run(Arguments args, TextWriter stdout, TextWriter stderr)
        {
            if (args.Positionals.Count > 0)
            {
                throw ToolException.Usage($"unexpected argument '{args.Positionals[0]}' (put the command to record after '--')");
            }

            string? durationText = args.Value("duration");
            string? pidText = args.Value("pid");
            string? shareText = args.Value("sample-share");
            if (shareText != null && pidText == null)
            {
                throw ToolException.Usage("--sample-share applies to an attached recording (--pid) only");
            }
            var settings = new RecordSettings
            {
                Output = args.Value("output") ?? "default.pgo",
                Duration = durationText == null ? null : Arguments.ParseDuration(durationText),
                DisableReadyToRun = !args.Flag("keep-readytorun"),
                SampleShare = shareText == null ? RecordSettings.DefaultSampleShare : ParseShare(shareText),
                KeepTemp = args.Flag("keep-temp"),
            };
            var recorder = new Recorder(stderr);
            if (pidText != null)
            {
                if (args.Rest.Count > 0)
                {
                    throw ToolException.Usage("give either --pid or a command after '--', not both");
                }

                if (!int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid <= 0)
                {
                    throw ToolException.Usage($"invalid process id '{pidText}'");
                }

                if (settings.Duration is not TimeSpan duration)
                {
                    throw ToolException.Usage("--pid needs --duration (how long to record)");
                }

                recorder.Attach(pid, duration, settings);
                return ExitCodes.Success;
            }

            if (args.Rest.Count == 0)
            {
                throw ToolException.Usage("nothing to record: give the command after '--' (pgo record -- dotnet app.dll)");
            }

            var (_, exitCode) = recorder.RecordChild(args.Rest, settings);
            if (exitCode != 0)
            {
                stderr.WriteLine($"pgo: note: the program exited with code {exitCode}");
            }

            return ExitCodes.Success;
        }

        /// <summary>"10%" or "10": a percentage from 1 to 100, as a fraction.</summary>
        internal static double ParseShare(string text)
        {
            string number = text.EndsWith("%", StringComparison.Ordinal) ? text.Substring(0, text.Length - 1) : text;
            if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double percent) || !(percent >= 1 && percent <= 100))
            {
                throw ToolException.Usage($"invalid --sample-share '{text}': a percentage from 1% to 100%");
            }

            return percent / 100;
        }
    }
}
