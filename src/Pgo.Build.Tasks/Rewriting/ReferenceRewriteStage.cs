using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Pgo.Build.IO;
using Pgo.Build.Metadata;

namespace Pgo.Build.Rewriting
{
    /// <summary>A reference ILC compiles from a rewritten private copy instead of the file the build resolved.</summary>
    public sealed record RewrittenReference(string Source, string Output, int Guarded, int Inlined)
    {
        /// <summary><c>foreach</c> loops over an interface rewritten for the recorded List&lt;T&gt; or T[].</summary>
        public int Enumerated { get; init; }
    }

    /// <summary>What the reference stage did, for the build line.</summary>
    public sealed record ReferenceRewriteOutcome(IReadOnlyList<RewrittenReference> Rewritten, int Examined, string Summary);

    /// <summary>
    /// NativeAOT compiles every reference from IL, so the IL consumers apply to package and project references too,
    /// the way Go rebuilds every dependency with the profile: each reference that is not part of the framework is
    /// rewritten (delegate guards, AggressiveInlining: <see cref="RewriteStage.RewriteCopy"/>) into a private copy under
    /// <c>pgo/references/</c>, and the build hands ILC the copy. The resolved file (the NuGet cache, a project's output,
    /// what <c>dotnet build</c> copies to bin/) is never written. <c>pgo/references.state</c> remembers each copy's
    /// inputs, so an unchanged publish does not rewrite again.
    /// </summary>
    public static class ReferenceRewriteStage
    {
        public const string DirectoryName = "references";
        public const string StateFileName = "references.state";
        private const string FormatName = "PGO-REFERENCES-STATE V2";

        public static ReferenceRewriteOutcome Run(string appName, IEnumerable<string> references, string hintDirectory, RewriteOptions options)
        {
            string outputDirectory = Path.Combine(hintDirectory, DirectoryName);
            string statePath = Path.Combine(hintDirectory, StateFileName);
            var previous = ReadState(statePath);
            var (records, edges) = RewriteStage.ReadHints(hintDirectory);
            string hints = Sha256Hex.Of(string.Join("|", RewriteStage.HintsStamp(hintDirectory), options.Stamp,
                typeof(ReferenceRewriteStage).Assembly.ManifestModule.ModuleVersionId.ToString("N")));
            var rewritten = new List<RewrittenReference>();
            var state = new TextTable(FormatName);
            var kept = new HashSet<string>(StringComparer.Ordinal);
            int examined = 0;
            foreach (string source in references.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).OrderBy(p => p, StringComparer.Ordinal))
            {
                string name = Path.GetFileNameWithoutExtension(source);
                if (!options.Any || string.Equals(name, appName, StringComparison.Ordinal) || MetadataNames.IsFrameworkAssembly(name) || !File.Exists(source))
                {
                    continue;
                }

                examined++;
                string output = Path.Combine(outputDirectory, Path.GetFileName(source));
                string stamp = Sha256Hex.Of(Sha256Hex.Of(File.ReadAllBytes(source)) + "|" + hints);
                RewrittenReference? result;
                if (previous.TryGetValue(source, out var known) && known.Stamp == stamp && (known.Result == null || File.Exists(known.Result.Output)))
                {
                    result = known.Result;
                }
                else
                {
                    var outcome = RewriteStage.RewriteCopy(source, output, records, edges, options);
                    result = outcome == null ? null : new RewrittenReference(source, output, outcome.Guarded.Count, outcome.Inlined) { Enumerated = outcome.Enumerated.Count };
                }

                state.Row(source, stamp, result?.Output ?? "", (result?.Guarded ?? 0).ToString(CultureInfo.InvariantCulture), (result?.Inlined ?? 0).ToString(CultureInfo.InvariantCulture), (result?.Enumerated ?? 0).ToString(CultureInfo.InvariantCulture));
                if (result != null)
                {
                    rewritten.Add(result);
                    kept.Add(result.Output);
                    kept.Add(Path.ChangeExtension(result.Output, ".pdb"));
                }
            }

            // Copies of references that no longer need one (or are no longer referenced) go.
            if (Directory.Exists(outputDirectory))
            {
                foreach (var file in Directory.GetFiles(outputDirectory).Where(f => !kept.Contains(f)))
                {
                    AtomicFile.TryDelete(file);
                }
            }

            AtomicFile.WriteIfChanged(statePath, state.ToBytes());
            string summary = rewritten.Count == 0
                ? string.Format(CultureInfo.InvariantCulture, "PGO: {0}: no reference rewritten for ILC ({1} package or project references examined; none has hot delegate calls, hot callees or foreach loops over a recorded List<T> or T[] the profile names).", appName, examined)
                : string.Format(CultureInfo.InvariantCulture, "PGO: {0}: references rewritten for ILC (private copies in {1}): {2}; {3} package or project references examined.",
                    appName, outputDirectory, string.Join(", ", rewritten.Select(r => string.Format(CultureInfo.InvariantCulture,
                        "{0} ({1} delegate calls guarded, AggressiveInlining on {2} hot callees{3})", Path.GetFileNameWithoutExtension(r.Source), r.Guarded, r.Inlined,
                        r.Enumerated > 0 ? string.Format(CultureInfo.InvariantCulture, ", {0} foreach loops over a List<T> or T[] without allocating", r.Enumerated) : ""))), examined);
            return new ReferenceRewriteOutcome(rewritten, examined, summary);
        }

        private static Dictionary<string, (string Stamp, RewrittenReference? Result)> ReadState(string path)
        {
            var result = new Dictionary<string, (string, RewrittenReference?)>(StringComparer.Ordinal);
            try
            {
                if (!File.Exists(path))
                {
                    return result;
                }

                foreach (var row in TextTable.Read(path, FormatName).Rows.Where(r => r.Length == 6))
                {
                    var rewritten = row[2].Length == 0 ? null : new RewrittenReference(row[0], row[2],
                        int.Parse(row[3], NumberStyles.None, CultureInfo.InvariantCulture), int.Parse(row[4], NumberStyles.None, CultureInfo.InvariantCulture))
                    {
                        Enumerated = int.Parse(row[5], NumberStyles.None, CultureInfo.InvariantCulture),
                    };
                    result[row[0]] = (row[1], rewritten);
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is FormatException || e is OverflowException)
            {
                result.Clear(); // an unreadable state only costs a rewrite
            }

            return result;
        }
    }
}
