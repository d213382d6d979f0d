using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Pgo.Build.Hints;
using Pgo.Build.IO;

namespace Pgo.Build.Mibc
{
    /// <summary>
    /// <c>mibc.state</c> in the hint directory: the inputs of the last .mibc run (compiled assembly, the four hint
    /// files it reads, the executable flag and this code's version, by path, size and write time) and what it
    /// produced (the .mibc path, the build line, the PGO104 text). An unchanged build replays it without opening
    /// the assembly; any change runs the stage again.
    /// </summary>
    public sealed record MibcState(string Stamp, string? MibcPath, string Summary, string? Mismatch)
    {
        public const string FileName = "mibc.state";
        public const string FormatName = "PGO-MIBC-STATE V1";

        private static readonly string[] Inputs = { HintFileNames.DevirtHints, HintFileNames.BlockCounts, HintFileNames.InlineHints, HintFileNames.Functions };

        /// <summary><c>mibc.references.state</c>: the same for the whole-program .mibc (<see cref="MibcStage.RunReferencesIncremental"/>).</summary>
        public const string ReferencesFileName = "mibc.references.state";

        public static string StampFor(string assemblyPath, string hintDirectory, bool isExecutable) =>
            StampOf(new[] { assemblyPath }, hintDirectory, isExecutable ? "exe" : "lib");

        /// <summary>The whole program's inputs: the application, every assembly ILC compiles besides it (in order), the hint files.</summary>
        public static string StampForReferences(string appAssemblyName, string? appAssemblyPath, IEnumerable<string> references, string hintDirectory) =>
            StampOf((appAssemblyPath == null ? Array.Empty<string>() : new[] { appAssemblyPath }).Concat(references), hintDirectory, "references of " + appAssemblyName);

        private static string StampOf(IEnumerable<string> files, string hintDirectory, string flavor) =>
            Sha256Hex.Of(string.Join("|",
                files.Select(FileStamp.Of)
                    .Concat(Inputs.Select(name => FileStamp.Of(Path.Combine(hintDirectory, name))))
                    .Concat(new[] { flavor, typeof(MibcState).Assembly.ManifestModule.ModuleVersionId.ToString("N") })));

        /// <summary>Whether this state answers for <paramref name="stamp"/> and its .mibc (if any) is still there.</summary>
        public bool IsCurrent(string stamp) => Stamp == stamp && (MibcPath == null || File.Exists(MibcPath));

        public byte[] ToBytes() =>
            new TextTable(FormatName)
                .Meta("stamp", Stamp)
                .Meta("mibc", MibcPath ?? "")
                .Meta("summary", Summary)
                .Meta("warning", Mismatch ?? "")
                .ToBytes();

        /// <summary>The state of a hint directory, or null when there is none or it is unreadable.</summary>
        public static MibcState? TryRead(string hintDirectory, string fileName = FileName)
        {
            string path = Path.Combine(hintDirectory, fileName);
            try
            {
                if (!File.Exists(path))
                {
                    return null;
                }

                var table = TextTable.Read(path, FormatName);
                return new MibcState(table.Get("stamp") ?? "", NullIfEmpty(table.Get("mibc")), table.Get("summary") ?? "", NullIfEmpty(table.Get("warning")));
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is FormatException)
            {
                return null;
            }
        }

        private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
    }
}
