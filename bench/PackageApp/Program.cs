using System;
using System.Diagnostics;
using System.Text;
using Markdig;

namespace PackageApp
{
    /// <summary>Usage: PackageApp [rounds]. Renders a generated Markdown document to HTML; prints the time and a checksum.</summary>
    internal static class Program
    {
        public static int Main(string[] args)
        {
            int rounds = args.Length > 0 && int.TryParse(args[0], out int r) && r > 0 ? r : 40;
            string document = Document(seed: 3, sections: 60);
            var pipeline = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();
            var sw = Stopwatch.StartNew();
            long checksum = 0;
            for (int i = 0; i < rounds; i++)
            {
                string html = Markdown.ToHtml(document, pipeline);
                checksum = checksum * 31 + html.Length;
            }

            Console.WriteLine($"markdown: {sw.ElapsedMilliseconds} ms, checksum {checksum}");
            return 0;
        }

        /// <summary>Headings, paragraphs with emphasis, links and code, lists, tables, quotes and fenced code.</summary>
        private static string Document(int seed, int sections)
        {
            var random = new Random(seed);
            string[] words = { "profile", "guided", "optimization", "compiler", "inline", "virtual", "delegate", "sample", "hot", "path", "branch", "cache" };
            string Word() => words[random.Next(words.Length)];
            var sb = new StringBuilder();
            for (int s = 0; s < sections; s++)
            {
                sb.Append("## Section ").Append(s).Append(' ').Append(Word()).Append("\n\n");
                for (int p = 0; p < 4; p++)
                {
                    for (int w = 0; w < 40; w++)
                    {
                        switch (random.Next(12))
                        {
                            case 0: sb.Append("**").Append(Word()).Append("** "); break;
                            case 1: sb.Append('*').Append(Word()).Append("* "); break;
                            case 2: sb.Append('`').Append(Word()).Append("()` "); break;
                            case 3: sb.Append('[').Append(Word()).Append("](https://example.org/").Append(Word()).Append(") "); break;
                            default: sb.Append(Word()).Append(' '); break;
                        }
                    }

                    sb.Append("\n\n");
                }

                for (int i = 0; i < 5; i++)
                {
                    sb.Append("- ").Append(Word()).Append(' ').Append(Word()).Append(" *").Append(Word()).Append("*\n");
                }

                sb.Append("\n| name | value | note |\n|---|---:|---|\n");
                for (int i = 0; i < 6; i++)
                {
                    sb.Append("| ").Append(Word()).Append(" | ").Append(random.Next(1000)).Append(" | ").Append(Word()).Append(" |\n");
                }

                sb.Append("\n> ").Append(Word()).Append(' ').Append(Word()).Append("\n\n```csharp\nvar x = ").Append(random.Next(100)).Append(";\n```\n\n");
            }

            return sb.ToString();
        }
    }
}
