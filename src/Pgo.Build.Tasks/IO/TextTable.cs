using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Pgo.Build.IO
{
    /// <summary>
    /// The shape shared by our text files (hint files, cache entries, state): a first line naming the format and
    /// its version, then <c># key: value</c> metadata lines (values escaped with <see cref="FieldText.EscapeValue"/>, so
    /// a value from a profile, such as a sample type, cannot end its line and inject rows), then rows of tab-separated
    /// fields escaped with <see cref="FieldText"/>. UTF-8 without BOM, LF line ends, no timestamps: equal inputs give equal bytes.
    /// </summary>
    public sealed class TextTable
    {
        public TextTable(string format)
        {
            Format = format;
        }

        /// <summary>The first line, e.g. <c>PGO-INLINE-HINTS V1</c>.</summary>
        public string Format { get; }

        public List<KeyValuePair<string, string>> Metadata { get; } = new List<KeyValuePair<string, string>>();

        public List<string[]> Rows { get; } = new List<string[]>();

        public TextTable Meta(string key, string value)
        {
            Metadata.Add(new KeyValuePair<string, string>(key, value));
            return this;
        }

        public TextTable Row(params string[] fields)
        {
            Rows.Add(fields);
            return this;
        }

        public string? Get(string key)
        {
            foreach (var kv in Metadata)
            {
                if (kv.Key == key)
                {
                    return kv.Value;
                }
            }

            return null;
        }

        public byte[] ToBytes()
        {
            var sb = new StringBuilder();
            sb.Append(Format).Append('\n');
            foreach (var kv in Metadata)
            {
                sb.Append("# ").Append(kv.Key).Append(": ").Append(FieldText.EscapeValue(kv.Value)).Append('\n');
            }

            foreach (var row in Rows)
            {
                for (int i = 0; i < row.Length; i++)
                {
                    if (i > 0)
                    {
                        sb.Append('\t');
                    }

                    string field = FieldText.Escape(row[i]);
                    if (i == 0 && field.Length > 0 && field[0] == '#')
                    {
                        sb.Append('\\'); // a data row never starts with '#', which marks metadata
                    }

                    sb.Append(field);
                }

                sb.Append('\n');
            }

            return new UTF8Encoding(false).GetBytes(sb.ToString());
        }

        /// <summary>Parses text written by <see cref="ToBytes"/>; throws <see cref="FormatException"/> on anything else.</summary>
        public static TextTable Parse(string text, string expectedFormat)
        {
            var reader = new StringReader(text);
            string? first = reader.ReadLine();
            if (first != expectedFormat)
            {
                throw new FormatException($"expected first line '{expectedFormat}', found '{first}'");
            }

            var table = new TextTable(expectedFormat);
            string? line;
            while ((line = reader.ReadLine()) != null)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                if (line[0] == '#')
                {
                    int colon = line.IndexOf(": ", StringComparison.Ordinal);
                    if (line.StartsWith("# ", StringComparison.Ordinal) && colon > 2)
                    {
                        table.Meta(line.Substring(2, colon - 2), FieldText.Unescape(line.Substring(colon + 2)));
                    }

                    continue;
                }

                var fields = line.Split('\t');
                for (int i = 0; i < fields.Length; i++)
                {
                    fields[i] = FieldText.Unescape(fields[i]);
                }

                table.Rows.Add(fields);
            }

            return table;
        }

        public static TextTable Read(string path, string expectedFormat) =>
            Parse(File.ReadAllText(path, new UTF8Encoding(false)), expectedFormat);
    }
}
