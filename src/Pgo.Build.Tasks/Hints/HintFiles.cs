using System;
using System.Collections.Generic;
using System.Globalization;
using Pgo.Build.CallGraph;
using Pgo.Build.IO;

namespace Pgo.Build.Hints
{
    /// <summary>File names under <c>$(IntermediateOutputPath)pgo/</c>: the contract with downstream steps (docs/formats.md).</summary>
    public static class HintFileNames
    {
        public const string HotFunctions = "hot-functions.txt";
        public const string InlineHints = "inline-hints.txt";
        public const string DevirtHints = "devirt-hints.txt";
        public const string BlockCounts = "block-counts.txt";
        public const string Functions = "functions.txt";
        public const string State = "profile.state";

        /// <summary>Every file the hint stage may write; deleted together when a profile turns out to be bad.</summary>
        public static readonly string[] All = { HotFunctions, Functions, InlineHints, DevirtHints, BlockCounts, State };
    }

    /// <summary>What the hint files say about where they came from.</summary>
    public sealed class HintProvenance
    {
        public HintProvenance(string profileSha256, string sampleType, double threshold)
        {
            ProfileSha256 = profileSha256;
            SampleType = sampleType;
            Threshold = threshold;
        }

        public string ProfileSha256 { get; }
        public string SampleType { get; }
        public double Threshold { get; }

        internal void AddTo(TextTable table) =>
            table.Meta("profile-sha256", ProfileSha256)
                 .Meta("sample-type", SampleType.Length == 0 ? "-" : SampleType)
                 .Meta("threshold", Format.Number(Threshold));
    }

    /// <summary><c>hot-functions.txt</c>: functions hot by flat weight under the CDF rule, hottest first.</summary>
    public static class HotFunctionsFile
    {
        public const string FormatName = "PGO-HOT-FUNCTIONS V1";

        public static byte[] Write(IReadOnlyList<FunctionWeight> hot, long totalFlat, HintProvenance provenance)
        {
            var table = new TextTable(FormatName);
            provenance.AddTo(table);
            table.Meta("total-flat", Format.Number(totalFlat))
                 .Meta("columns", "flat\tflat%\tcum\tfunction");
            foreach (var f in hot)
            {
                table.Row(Format.Number(f.Flat), Format.Percent(f.Flat, totalFlat), Format.Number(f.Cum), f.Name);
            }

            return table.ToBytes();
        }

        public static IReadOnlyList<FunctionWeight> Read(string path) => ReadWithTotal(path).Hot;

        /// <summary>The hot functions and the profile's total flat weight their percentages are of.</summary>
        public static (IReadOnlyList<FunctionWeight> Hot, long TotalFlat) ReadWithTotal(string path)
        {
            var table = TextTable.Read(path, FormatName);
            var result = new List<FunctionWeight>(table.Rows.Count);
            foreach (var row in table.Rows)
            {
                Format.Expect(row, 4, path);
                result.Add(new FunctionWeight(row[3], Format.ParseLong(row[0]), Format.ParseLong(row[2])));
            }

            return (result, Format.ParseLong(table.Get("total-flat") ?? throw new FormatException($"{path}: no total-flat")));
        }
    }

    /// <summary>
    /// <c>functions.txt</c>: every function of the profile with its flat and cumulative weight (cum counts a sample
    /// once per function), and the profile's total sample value: what a consumer needs to tell how much of the
    /// profile runs the code of the assembly it builds.
    /// </summary>
    public static class FunctionsFile
    {
        public const string FormatName = "PGO-FUNCTIONS V1";

        public static byte[] Write(IReadOnlyList<FunctionWeight> functions, long sampleValue, HintProvenance provenance)
        {
            var table = new TextTable(FormatName);
            provenance.AddTo(table);
            table.Meta("sample-value", Format.Number(sampleValue))
                 .Meta("columns", "flat\tcum\tfunction");
            foreach (var f in functions)
            {
                table.Row(Format.Number(f.Flat), Format.Number(f.Cum), f.Name);
            }

            return table.ToBytes();
        }

        public static (IReadOnlyList<FunctionWeight> Functions, long SampleValue) Read(string path)
        {
            var table = TextTable.Read(path, FormatName);
            var result = new List<FunctionWeight>(table.Rows.Count);
            foreach (var row in table.Rows)
            {
                Format.Expect(row, 3, path);
                result.Add(new FunctionWeight(row[2], Format.ParseLong(row[0]), Format.ParseLong(row[1])));
            }

            return (result, Format.ParseLong(table.Get("sample-value") ?? throw new FormatException($"{path}: no sample-value")));
        }
    }

    /// <summary>
    /// <c>inline-hints.txt</c>: Go's hot call sites (caller, call-site line offset, callee, weight), heaviest
    /// first. The offset is <c>-</c> when the profile has no start lines (method-level edges).
    /// </summary>
    public static class InlineHintsFile
    {
        public const string FormatName = "PGO-INLINE-HINTS V1";

        public static byte[] Write(IReadOnlyList<CallEdge> hot, long totalWeight, bool lineOffsets, HintProvenance provenance)
        {
            var table = new TextTable(FormatName);
            provenance.AddTo(table);
            table.Meta("total-weight", Format.Number(totalWeight))
                 .Meta("line-offsets", lineOffsets ? "yes" : "no")
                 .Meta("columns", "caller\toffset\tcallee\tweight");
            foreach (var e in hot)
            {
                table.Row(e.Caller, e.Offset.HasValue ? Format.Number(e.Offset.Value) : "-", e.Callee, Format.Number(e.Weight));
            }

            return table.ToBytes();
        }

        public static IReadOnlyList<CallEdge> Read(string path)
        {
            var table = TextTable.Read(path, FormatName);
            var result = new List<CallEdge>(table.Rows.Count);
            foreach (var row in table.Rows)
            {
                Format.Expect(row, 4, path);
                long? offset = row[1] == "-" ? (long?)null : Format.ParseLong(row[1]);
                result.Add(new CallEdge(row[0], row[2], offset, Format.ParseLong(row[3])));
            }

            return result;
        }
    }

    internal static class Format
    {
        public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

        public static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

        public static string Percent(long value, long total) =>
            total == 0 ? "0.00" : HotSelection.WeightInPercentage(value, total).ToString("F2", CultureInfo.InvariantCulture);

        /// <summary>A 64-bit number; anything else (including a number too large) is a <see cref="FormatException"/>.</summary>
        public static long ParseLong(string text) =>
            long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) ? value : throw new FormatException($"'{text}' is not a 64-bit number");

        public static void Expect(string[] row, int fields, string path)
        {
            if (row.Length != fields)
            {
                throw new FormatException($"{path}: expected {fields} tab-separated fields, found {row.Length}");
            }
        }
    }
}
