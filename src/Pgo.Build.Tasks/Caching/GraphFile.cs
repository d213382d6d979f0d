using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Pgo.Build.CallGraph;
using Pgo.Build.Hints;
using Pgo.Build.IO;
using Pgo.Build.Naming;
using Pgo.Build.RuntimePgo;

namespace Pgo.Build.Caching
{
    /// <summary>What the engine derives from a profile's bytes, independent of any project: Go's graph and the runtime records.</summary>
    public sealed record PreprocessedProfile(WeightedCallGraph Graph, IReadOnlyList<RuntimeRecord> RuntimeRecords, FrameNameReport? FrameNames = null)
    {
        /// <summary>How much of the profile names .NET methods (from the decoded profile, else from the graph's names).</summary>
        public FrameNameReport Names => FrameNames ?? FrameNameReport.Of(Graph.Functions);
    }

    /// <summary>
    /// The cached form of a <see cref="PreprocessedProfile"/> (docs/formats.md, "cache entry"): a
    /// <see cref="TextTable"/> with <c>F flat cum name</c> rows for functions, <c>E offset weight caller callee</c>
    /// rows for edges (in the graph's own order) and <c>R</c> rows for runtime records, sealed by a checksum of its
    /// own content (<c># content-sha256:</c>, the second line, over every byte after it): an entry changed after it
    /// was written (a flipped byte inside a name, a changed weight) never reads back.
    /// </summary>
    public static class GraphFile
    {
        public const string Format = "PGO-GRAPH V3";

        private const string ChecksumPrefix = "# content-sha256: ";

        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);

        public static byte[] Write(WeightedCallGraph graph, string profileSha256) =>
            Write(new PreprocessedProfile(graph, Array.Empty<RuntimeRecord>()), profileSha256);

        public static byte[] Write(PreprocessedProfile profile, string profileSha256)
        {
            var graph = profile.Graph;
            var table = new TextTable(Format)
                .Meta("profile-sha256", profileSha256)
                .Meta("sample-type", graph.SampleType)
                .Meta("samples", Num(graph.SampleCount))
                .Meta("sample-value", Num(graph.SampleValue))
                .Meta("start-lines", graph.HasStartLines ? "yes" : "no")
                .Meta("functions", Num(graph.Functions.Count))
                .Meta("edges", Num(graph.Edges.Count))
                .Meta("runtime-records", Num(profile.RuntimeRecords.Count))
                .Meta("frame-names", profile.Names.ToField());
            foreach (var f in graph.Functions)
            {
                table.Row("F", Num(f.Flat), Num(f.Cum), f.Name);
            }

            foreach (var e in graph.Edges)
            {
                table.Row("E", e.Offset.HasValue ? Num(e.Offset.Value) : "-", Num(e.Weight), e.Caller, e.Callee);
            }

            RuntimeRecordFiles.AddRows(table, profile.RuntimeRecords, "R");
            return Seal(table.ToBytes());
        }

        /// <summary>Inserts the checksum line after the format line: SHA-256 of every byte that follows it.</summary>
        private static byte[] Seal(byte[] unsealed)
        {
            int bodyStart = Array.IndexOf(unsealed, (byte)'\n') + 1;
            byte[] body = new byte[unsealed.Length - bodyStart];
            Array.Copy(unsealed, bodyStart, body, 0, body.Length);
            byte[] checksum = StrictUtf8.GetBytes(ChecksumPrefix + Sha256Hex.Of(body) + "\n");
            byte[] sealedBytes = new byte[unsealed.Length + checksum.Length];
            Array.Copy(unsealed, 0, sealedBytes, 0, bodyStart);
            Array.Copy(checksum, 0, sealedBytes, bodyStart, checksum.Length);
            Array.Copy(body, 0, sealedBytes, bodyStart + checksum.Length, body.Length);
            return sealedBytes;
        }

        /// <summary>The entry's text once its format line and checksum are verified; throws <see cref="FormatException"/> otherwise.</summary>
        private static string Unseal(byte[] bytes)
        {
            int first = Array.IndexOf(bytes, (byte)'\n');
            int second = first < 0 ? -1 : Array.IndexOf(bytes, (byte)'\n', first + 1);
            string format = first < 0 ? "" : Encoding.ASCII.GetString(bytes, 0, first);
            if (format != Format)
            {
                throw new FormatException($"expected first line '{Format}', found '{Truncate(format)}'");
            }

            string checksumLine = second < 0 ? "" : Encoding.ASCII.GetString(bytes, first + 1, second - first - 1);
            if (!checksumLine.StartsWith(ChecksumPrefix, StringComparison.Ordinal) || checksumLine.Length != ChecksumPrefix.Length + 64)
            {
                throw new FormatException("cache entry has no checksum line");
            }

            byte[] body = new byte[bytes.Length - second - 1];
            Array.Copy(bytes, second + 1, body, 0, body.Length);
            if (Sha256Hex.Of(body) != checksumLine.Substring(ChecksumPrefix.Length))
            {
                throw new FormatException("checksum mismatch: the entry changed after it was written");
            }

            try
            {
                return StrictUtf8.GetString(bytes);
            }
            catch (ArgumentException e)
            {
                throw new FormatException("cache entry is not UTF-8", e);
            }
        }

        private static string Truncate(string text) => text.Length <= 40 ? text : text.Substring(0, 40) + "...";

        /// <summary>Reads an entry back; throws <see cref="FormatException"/> when it is damaged or foreign.</summary>
        public static WeightedCallGraph Read(string text, string expectedProfileSha256) => ReadProfile(new UTF8Encoding(false).GetBytes(text), expectedProfileSha256).Graph;

        /// <summary>Reads an entry's bytes back; throws <see cref="FormatException"/> when it is damaged or foreign.</summary>
        public static PreprocessedProfile ReadProfile(byte[] bytes, string expectedProfileSha256)
        {
            string text = Unseal(bytes);
            if (!text.EndsWith("\n", StringComparison.Ordinal))
            {
                // Write ends every line; an entry cut inside its last row would otherwise read back a shortened name.
                throw new FormatException("cache entry is incomplete");
            }

            var table = TextTable.Parse(text, Format);
            if (table.Get("profile-sha256") != expectedProfileSha256)
            {
                throw new FormatException("cache entry belongs to another profile");
            }

            var functions = new List<FunctionWeight>();
            var edges = new List<CallEdge>();
            var records = new List<RuntimeRecord>();
            foreach (var row in table.Rows)
            {
                if (row.Length == 4 && row[0] == "F")
                {
                    functions.Add(new FunctionWeight(row[3], ParseLong(row[1]), ParseLong(row[2])));
                }
                else if (row.Length == 5 && row[0] == "E")
                {
                    long? offset = row[1] == "-" ? (long?)null : ParseLong(row[1]);
                    edges.Add(new CallEdge(row[3], row[4], offset, ParseLong(row[2])));
                }
                else if (row.Length == 15 && row[0] == "R")
                {
                    records.Add(RuntimeRecordFiles.Parse(row, 1));
                }
                else
                {
                    throw new FormatException("unexpected row in cache entry");
                }
            }

            if (ParseLong(table.Get("functions")) != functions.Count || ParseLong(table.Get("edges")) != edges.Count ||
                ParseLong(table.Get("runtime-records")) != records.Count)
            {
                throw new FormatException("cache entry is incomplete");
            }

            var graph = new WeightedCallGraph(
                table.Get("sample-type") ?? "",
                ParseLong(table.Get("samples")),
                ParseLong(table.Get("sample-value")),
                table.Get("start-lines") == "yes",
                edges,
                functions);
            return new PreprocessedProfile(graph, records, FrameNameReport.FromField(table.Get("frame-names")) ?? throw new FormatException("cache entry has no frame-name report"));
        }

        private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

        private static long ParseLong(string? text) =>
            long.Parse(text ?? throw new FormatException("missing number"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    }
}
