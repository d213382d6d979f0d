using System;
using System.Collections.Generic;
using System.Linq;

namespace DelegateTarget
{
    public sealed class Order
    {
        public Order(int quantity) => Quantity = quantity;

        public int Quantity { get; }
    }

    public readonly struct Point
    {
        public Point(int x, int y)
        {
            X = x;
            Y = y;
        }

        public int X { get; }
        public int Y { get; }
    }

    public static class Helpers
    {
        public static int Filter<T>(T[] items, Func<T, bool> predicate)
        {
            int n = 0;
            for (int i = 0; i < items.Length; i++)
            {
                if (predicate(items[i])) // MARK filter-invoke
                {
                    n++;
                }
            }

            return n;
        }

        public static TResult[] Map<T, TResult>(T[] items, Func<T, TResult> selector)
        {
            var result = new TResult[items.Length];
            for (int i = 0; i < items.Length; i++)
            {
                result[i] = selector(items[i]); // MARK map-invoke
            }

            return result;
        }

        public static int Count<T>(T[] items, Func<T, bool> predicate)
        {
            int n = 0;
            foreach (var item in items)
            {
                if (predicate(item)) // MARK count-invoke
                {
                    n++;
                }
            }

            return n;
        }

        public static string Join(string[] words, Func<string, string> transform)
        {
            var parts = new string[words.Length];
            for (int i = 0; i < words.Length; i++)
            {
                parts[i] = transform(words[i]); // MARK join-invoke
            }

            return string.Join(",", parts);
        }
    }

    /// <summary>
    /// <c>foreach</c> over interfaces (no delegates): the recording sees a <c>List&lt;T&gt;</c> or an array at each
    /// <c>GetEnumerator</c>, and the checks pass everything else. Four locals come first, so the enumerator's is not one of
    /// the one-byte <c>ldloc.0-3</c> the same-size rewrite cannot widen.
    /// </summary>
    public static class Sequences
    {
        public static long Total(IEnumerable<int> values, int scale)
        {
            long total = 0;
            int count = 0, min = int.MaxValue, max = int.MinValue;
            foreach (var v in values)
            {
                total += (long)v * scale;
                count++;
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }

            return total + count * 1000L + min + max;
        }

        /// <summary>Everyday size: the enumerator is local 1 (<c>ldloc.1</c>), so the rewrite moves the later IL offsets.</summary>
        public static int Sum(IEnumerable<int> values)
        {
            int sum = 0;
            foreach (var v in values)
            {
                sum += v;
            }

            return sum;
        }

        /// <summary>Two loops over one T: the compiler gives both the same enumerator local.</summary>
        public static int Balance(IEnumerable<int> credits, IEnumerable<int> debits)
        {
            int balance = 0;
            foreach (var credit in credits)
            {
                balance += credit;
            }

            foreach (var debit in debits)
            {
                balance -= debit;
            }

            return balance;
        }

        /// <summary>Generic code: the recording sees <c>Order[]</c> (T is a class, shared code).</summary>
        public static int Names<T>(IEnumerable<T> items) where T : class?
        {
            int count = 0, nulls = 0, hash = 17, length = 0;
            foreach (var item in items)
            {
                count++;
                if (item == null)
                {
                    nulls++;
                    continue;
                }

                hash = hash * 31 + item.GetHashCode() % 97;
                length += item.ToString()!.Length;
            }

            return count + nulls * 100 + length;
        }

        /// <summary>Appends every value to <paramref name="sink"/>: the same list makes the enumeration see its own change.</summary>
        public static int Copy(IReadOnlyList<int> values, List<int> sink)
        {
            int copied = 0, a = 1, b = 2, c = 3;
            foreach (var v in values)
            {
                if (sink.Count > 10_000)
                {
                    break;
                }

                sink.Add(v + a + b + c);
                copied++;
            }

            return copied;
        }

        /// <summary>Object elements: a <c>List&lt;string&gt;</c> arrives through covariance, which is not a <c>List&lt;object&gt;</c>.</summary>
        public static string Describe(IEnumerable<object> items)
        {
            string text = "", separator = "";
            int count = 0, x = 0;
            foreach (var item in items)
            {
                text += separator + item;
                separator = ",";
                count += 1 + x;
            }

            return count + ":" + text;
        }
    }

    /// <summary>A list that re-implements <c>IEnumerable&lt;int&gt;</c>: its own enumerator must run, not <c>List&lt;int&gt;</c>'s.</summary>
    public sealed class Reversed : List<int>, IEnumerable<int>
    {
        IEnumerator<int> IEnumerable<int>.GetEnumerator()
        {
            for (int i = Count - 1; i >= 0; i--)
            {
                yield return this[i];
            }
        }
    }

    /// <summary>An enumerable whose enumerator fails on the second element and records its disposal.</summary>
    public sealed class Failing : IEnumerable<int>
    {
        public static int Disposed;

        public IEnumerator<int> GetEnumerator()
        {
            try
            {
                yield return 1;
                throw new InvalidOperationException("enumerator failed");
            }
            finally
            {
                Disposed++;
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>The calls both modes make: the same lambdas (the same compiler caches) in training and in the checks.</summary>
    public static class Work
    {
        public static int LargeOrders(Order[] orders) =>
            Helpers.Filter(orders, o => o.Quantity > 5 ? true : o.Quantity < 0 ? throw new InvalidOperationException("negative quantity " + o.Quantity) : false);

        public static int Descending(Point[] points) => Helpers.Filter(points, p => p.X > p.Y);

        public static int[] Codes(Point[] points) => Helpers.Map(points, p => p.X * 10 + p.Y);

        public static string Shout(string[] words) => Helpers.Join(words, Program.Upper);

        /// <summary>A closure (it captures <paramref name="threshold"/>): its guard tests the target object's type.</summary>
        public static int AboveThreshold(Order[] orders, int threshold) => Helpers.Count(orders, o => o.Quantity > threshold);

        /// <summary>A user's own delegate field: it could hold anything, so it is never a guard's proof.</summary>
        private static Func<string, string>? _shout;

        public static string ShoutCached(string[] words) => Helpers.Join(words, _shout ??= Program.Upper);
    }

    public static class Program
    {
        private static int _calls;

        /// <summary>
        /// 'check-frames' also prints each exception's frames. They are not a behaviour a build keeps: inlining (the
        /// JIT's own, AggressiveInlining, a guarded call whose target is inlined) leaves inlined methods out of stack
        /// traces, as the JIT's dynamic PGO does for the same delegate calls.
        /// </summary>
        private static bool _frames;

        public static int Main(string[] args)
        {
            string mode = args.Length > 0 ? args[0] : "check";
            int rounds = args.Length > 1 ? int.Parse(args[1]) : 2000;
            _frames = mode == "check-frames";
            return mode == "train" ? Train(rounds) : mode == "alloc" ? Allocations() : Check();
        }

        public static string Upper(string word) => word.ToUpperInvariant();

        private static string Lower(string word) => word.ToLowerInvariant();

        /// <summary>The hot loops the profile is recorded from: one target per call site and instantiation.</summary>
        private static int Train(int rounds)
        {
            var orders = Orders(4000);
            var points = Points(4000);
            var words = new[] { "alpha", "beta", "gamma", "delta" };
            var numbers = new List<int>(Enumerable.Range(0, 4000));
            var sink = new List<int>();
            var objects = new List<object> { "a", 1, 2.5 };
            long sum = 0;
            for (int r = 0; r < rounds; r++)
            {
                sum += Work.LargeOrders(orders);
                sum += Work.Descending(points);
                sum += Work.Codes(points).Length;
                sum += Work.Shout(words).Length;
                sum += Work.AboveThreshold(orders, r % 7);
                sum += Sequences.Total(numbers, r % 3);
                sum += Sequences.Sum(numbers);
                sum += Sequences.Balance(numbers, numbers);
                sum += Sequences.Names(orders);
                sink.Clear();
                sum += Sequences.Copy(numbers, sink);
                sum += Sequences.Describe(objects).Length;
            }

            Console.WriteLine("trained " + sum);
            return 0;
        }

        /// <summary>A list that grows while the loop enumerates it (through a Select over it, which is not a List).</summary>
        private static IEnumerable<int> Grow(List<int> list) => list.Select(i => { if (list.Count < 3) { list.Add(i); } return i; });

        /// <summary>Bytes allocated by 1,000 enumerations of a list and of an array through the foreach loops over interfaces.</summary>
        private static int Allocations()
        {
            var list = new List<int> { 5, -2, 9, 4 };
            var orders = Orders(4);
            long sum = Sequences.Total(list, 1) + Sequences.Names(orders);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
            {
                sum += Sequences.Total(list, 1);
            }

            long middle = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
            {
                sum += Sequences.Names(orders);
            }

            long after = GC.GetAllocatedBytesForCurrentThread();
            Console.WriteLine("list: " + (middle - before) + " bytes, array: " + (after - middle) + " bytes (" + sum + ")");
            return 0;
        }

        /// <summary>Every behaviour a guard must keep, printed one case per line.</summary>
        private static int Check()
        {
            var orders = Orders(50);
            var points = Points(50);
            var words = new[] { "alpha", "beta", "gamma" };

            // The trained targets (the guards' fast paths).
            Print("class lambda", () => Work.LargeOrders(orders));
            Print("struct lambda", () => Work.Descending(points));
            Print("struct map", () => string.Join(" ", Work.Codes(points).Take(8)));
            Print("method group", () => Work.Shout(words));
            Print("user cache", () => Work.ShoutCached(words));

            // An exception thrown inside the guarded lambda: same type, message and frames.
            Print("exception in lambda", () => Work.LargeOrders(new[] { new Order(7), new Order(-3) }));

            // A null delegate: the original call's NullReferenceException.
            Print("null delegate", () => Helpers.Filter(orders, null!));
            Print("null method group", () => Helpers.Join(words, null!));

            // A multicast delegate holding the cached one: every target runs, the last one's result counts.
            Func<string, string> counting = w => { _calls++; return w + "!"; };
            var multicast = (Func<string, string>)Delegate.Combine((Func<string, string>)Upper, counting);
            Print("multicast", () => Helpers.Join(words, multicast) + " calls=" + _calls);

            // Delegates to the guarded targets that are not the compiler's cached instances.
            var created = (Func<string, string>)Delegate.CreateDelegate(typeof(Func<string, string>), typeof(Program).GetMethod(nameof(Upper))!);
            Print("CreateDelegate", () => Helpers.Join(words, created));
            Func<string, string> fresh = new Func<string, string>(Upper);
            Print("new delegate to the same method", () => Helpers.Join(words, fresh));

            // A target that changes at run time at the same call site.
            var targets = new Func<string, string>[] { Upper, Lower, w => w.Length.ToString(), Upper };
            Print("changing target", () => string.Join(";", targets.Select(t => Helpers.Join(words, t))));
            Print("closure", () => Work.AboveThreshold(orders, 3) + " " + Work.AboveThreshold(orders, 8));
            int threshold = 3;
            Print("another closure at the closure's call", () => Helpers.Count(orders, o => o.Quantity < threshold));
            Print("a lambda at the closure's call", () => Helpers.Count(orders, o => o.Quantity == 4));
            Print("null at the closure's call", () => Helpers.Count<Order>(orders, null!));
            Print("other lambda", () => Helpers.Filter(points, p => p.X == p.Y));

            // foreach over interfaces: the recorded List<T> / T[] and everything else at the same loops.
            var list = new List<int> { 5, -2, 9, 4 };
            Print("foreach list", () => Sequences.Total(list, 3));
            Print("foreach array", () => Sequences.Total(new[] { 5, -2, 9, 4 }, 3));
            Print("foreach other collection", () => Sequences.Total(new SortedSet<int> { 5, -2, 9, 4 }, 3));
            Print("foreach iterator", () => Sequences.Total(Enumerable.Range(1, 5).Select(i => i * i), 2));
            Print("foreach empty list", () => Sequences.Total(new List<int>(), 3));
            Print("foreach empty array", () => Sequences.Total(Array.Empty<int>(), 3));
            Print("foreach null", () => Sequences.Total(null!, 3));
            Print("small foreach list", () => Sequences.Sum(list));
            Print("small foreach other collections", () => Sequences.Sum(new[] { 1, 2 }) + " " + Sequences.Sum(new SortedSet<int> { 3, 4 }) + " " + Sequences.Sum(new Reversed { 5 }));
            Print("small foreach modified list", () => { var grow = new List<int> { 1 }; return Sequences.Sum(Grow(grow)); });
            Print("small foreach null", () => Sequences.Sum(null!));
            Print("two loops on one local", () => Sequences.Balance(list, new[] { 1, 2 }) + " " + Sequences.Balance(new SortedSet<int> { 7 }, list));
            Print("two loops, the second null", () => Sequences.Balance(list, null!));
            Print("foreach list re-implementing IEnumerable", () => { var r = new Reversed { 1, 2, 30 }; return Sequences.Describe(r.Select(i => (object)i)) + " " + Sequences.Total(r, 1) + " " + string.Join(",", (IEnumerable<int>)r); });
            Print("foreach failing enumerator", () => Sequences.Total(new Failing(), 1));
            Print("failing enumerator disposed", () => Failing.Disposed);
            Print("foreach list modified while enumerated", () => { var grow = new List<int> { 1, 2, 3 }; return Sequences.Copy(grow, grow); });
            Print("foreach list copied", () => { var to = new List<int>(); return Sequences.Copy(list, to) + " " + string.Join(",", to); });
            Print("foreach array as IReadOnlyList", () => { var to = new List<int>(); return Sequences.Copy(new[] { 7, 8 }, to) + " " + string.Join(",", to); });
            Print("foreach generic array", () => Sequences.Names(orders));
            Print("foreach generic list", () => Sequences.Names(new List<Order>(orders)));
            Print("foreach generic array with nulls", () => Sequences.Names(new Order?[] { null, new Order(3), null }));
            Print("foreach covariant list", () => Sequences.Describe(new List<string> { "x", "y" }));
            Print("foreach covariant array", () => Sequences.Describe(new[] { "x", "y", "z" }));
            Print("foreach object list", () => Sequences.Describe(new List<object> { "x", 1 }));
            return 0;
        }

        private static void Print(string name, Func<object> run)
        {
            string result;
            try
            {
                result = Convert.ToString(run(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
            }
            catch (Exception e)
            {
                result = e.GetType().FullName + ": " + e.Message + (_frames ? " at " + string.Join(" < ", Frames(e)) : "");
            }

            Console.WriteLine(name + ": " + result);
        }

        /// <summary>
        /// The method names of the exception's stack trace as <see cref="Exception.StackTrace"/> prints it (no lines or
        /// offsets: a NativeAOT build prints none).
        /// </summary>
        private static IEnumerable<string> Frames(Exception e)
        {
            foreach (var line in (e.StackTrace ?? "").Split('\n'))
            {
                string frame = line.Trim();
                if (!frame.StartsWith("at DelegateTarget.", StringComparison.Ordinal))
                {
                    continue;
                }

                int end = frame.IndexOf('(');
                yield return end > 0 ? frame.Substring(3, end - 3) : frame.Substring(3);
            }
        }

        private static Order[] Orders(int count)
        {
            var result = new Order[count];
            for (int i = 0; i < count; i++)
            {
                result[i] = new Order(i % 11);
            }

            return result;
        }

        private static Point[] Points(int count)
        {
            var result = new Point[count];
            for (int i = 0; i < count; i++)
            {
                result[i] = new Point(i % 7, i % 5);
            }

            return result;
        }
    }
}
