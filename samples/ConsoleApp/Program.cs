using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Reflection;

namespace ConsoleApp
{
    internal static class EntryPoint
    {
        /// <summary>
        /// Usage: ConsoleApp [scale] [poly|interpreter|pipeline|queries]. Prints each phase's time (interpreter: virtual
        /// calls; text pipeline: delegate stages and a dictionary; queries: lambdas into generic helpers over a class and
        /// a struct, LINQ) and a checksum (same for every build of the same arguments), and the profile this binary was
        /// built with, if any. "poly" runs another input through the interpreter (only the polynomial, no recursion):
        /// the benchmark records it as an unrepresentative profile. The other names run one phase alone.
        /// </summary>
        public static int Main(string[] args)
        {
            int scale = args.Length > 0 && int.TryParse(args[0], out int s) && s > 0 ? s : 1;
            var metadata = typeof(EntryPoint).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .ToDictionary(a => a.Key, a => a.Value);
            Console.WriteLine(metadata.TryGetValue("Pgo.Profile", out var profile)
                ? $"built with PGO profile {profile} (sha256 {metadata["Pgo.ProfileSha256"]?.Substring(0, 8)})"
                : "built without a PGO profile");

            var total = Stopwatch.StartNew();
            long checksum = 0;
            string only = args.Length > 1 ? args[1] : "";
            bool polynomialOnly = only == "poly";
            bool all = only.Length == 0 || polynomialOnly;
            if (all || only == "interpreter")
            {
                checksum = Interpreter(scale, polynomialOnly);
            }

            if (all || only == "pipeline")
            {
                checksum = checksum * 31 + Pipeline(scale);
            }

            if (all || only == "queries")
            {
                var sw = Stopwatch.StartNew();
                checksum = checksum * 31 + Queries.Run(Queries.Orders(20_000, seed: 7), Queries.Readings(20_000, seed: 11), rounds: 40 * scale);
                Console.WriteLine($"queries: {sw.ElapsedMilliseconds} ms");
            }

            Console.WriteLine($"total: {total.ElapsedMilliseconds} ms, checksum {checksum}");
            return 0;
        }

        private static long Interpreter(int scale, bool polynomialOnly)
        {
            long checksum = 0;
            var sw = Stopwatch.StartNew();
            var program = Programs.Build();
            for (int i = 0; i < scale; i++)
            {
                if (polynomialOnly)
                {
                    for (int x = 0; x < 1_000_000; x++)
                    {
                        checksum += Programs.Run(program, 1, x);
                    }

                    continue;
                }

                checksum += Programs.Run(program, 0, 30);
                checksum += Programs.Run(program, 2, 2000, 0);
            }

            Console.WriteLine($"interpreter: {sw.ElapsedMilliseconds} ms");
            return checksum;
        }

        private static long Pipeline(int scale)
        {
            long checksum = 0;
            var sw = Stopwatch.StartNew();
            var lines = TextPipeline.Generate(60_000 * scale, seed: 42);
            var stages = new List<Func<string, string?>> { TextPipeline.DropNumbers, TextPipeline.Normalize, t => t.ToUpperInvariant() };
            var counts = TextPipeline.Process(lines, stages);
            foreach (var kv in counts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                checksum = checksum * 31 + kv.Value;
            }

            Console.WriteLine($"text pipeline: {sw.ElapsedMilliseconds} ms");
            return checksum;
        }
    }
}
