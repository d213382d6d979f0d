using System;
using System.Collections.Generic;
using System.Linq;

namespace ConsoleApp
{
    internal enum OrderStatus
    {
        Open,
        Shipped,
        Returned,
    }

    /// <summary>A reference type the queries run over.</summary>
    internal sealed class Order
    {
        public Order(int id, string customer, double amount, int quantity, OrderStatus status)
        {
            Id = id;
            Customer = customer;
            Amount = amount;
            Quantity = quantity;
            Status = status;
        }

        public int Id { get; }
        public string Customer { get; }
        public double Amount { get; }
        public int Quantity { get; }
        public OrderStatus Status { get; }
    }

    /// <summary>A value type the queries run over.</summary>
    internal readonly struct Reading
    {
        public Reading(int sensor, double value, long time)
        {
            Sensor = sensor;
            Value = value;
            Time = time;
        }

        public int Sensor { get; }
        public double Value { get; }
        public long Time { get; }
    }

    /// <summary>Small generic helpers that take lambdas, the way everyday C# is written.</summary>
    internal static class Seq
    {
        public static int Count<T>(T[] items, Func<T, bool> predicate)
        {
            int n = 0;
            for (int i = 0; i < items.Length; i++)
            {
                if (predicate(items[i]))
                {
                    n++;
                }
            }

            return n;
        }

        public static TAcc Fold<T, TAcc>(T[] items, TAcc seed, Func<TAcc, T, TAcc> step)
        {
            var acc = seed;
            for (int i = 0; i < items.Length; i++)
            {
                acc = step(acc, items[i]);
            }

            return acc;
        }

        public static TResult[] Map<T, TResult>(T[] items, Func<T, TResult> selector)
        {
            var result = new TResult[items.Length];
            for (int i = 0; i < items.Length; i++)
            {
                result[i] = selector(items[i]);
            }

            return result;
        }

        public static List<T> Filter<T>(T[] items, Func<T, bool> predicate)
        {
            var result = new List<T>();
            foreach (var item in items)
            {
                if (predicate(item))
                {
                    result.Add(item);
                }
            }

            return result;
        }
    }

    /// <summary>
    /// The delegate-heavy phase: lambdas into the generic helpers above (over a class and a struct), a static method
    /// group, a closure and LINQ, in proportions a report-style program might have.
    /// </summary>
    internal static class Queries
    {
        private static readonly string[] Customers = { "acme", "globex", "initech", "umbrella", "hooli", "vehement" };

        public static Order[] Orders(int count, int seed)
        {
            var random = new Random(seed);
            var orders = new Order[count];
            for (int i = 0; i < count; i++)
            {
                var status = random.Next(10) < 7 ? OrderStatus.Shipped : (OrderStatus)random.Next(3);
                orders[i] = new Order(i, Customers[random.Next(Customers.Length)], Math.Round(random.NextDouble() * 500, 2), 1 + random.Next(6), status);
            }

            return orders;
        }

        public static Reading[] Readings(int count, int seed)
        {
            var random = new Random(seed);
            var readings = new Reading[count];
            for (int i = 0; i < count; i++)
            {
                readings[i] = new Reading(random.Next(16), Math.Round(random.NextDouble() * 40 - 5, 1), i * 1000L);
            }

            return readings;
        }

        public static long Run(Order[] orders, Reading[] readings, int rounds)
        {
            long checksum = 0;
            for (int round = 0; round < rounds; round++)
            {
                checksum += Seq.Count(orders, o => o.Status == OrderStatus.Shipped && o.Amount > 100);
                checksum += (long)Seq.Fold(orders, 0.0, (acc, o) => acc + o.Amount * o.Quantity);
                checksum += Seq.Count(readings, r => r.Value > 30);
                checksum += (long)Seq.Fold(readings, 0.0, (acc, r) => acc + r.Value);
                checksum += Seq.Map(readings, r => r.Sensor * 2 + (r.Value > 0 ? 1 : 0)).Length;
                checksum += Seq.Filter(orders, IsLarge).Count;

                double threshold = 20 + round % 5;
                checksum += Seq.Count(readings, r => r.Value > threshold);

                checksum += (long)orders.Where(o => o.Quantity > 2).Sum(o => o.Amount);
                checksum += readings.Count(r => r.Sensor == 3);
            }

            return checksum;
        }

        private static bool IsLarge(Order order) => order.Amount * order.Quantity > 1000;
    }
}
