using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace PoolWork
{
    /// <summary>
    /// Usage: PoolWork [seconds] [workers]. Runs a server-like workload for a warm-up second, prints "ready", then for
    /// the given number of seconds (default 10) keeps <c>workers</c> (default 4 x cores) concurrent requests in flight on
    /// the thread pool; each request parses a small order document, prices it against a shared catalogue, formats a
    /// receipt and hashes it, with awaits between the stages (so work hops between pool threads). Prints the
    /// requests completed in the measured window, per second and per CPU second of the process (the latter does not
    /// depend on how much of a shared machine the process got).
    /// </summary>
    public static class Program
    {
        public static async Task<int> Main(string[] args)
        {
            double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
            int workers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4 * Environment.ProcessorCount;
            var catalogue = Catalogue.Create(5000);

            await RunFor(catalogue, TimeSpan.FromSeconds(1), workers); // warm-up: tiered compilation settles
            Console.WriteLine("ready");
            var watch = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            long done = await RunFor(catalogue, TimeSpan.FromSeconds(seconds), workers);
            double elapsed = watch.Elapsed.TotalSeconds;
            double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "requests: {0} in {1:0.000} s, {2:0} per second ({3} workers); cpu: {4:0.000} s, {5:0} requests per cpu second",
                done, elapsed, done / elapsed, workers, cpuSeconds, done / cpuSeconds));
            return 0;
        }

        private static async Task<long> RunFor(Catalogue catalogue, TimeSpan duration, int workers)
        {
            long done = 0;
            var deadline = Stopwatch.StartNew();
            var tasks = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
            {
                var random = new Random(w);
                while (deadline.Elapsed < duration)
                {
                    await Request.Handle(catalogue, random);
                    Interlocked.Increment(ref done);
                }
            })).ToArray();
            await Task.WhenAll(tasks);
            return done;
        }
    }

    internal sealed class Catalogue
    {
        private readonly Dictionary<string, decimal> _prices = new Dictionary<string, decimal>(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, int> _sold = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);

        public List<string> Skus { get; } = new List<string>();

        public static Catalogue Create(int count)
        {
            var c = new Catalogue();
            for (int i = 0; i < count; i++)
            {
                string sku = "SKU-" + i.ToString("D6", CultureInfo.InvariantCulture);
                c.Skus.Add(sku);
                c._prices[sku] = 1 + (i * 37 % 1000) / 10m;
            }

            return c;
        }

        public decimal Price(string sku) => _prices.TryGetValue(sku, out var p) ? p : 0m;

        public void Sell(string sku, int quantity) => _sold.AddOrUpdate(sku, quantity, (_, n) => n + quantity);
    }

    internal static class Request
    {
        public static async Task Handle(Catalogue catalogue, Random random)
        {
            string document = Compose(catalogue, random);
            await Task.Yield();
            var lines = Parse(document);
            await Task.Yield();
            string receipt = Price(catalogue, lines);
            await Task.Yield();
            _ = Checksum(receipt);
        }

        private static string Compose(Catalogue catalogue, Random random)
        {
            var sb = new StringBuilder();
            int items = 5 + random.Next(20);
            for (int i = 0; i < items; i++)
            {
                sb.Append(catalogue.Skus[random.Next(catalogue.Skus.Count)]).Append(',').Append(1 + random.Next(9)).Append(';');
            }

            return sb.ToString();
        }

        private static List<(string Sku, int Quantity)> Parse(string document) =>
            document.Split(';', StringSplitOptions.RemoveEmptyEntries)
                .Select(part => part.Split(','))
                .Select(f => (f[0], int.Parse(f[1], CultureInfo.InvariantCulture)))
                .ToList();

        private static string Price(Catalogue catalogue, List<(string Sku, int Quantity)> lines)
        {
            var sb = new StringBuilder();
            decimal total = 0;
            foreach (var (sku, quantity) in lines.OrderBy(l => l.Sku, StringComparer.Ordinal))
            {
                decimal amount = catalogue.Price(sku) * quantity;
                total += amount;
                catalogue.Sell(sku, quantity);
                sb.Append(sku).Append(" x").Append(quantity).Append(' ').Append(amount.ToString("F2", CultureInfo.InvariantCulture)).Append('\n');
            }

            sb.Append("total ").Append(total.ToString("F2", CultureInfo.InvariantCulture));
            return sb.ToString();
        }

        private static uint Checksum(string text)
        {
            uint hash = 2166136261;
            foreach (char c in text)
            {
                hash = (hash ^ c) * 16777619;
            }

            return hash;
        }
    }
}
