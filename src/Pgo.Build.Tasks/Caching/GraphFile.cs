using System;
using System.Collections.Generic;
using System.Globalization;
using Pgo.Build.CallGraph;
using Pgo.Build.Hints;
using Pgo.Build.IO;
using Pgo.Build.Naming;
using Pgo.Build.RuntimePgo;

namespace Pgo.Build.Caching
{
    /// <summary>
    /// The cached form of a <see cref="WeightedCallGraph"/> (docs/formats.md, "cache entry"): a
    /// <see cref="TextTable"/> with <c>F flat cum name</c> rows for functions and
    /// <c>E offset weight caller callee</c> rows for edges, in the graph's own order.
    /// </summary>
    /// <summary>What the engine derives from a profile's bytes, independent of any project: Go's graph and the runtime records.</summary>
    public sealed record PreprocessedProfile(WeightedCallGraph Graph, IReadOnlyList<RuntimeRecord> RuntimeRecords, FrameNameReport? FrameNames = null)
    {
        /// <summary>How much of the profile names .NET methods (from the decoded profile, else from the graph's names).</summary>
        public FrameNameReport Names => FrameNames ?? FrameNameReport.Of(Graph.Functions);
    }

    public static class GraphFile
    {
        public const string Format = "PGO-GRAPH V2";

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
            return table.ToBytes();
        }

        /// <summary>Reads an entry back; throws <see cref="FormatException"/> when it is damaged or foreign.</summary>
        public static WeightedCallGraph Read(string text, string expectedProfileSha256) => ReadProfile(text, expectedProfileSha256).Graph;

        public static PreprocessedProfile ReadProfile(string text, string expectedProfileSha256)
        {
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
