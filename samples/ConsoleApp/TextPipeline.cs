using System;
using System.Collections.Generic;
using System.Text;

namespace ConsoleApp
{
    /// <summary>Generated log lines → tokenized → filtered and transformed by delegate stages → aggregated.</summary>
    internal static class TextPipeline
    {
        private static readonly string[] Words = { "alpha", "beta", "gamma", "delta", "error", "warn", "info", "debug", "request", "response" };

        public static List<string> Generate(int lines, int seed)
        {
            var random = new Random(seed);
            var result = new List<string>(lines);
            var sb = new StringBuilder();
            for (int i = 0; i < lines; i++)
            {
                sb.Clear();
                sb.Append(random.Next(0, 24).ToString("00")).Append(':').Append(random.Next(0, 60).ToString("00")).Append(' ');
                int count = 4 + random.Next(8);
                for (int w = 0; w < count; w++)
                {
                    // Skewed: "info" dominates, like real logs.
                    string word = random.Next(10) < 6 ? "info" : Words[random.Next(Words.Length)];
                    sb.Append(word).Append(' ').Append(random.Next(1000)).Append(' ');
                }

                result.Add(sb.ToString());
            }

            return result;
        }

        public static Dictionary<string, long> Process(List<string> lines, IReadOnlyList<Func<string, string?>> stages)
        {
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var line in lines)
            {
                foreach (var token in Tokenize(line))
                {
                    string? value = token;
                    foreach (var stage in stages)
                    {
                        value = stage(value);
                        if (value == null)
                        {
                            break;
                        }
                    }

                    if (value != null)
                    {
                        counts.TryGetValue(value, out long n);
                        counts[value] = n + 1;
                    }
                }
            }

            return counts;
        }

        public static IEnumerable<string> Tokenize(string line)
        {
            int start = 0;
            for (int i = 0; i <= line.Length; i++)
            {
                if (i == line.Length || IsSeparator(line[i]))
                {
                    if (i > start)
                    {
                        yield return line.Substring(start, i - start);
                    }

                    start = i + 1;
                }
            }
        }

        public static bool IsSeparator(char c) => c == ' ' || c == ':' || c == ',';

        public static string? DropNumbers(string token) => char.IsDigit(token[0]) ? null : token;

        public static string? Normalize(string token) => token.Length > 4 ? token.Substring(0, 4) : token;
    }
}
