using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace RecordTarget
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

    public sealed class Triangle : Shape
    {
        public double Base;

        public override double Area() => 0.5 * Base * Base;
    }

    public sealed class Hexagon : Shape
    {
        public double Side;

        public override double Area() => 2.598 * Side * Side;
    }

    public static class Program
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static double Sum(Shape[] shapes)
        {
            double total = 0; // MARK sum-start
            for (int i = 0; i < shapes.Length; i++)
            {
                total += shapes[i].Area(); // MARK virtual-call
            }

            return total;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static double Run(Shape[] shapes, int milliseconds)
        {
            double total = 0;
            var watch = Stopwatch.StartNew();
            while (watch.ElapsedMilliseconds < milliseconds)
            {
                total += Sum(shapes); // MARK call-sum
            }

            return total;
        }

        /// <summary>A small helper (the inlining tests mark it AggressiveInlining through a hand-made hint file).</summary>
        public static double Half(double value) => value * 0.5;

        public static int Main(string[] args)
        {
            int milliseconds = args.Length > 0 ? int.Parse(args[0]) : 1500;
            var shapes = new Shape[1000];
            for (int i = 0; i < shapes.Length; i++)
            {
                // Mostly squares, some circles, a few triangles and hexagons: a skewed receiver-type histogram at the
                // virtual call, and more implementations than a compiler guards for without a profile.
                shapes[i] = i % 50 == 1 ? new Triangle { Base = i } : i % 50 == 2 ? new Hexagon { Side = i } : i % 10 == 0 ? new Circle { Radius = i } : new Square { Side = i };
            }

            double result = Run(shapes, milliseconds); // MARK call-run
            Console.WriteLine(Half(result) > 0 ? "ok" : "zero");
            return 0;
        }
    }
}
