using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Pgo.Build.RuntimePgo;
using Pgo.Tool.Cli;
using Pgo.Tool.Recording;

namespace Pgo.Tool.Commands
{
    internal sealed class ConvertCommand : ICommand
    {
        public string Name => "convert";

        public string Summary => "convert an EventPipe trace (.nettrace) into a pprof CPU profile";

        public string Help =>
@"Usage: pgo convert <trace.nettrace|trace.nettrace.zip> [-o default.pgo]

Reads an EventPipe trace written by dotnet-trace (--profile cpu-sampling) or DOTNET_EnableEventPipe, and
writes one gzip pprof profile with the same function identity and lines as 'pgo record': on-CPU
(Managed) samples of the Microsoft-DotNETCore-SampleProfiler, symbolized through the trace's method
load and rundown events. Methods whose assembly is on this machine (same path, same build) get
readable names, system names, files and lines from its metadata and portable PDB; the others are
named from the runtime's own names, without lines. A .zip holding one .nettrace is read directly.

The trace carries no runtime PGO data (the runtime writes it only at exit, to a file): record with
'pgo record' to get receiver-type histograms as well.

Options:
  -o, --output <file>     profile to write (default: default.pgo)
  -h, --help              this help
";

        public IReadOnlyDictionary<string, string> ValueOptions { get; } = new Dictionary<string, string>
        {
            ["-o"] = "output", ["--output"] = "output",
        };

        public IReadOnlyDictionary<string, string> FlagOptions { get; } = new Dictionary<string, string>();

        public int Run(Arguments args, TextWriter stdout, TextWriter stderr)
        {
            if (args.Positionals.Count != 1)
            {
                throw ToolException.Usage("give exactly one trace");
            }

            string input = args.Positionals[0];
            string output = args.Value("output") ?? "default.pgo";
            if (!File.Exists(input))
            {
                throw new ToolException($"no such trace: {input}");
            }

            string? extracted = null;
            try
            {
                string trace = input;
                if (input.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
                {
                    extracted = Extract(input);
                    trace = extracted;
                }

                var stats = new Recorder(stderr).WriteProfile(trace, Array.Empty<RuntimePgoMethod>(), null, null, output,
                    new[] { "converted by pgo " + ToolInfo.Version, "trace: " + Path.GetFileName(input) });
                if (stats.CpuSamples == 0)
                {
                    stderr.WriteLine("pgo: warning: the trace holds no on-CPU managed samples (was Microsoft-DotNETCore-SampleProfiler enabled?)");
                }
            }
            finally
            {
                if (extracted != null)
                {
                    File.Delete(extracted);
                }
            }

            return ExitCodes.Success;
        }

        private static string Extract(string zip)
        {
            try
            {
                using var archive = ZipFile.OpenRead(zip);
                var entries = archive.Entries.Where(e => e.FullName.EndsWith(".nettrace", StringComparison.OrdinalIgnoreCase)).ToList();
                if (entries.Count != 1)
                {
                    throw new ToolException($"'{zip}' holds {entries.Count} .nettrace files; expected exactly one");
                }

                string path = Path.Combine(Path.GetTempPath(), "pgo-convert-" + Guid.NewGuid().ToString("n") + ".nettrace");
                entries[0].ExtractToFile(path);
                return path;
            }
            catch (InvalidDataException e)
            {
                throw new ToolException($"'{zip}' is not a readable zip file: {e.Message}", ExitCodes.Failure, e);
            }
        }
    }
}
