using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace InvoiceApp
{
    internal sealed record Line(string Sku, string Category, int Quantity, decimal UnitPrice);

    internal sealed record Discount(string Category, int MinQuantity, decimal Rate);

    internal sealed class Invoice
    {
        public Invoice(string customer, List<Line> lines, string[] tags)
        {
            Customer = customer;
            Lines = lines;
            Tags = tags;
        }

        public string Customer { get; }
        public List<Line> Lines { get; }
        public string[] Tags { get; }
    }

    internal sealed record Totals(decimal Subtotal, decimal Saved, decimal Tax, int Units);

    /// <summary>The pricing rules, written against interfaces the way service code usually is.</summary>
    internal static class Pricing
    {
        public static decimal Subtotal(IEnumerable<Line> lines)
        {
            decimal total = 0;
            foreach (var line in lines)
            {
                total += line.Quantity * line.UnitPrice;
            }

            return total;
        }

        public static int Units(IReadOnlyCollection<Line> lines)
        {
            int units = 0;
            foreach (var line in lines)
            {
                units += line.Quantity;
            }

            return units;
        }

        public static decimal Savings(IEnumerable<Line> lines, IReadOnlyList<Discount> discounts)
        {
            decimal saved = 0;
            foreach (var line in lines)
            {
                decimal best = 0;
                foreach (var discount in discounts)
                {
                    if (discount.Category == line.Category && line.Quantity >= discount.MinQuantity && discount.Rate > best)
                    {
                        best = discount.Rate;
                    }
                }

                saved += line.Quantity * line.UnitPrice * best;
            }

            return saved;
        }

        public static decimal TaxRate(IEnumerable<string> tags)
        {
            foreach (var tag in tags)
            {
                if (tag == "exempt")
                {
                    return 0m;
                }
            }

            return 0.2m;
        }

        public static Totals Price(Invoice invoice, IReadOnlyList<Discount> discounts)
        {
            decimal subtotal = Subtotal(invoice.Lines);
            decimal saved = Savings(invoice.Lines, discounts);
            decimal tax = (subtotal - saved) * TaxRate(invoice.Tags);
            return new Totals(subtotal, saved, tax, Units(invoice.Lines));
        }

        public static Dictionary<string, decimal> RevenueByCategory(IEnumerable<Invoice> invoices)
        {
            var revenue = new Dictionary<string, decimal>(StringComparer.Ordinal);
            foreach (var invoice in invoices)
            {
                foreach (var line in invoice.Lines)
                {
                    revenue.TryGetValue(line.Category, out decimal sum);
                    revenue[line.Category] = sum + line.Quantity * line.UnitPrice;
                }
            }

            return revenue;
        }
    }

    /// <summary>Usage: InvoiceApp [rounds]. Prices a batch of invoices <c>rounds</c> times; prints the time and a checksum.</summary>
    internal static class Program
    {
        private static readonly string[] Categories = { "tools", "garden", "kitchen", "office", "toys", "books" };

        public static int Main(string[] args)
        {
            int rounds = args.Length > 0 && int.TryParse(args[0], out int r) && r > 0 ? r : 20;
            var invoices = Generate(20_000, seed: 11);
            var discounts = new List<Discount>();
            foreach (var category in Categories)
            {
                discounts.Add(new Discount(category, 3, 0.05m));
                discounts.Add(new Discount(category, 8, 0.1m));
            }

            var sw = Stopwatch.StartNew();
            decimal checksum = 0;
            for (int i = 0; i < rounds; i++)
            {
                foreach (var invoice in invoices)
                {
                    var totals = Pricing.Price(invoice, discounts);
                    checksum += totals.Subtotal - totals.Saved + totals.Tax + totals.Units;
                }

                foreach (var pair in Pricing.RevenueByCategory(invoices))
                {
                    checksum += pair.Value / 1000;
                }
            }

            Console.WriteLine($"invoices: {sw.ElapsedMilliseconds} ms, checksum {checksum}");
            return 0;
        }

        private static List<Invoice> Generate(int count, int seed)
        {
            var random = new Random(seed);
            var invoices = new List<Invoice>(count);
            for (int i = 0; i < count; i++)
            {
                var lines = new List<Line>();
                int n = 1 + random.Next(12);
                for (int j = 0; j < n; j++)
                {
                    string category = Categories[random.Next(Categories.Length)];
                    lines.Add(new Line("sku" + random.Next(500), category, 1 + random.Next(10), 1 + random.Next(10_000) / 100m));
                }

                string[] tags = random.Next(10) == 0 ? new[] { "priority", "exempt" } : new[] { "standard" };
                invoices.Add(new Invoice("c" + random.Next(1000), lines, tags));
            }

            return invoices;
        }
    }
}
