using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace LinqApp
{
    internal sealed record Sale(int Id, string Region, string Product, string Customer, int Units, decimal Price, DateTime Day);

    /// <summary>Usage: LinqApp [rounds]. Builds a sales report with LINQ over lists; prints the time and a checksum.</summary>
    internal static class Program
    {
        private static readonly string[] Regions = { "north", "south", "east", "west", "central" };
        private static readonly string[] Products = { "widget", "gadget", "gizmo", "doohickey", "sprocket", "flange", "valve", "bracket" };

        public static int Main(string[] args)
        {
            int rounds = args.Length > 0 && int.TryParse(args[0], out int r) && r > 0 ? r : 20;
            List<Sale> sales = Generate(50_000, seed: 5);
            var sw = Stopwatch.StartNew();
            long checksum = 0;
            for (int i = 0; i < rounds; i++)
            {
                checksum = checksum * 31 + Report(sales, minUnits: 1 + i % 3);
            }

            Console.WriteLine($"report: {sw.ElapsedMilliseconds} ms, checksum {checksum}");
            return 0;
        }

        private static List<Sale> Generate(int count, int seed)
        {
            var random = new Random(seed);
            var start = new DateTime(2026, 1, 1);
            var sales = new List<Sale>(count);
            for (int i = 0; i < count; i++)
            {
                sales.Add(new Sale(i, Regions[random.Next(Regions.Length)], Products[random.Next(Products.Length)], "c" + random.Next(2_000),
                    1 + random.Next(9), 1 + random.Next(20_000) / 100m, start.AddDays(random.Next(365))));
            }

            return sales;
        }

        private static long Report(List<Sale> sales, int minUnits)
        {
            long checksum = 0;
            var byRegion = sales.Where(s => s.Units >= minUnits)
                .GroupBy(s => s.Region)
                .Select(g => new { Region = g.Key, Revenue = g.Sum(s => s.Units * s.Price), Orders = g.Count() })
                .OrderByDescending(x => x.Revenue)
                .ToList();
            foreach (var region in byRegion)
            {
                checksum = checksum * 31 + (long)region.Revenue + region.Orders;
            }

            var topProducts = sales.GroupBy(s => s.Product)
                .ToDictionary(g => g.Key, g => g.Select(s => s.Customer).Distinct().Count());
            checksum += topProducts.Where(kv => kv.Value > 100).Sum(kv => kv.Value);

            var monthly = sales.Select(s => (Month: s.Day.Month, Total: s.Units * s.Price))
                .GroupBy(x => x.Month)
                .OrderBy(g => g.Key)
                .Select(g => g.Max(x => x.Total));
            checksum += (long)monthly.Sum();

            var bigCustomers = sales.Where(s => s.Price > 150m).Select(s => s.Customer).Distinct().Take(50).ToArray();
            checksum += bigCustomers.Length + (sales.Any(s => s.Units > 8 && s.Region == "west") ? 1 : 0);
            checksum += sales.SelectMany(s => s.Units > 7 ? new[] { s.Id, s.Units } : Array.Empty<int>()).Count(x => x % 2 == 0);
            return checksum;
        }
    }
}
