using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Pgo.Build.Mibc;
using Pgo.Tool.Cli;

namespace Pgo.Tool.Commands
{
    internal sealed class MibcCommand : ICommand
    {
        public string Name => "mibc";

        public string Summary => "decode a .mibc (what a build handed to ILC and crossgen2)";

        public string Help =>
@"Usage: pgo mibc <file.mibc>

Prints every profiled method of a .NET static-PGO file with its records: instrumentation kind, IL offset,
Other, and the values (counts; receiver-type tables as type x slots). Works on the .mibc files Pgo.Sdk writes
under obj/<configuration>/<tfm>/pgo/ and on dotnet-pgo's.
";

        public IReadOnlyDictionary<string, string> ValueOptions { get; } = new Dictionary<string, string>();

        public IReadOnlyDictionary<string, string> FlagOptions { get; } = new Dictionary<string, string>();

        public int Run(Arguments args, TextWriter stdout, TextWriter stderr)
        {
            if (args.Positionals.Count != 1)
            {
                throw ToolException.Usage("give exactly one .mibc file");
            }

            IReadOnlyList<MibcEntry> entries;
            try
            {
                entries = MibcReader.Read(args.Positionals[0]);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is BadImageFormatException || e is InvalidOperationException)
            {
                throw new ToolException($"cannot read '{args.Positionals[0]}': {e.Message}", ExitCodes.Failure, e);
            }

            foreach (var entry in entries)
            {
                stdout.WriteLine($"{entry.Method}  [group {entry.Group}]{(entry.ExclusiveWeight.HasValue ? " weight " + entry.ExclusiveWeight.Value.ToString(CultureInfo.InvariantCulture) : "")}");
                foreach (var (callee, weight) in entry.Calls)
                {
                    stdout.WriteLine(string.Format(CultureInfo.InvariantCulture, "  calls {0} weight {1}", callee, weight));
                }
                foreach (var r in entry.Records)
                {
                    string values = r.Types.Count > 0
                        ? string.Join(", ", r.Types.GroupBy(t => t.Length == 0 ? "(empty)" : t).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} x{g.Count()}"))
                        : string.Join(" ", r.Numbers.Select(n => n.ToString(CultureInfo.InvariantCulture)));
                    stdout.WriteLine(string.Format(CultureInfo.InvariantCulture, "  IL_{0:x4} kind 0x{1:x} other 0x{2:x8} count {3}: {4}", r.IlOffset, r.Kind, r.Other, r.Count, values));
                }
            }

            stderr.WriteLine($"pgo: {entries.Count} methods");
            return ExitCodes.Success;
        }
    }
}
