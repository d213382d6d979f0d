using System;
using System.Collections.Generic;
using System.Globalization;
using Pgo.Build.IO;
using Pgo.Build.RuntimePgo;

namespace Pgo.Build.Hints
{
    /// <summary>
    /// The runtime's recorded PGO data as hint files (docs/formats.md): <c>devirt-hints.txt</c> holds the call-site
    /// records (receiver-type and delegate-target histograms and their counts), <c>block-counts.txt</c> the block,
    /// edge and other numeric records. One row per value; the .mibc writer reads these files, not engine state.
    /// </summary>
    public static class RuntimeRecordFiles
    {
        public const string DevirtFormat = "PGO-DEVIRT-HINTS V1";
        public const string BlockFormat = "PGO-BLOCK-COUNTS V1";

        public const string Columns = "method\tname\til-size\til-hash\tmethod-hash\tinstantiation\tstart-line\tline\tkind\til-offset\tother\tindex\thandle\tvalue";

        public static byte[] WriteDevirtHints(IEnumerable<RuntimeRecord> records, HintProvenance provenance) =>
            Write(DevirtFormat, records, r => r.IsCallRecord, provenance);

        public static byte[] WriteBlockCounts(IEnumerable<RuntimeRecord> records, HintProvenance provenance) =>
            Write(BlockFormat, records, r => !r.IsCallRecord, provenance);

        public static IReadOnlyList<RuntimeRecord> ReadDevirtHints(string path) => ReadRows(TextTable.Read(path, DevirtFormat), path);

        public static IReadOnlyList<RuntimeRecord> ReadBlockCounts(string path) => ReadRows(TextTable.Read(path, BlockFormat), path);

        /// <summary>Appends one <c>R</c>-prefixed row per record (the cache entry's form).</summary>
        public static void AddRows(TextTable table, IEnumerable<RuntimeRecord> records, string prefix)
        {
            foreach (var r in records)
            {
                var fields = Fields(r);
                if (prefix.Length > 0)
                {
                    var withPrefix = new string[fields.Length + 1];
                    withPrefix[0] = prefix;
                    Array.Copy(fields, 0, withPrefix, 1, fields.Length);
                    fields = withPrefix;
                }

                table.Row(fields);
            }
        }

        /// <summary>Parses one row of <see cref="Columns"/> (without prefix); throws <see cref="FormatException"/>.</summary>
        public static RuntimeRecord Parse(string[] row, int start)
        {
            if (row.Length - start != 14)
            {
                throw new FormatException($"expected 14 fields, found {row.Length - start}");
            }

            return new RuntimeRecord(
                row[start], row[start + 1], Long(row[start + 2]), Long(row[start + 3]), Long(row[start + 4]), row[start + 5],
                Long(row[start + 6]), Long(row[start + 7]), (int)Long(row[start + 8]), (int)Long(row[start + 9]), Long(row[start + 10]),
                (int)Long(row[start + 11]), row[start + 12], Long(row[start + 13]));
        }

        private static byte[] Write(string format, IEnumerable<RuntimeRecord> records, Func<RuntimeRecord, bool> include, HintProvenance provenance)
        {
            var table = new TextTable(format);
            provenance.AddTo(table);
            table.Meta("columns", Columns);
            var selected = new List<RuntimeRecord>();
            foreach (var r in records)
            {
                if (include(r))
                {
                    selected.Add(r);
                }
            }

            selected.Sort(RuntimeRecord.Compare);
            AddRows(table, selected, "");
            return table.ToBytes();
        }

        private static IReadOnlyList<RuntimeRecord> ReadRows(TextTable table, string path)
        {
            var result = new List<RuntimeRecord>(table.Rows.Count);
            foreach (var row in table.Rows)
            {
                try
                {
                    result.Add(Parse(row, 0));
                }
                catch (Exception e) when (e is FormatException || e is OverflowException)
                {
                    throw new FormatException($"{path}: {e.Message}", e);
                }
            }

            return result;
        }

        private static string[] Fields(RuntimeRecord r) => new[]
        {
            r.Method, r.MethodName, Num(r.IlSize), Num(r.IlHash), Num(r.MethodHash), r.Instantiation, Num(r.StartLine), Num(r.Line),
            Num(r.Kind), Num(r.IlOffset), Num(r.Other), Num(r.Index), r.Handle, Num(r.Value),
        };

        private static string Num(long v) => v.ToString(CultureInfo.InvariantCulture);

        private static long Long(string s) => Format.ParseLong(s);
    }
}
