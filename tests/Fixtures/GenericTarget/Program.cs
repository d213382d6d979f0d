using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace GenericTarget
{
    public abstract class Shape
    {
        public abstract double Area();
    }

    public sealed class Square : Shape
    {
        public double Side;

        public override double Area() => Side * Side;
    }

    public sealed class Circle : Shape
    {
        public double Radius;

        public override double Area() => 3.14159 * Radius * Radius;
    }

    public struct Reading
    {
        public int Value;
    }

    public struct Pair
    {
        public int Left;
        public int Right;
    }

    /// <summary>A generic type with a generic method: the runtime records Box`1[...].Fold without Fold's own argument.</summary>
    public sealed class Box<T>
    {
        private readonly T[] _items;

        public Box(T[] items)
        {
            _items = items;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public TResult Fold<TResult>(TResult seed, Func<TResult, T, TResult> step)
        {
            TResult result = seed;
            for (int i = 0; i < _items.Length; i++)
            {
                result = step(result, _items[i]);
            }

            return result;
        }
    }

    public static class Program
    {
        /// <summary>Filter&lt;Shape&gt; runs as shared code (Filter&lt;__Canon&gt;), Filter&lt;Reading&gt; and Filter&lt;Pair&gt; as their own code.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static T[] Filter<T>(T[] xs, Func<T, bool> p)
        {
            int n = 0;
            var kept = new T[xs.Length];
            for (int i = 0; i < xs.Length; i++)
            {
                if (p(xs[i]))
                {
                    kept[n++] = xs[i];
                }
            }

            Array.Resize(ref kept, n);
            return kept;
        }

        /// <summary>Its only caller instantiates Filter over Pair: Filter&lt;!!0&gt; bound by CountMatches&lt;Pair&gt;.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static int CountMatches<T>(T[] xs, Func<T, bool> p) => Filter(xs, p).Length;

        /// <summary>A virtual call inside shared generic code: a receiver-type histogram of Total&lt;__Canon&gt;.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static double Total<T>(T[] xs) where T : Shape
        {
            double total = 0;
            for (int i = 0; i < xs.Length; i++)
            {
                total += xs[i].Area(); // MARK generic-virtual-call
            }

            return total;
        }

        public static int Main(string[] args)
        {
            int milliseconds = args.Length > 0 ? int.Parse(args[0]) : 1000;
            var shapes = new Shape[64];
            var readings = new Reading[64];
            var pairs = new Pair[64];
            for (int i = 0; i < shapes.Length; i++)
            {
                shapes[i] = i % 8 == 0 ? new Circle { Radius = i } : new Square { Side = i };
                readings[i] = new Reading { Value = i };
                pairs[i] = new Pair { Left = i, Right = 64 - i };
            }

            var shapeBox = new Box<Shape>(shapes);
            var readingBox = new Box<Reading>(readings);
            double checksum = 0;
            var watch = Stopwatch.StartNew();
            while (watch.ElapsedMilliseconds < milliseconds)
            {
                checksum += Filter(shapes, s => s.Area() > 100).Length;
                checksum += Filter(readings, r => r.Value % 3 == 0).Length;
                checksum += CountMatches(pairs, p => p.Left > p.Right);
                checksum += Total(shapes);
                checksum += shapeBox.Fold(0.0, (acc, s) => acc + s.Area());
                checksum += readingBox.Fold(0L, (acc, r) => acc + r.Value);
            }

            Console.WriteLine(checksum > 0 ? "ok" : "zero");
            return 0;
        }
    }
}
