using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace SampledTarget
{
    // A program whose hot code the CPU sampler can see: the overrides and the helper loop without calls, so the
    // runtime compiles them fully interruptible and samples land inside them (not in their caller, the sampler's
    // safe-point bias). Sum has one virtual call site: a sampled edge Sum -> Square.Area places unambiguously.
    public abstract class Shape
    {
        public abstract double Area(int steps);
    }

    public sealed class Square : Shape
    {
        public double Side;

        public override double Area(int steps)
        {
            double a = 0;
            for (int i = 0; i < steps; i++)
            {
                a += Side * Side + i;
            }

            return a;
        }
    }

    public sealed class Circle : Shape
    {
        public double Radius;

        public override double Area(int steps)
        {
            double a = 0;
            for (int i = 0; i < steps; i++)
            {
                a += 3.14159 * Radius * Radius - i;
            }

            return a;
        }
    }

    public static class Program
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static double Sum(Shape[] shapes)
        {
            double total = 0;
            for (int i = 0; i < shapes.Length; i++)
            {
                total += shapes[i].Area(64);
                total = Mix(total);
            }

            return total;
        }

        /// <summary>
        /// A small non-virtual helper with a loop: a hot callee the inlining consumer can mark. As long a loop as the
        /// overrides', so that the sampler sees it in every recording, on a busy machine too (with 8 steps it got about
        /// 1.5% of the samples there, on the edge of the hot set).
        /// </summary>
        public static double Mix(double value)
        {
            for (int i = 0; i < 64; i++)
            {
                value = value * 0.999 + i;
            }

            return value;
        }

        public static int Main(string[] args)
        {
            int milliseconds = args.Length > 0 ? int.Parse(args[0]) : 1500;
            var shapes = new Shape[1000];
            for (int i = 0; i < shapes.Length; i++)
            {
                shapes[i] = i % 10 == 0 ? new Circle { Radius = i } : new Square { Side = i };
            }

            double total = 0;
            var watch = Stopwatch.StartNew();
            while (watch.ElapsedMilliseconds < milliseconds)
            {
                total += Sum(shapes);
            }

            Console.WriteLine(total != 0 ? "ok" : "zero");
            return 0;
        }
    }
}
