using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Threading;
using Pgo.Build.Profiles;

namespace Pgo.Fuzz
{
    /// <summary>
    /// bench/fuzz.sh: runs mutated and hostile profiles through every stage for a given time and reports inputs,
    /// outcome classes, failure classes (crashes, inputs over 2 s, inputs over 1 GiB), the slowest and largest cases.
    /// Failing inputs are saved to the output directory.
    /// </summary>
    public static class Program
    {
        private const double SlowSeconds = 2.0;
        private const long BigBytes = 1L << 30;

        public static int Main(string[] args)
        {
            double seconds = Option(args, "--seconds", 60);
            int threads = (int)Option(args, "--threads", 2);
            int seed = (int)Option(args, "--seed", Environment.TickCount);
            bool light = OptionText(args, "--mix") == "light";
            string output = OptionText(args, "--out") ?? Path.Combine(Path.GetTempPath(), "pgo-fuzz");
            string testdata = OptionText(args, "--testdata") ?? Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../../shared/testdata"));
            string repo = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
            Directory.CreateDirectory(output);
            if (OptionText(args, "--stages") is string attack)
            {
                return Stages.Run(attack, testdata);
            }

            var seeds = LoadSeeds(testdata, Path.Combine(repo, "samples/ConsoleApp/default.pgo"));
            var partner = ProfileDecoder.Decode(File.ReadAllBytes(Path.Combine(testdata, "go/src/cmd/compile/internal/test/testdata/pgo/devirtualize/devirt.pprof")));
            Console.WriteLine($"fuzz: {seeds.Count} seeds from {testdata}, {threads} threads, {seconds} s, seed {seed}, {(light ? "light" : "full")} mix");
            var bombs = Bombs();
            Console.WriteLine($"fuzz: {bombs.Count} compression bombs ({string.Join(", ", bombs.Select(b => b.Length + " B"))})");

            var stats = new Stats();
            var workers = new Worker[threads];
            var deadline = DateTime.UtcNow.AddSeconds(seconds);
            var clock = Stopwatch.StartNew();
            Worker.SingleWorker = threads == 1;
            for (int t = 0; t < threads; t++)
            {
                workers[t] = new Worker(new Mutator(seed + t, seeds, bombs, light), new Targets(partner, Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : output, "pgo-fuzz-" + Environment.ProcessId + "-" + t), seed + 1000 + t), stats, output);
                workers[t].Thread = new Thread(() => { }) { IsBackground = true };
            }

            foreach (var w in workers)
            {
                var worker = w;
                worker.Thread = new Thread(() => worker.Loop(deadline)) { IsBackground = true, Name = "fuzz" };
                worker.Thread.Start();
            }

            // Watchdog: cancels an input after 20 s, gives up on the process after 60 s; samples the process's RSS.
            while (workers.Any(w => w.Thread.IsAlive))
            {
                Thread.Sleep(25);
                long rss = Rss("VmRSS");
                foreach (var w in workers)
                {
                    var current = w.Current;
                    if (current == null)
                    {
                        continue;
                    }

                    w.ObserveRss(rss);
                    double running = (DateTime.UtcNow - w.Started).TotalSeconds;
                    if (running > 20)
                    {
                        w.Cancel();
                    }

                    if (running > 60)
                    {
                        stats.Fail("hang (not cancellable)", current, output);
                        Report(stats, clock.Elapsed.TotalSeconds);
                        Environment.Exit(3);
                    }
                }
            }

            Report(stats, clock.Elapsed.TotalSeconds);
            foreach (var dir in Directory.GetDirectories(Directory.Exists("/dev/shm") ? "/dev/shm" : output, "pgo-fuzz-" + Environment.ProcessId + "-*"))
            {
                Directory.Delete(dir, recursive: true);
            }

            return stats.Failures.IsEmpty ? 0 : 1;
        }

        private static List<byte[]> LoadSeeds(string testdata, string ownProfile)
        {
            var seeds = new List<byte[]>();
            foreach (var file in Directory.GetFiles(testdata, "*", SearchOption.AllDirectories).Append(ownProfile).OrderBy(f => f, StringComparer.Ordinal))
            {
                byte[] bytes = File.ReadAllBytes(file);
                try
                {
                    ProfileDecoder.Decode(bytes);
                }
                catch (ProfileFormatException)
                {
                    continue;
                }

                // The decompressed bytes: mutations work on the protobuf, the wrapping comes after.
                if (ProfileDecoder.Sniff(bytes) == ProfileCompression.Gzip)
                {
                    using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                    using var ms = new MemoryStream();
                    gz.CopyTo(ms);
                    bytes = ms.ToArray();
                }

                seeds.Add(bytes);
                if (bytes.Length > 20_000)
                {
                    // A small copy of a large seed (its first samples, the labelled ones first): most inputs stay fast.
                    var profile = ProfileDecoder.Decode(bytes);
                    var few = profile.Samples.Where(s => s.Labels.Count > 0).Take(100).Concat(profile.Samples.Take(40)).ToList();
                    seeds.Add(ProfileEncoder.Encode(new ProfileData(profile.SampleTypes, few, profile.DurationNanos, profile.Period, profile.PeriodType,
                        profile.TimeNanos, profile.Comments, profile.DefaultSampleType), gzip: false));
                }
            }

            return seeds;
        }

        /// <summary>Compression bombs, streamed into their compressors (no big array is made here).</summary>
        internal static List<byte[]> Bombs()
        {
            var bombs = new List<byte[]>();
            var zeros = new byte[1 << 20];

            // 600 MiB of zeros (garbage to the protobuf reader) in gzip and zstd.
            bombs.Add(Compress(s => { for (int i = 0; i < 600; i++) s.Write(zeros, 0, zeros.Length); }, gzip: true));
            bombs.Add(Compress(s => { for (int i = 0; i < 600; i++) s.Write(zeros, 0, zeros.Length); }, gzip: false));

            // One unknown field (number 99) of 600 MiB: valid protobuf the reader must skip up to the size limit.
            bombs.Add(Compress(s => { ProtoTree.WriteVarint(s, (99 << 3) | 2); ProtoTree.WriteVarint(s, 600UL << 20); for (int i = 0; i < 600; i++) s.Write(zeros, 0, zeros.Length); }, gzip: true));

            // 30 million valid samples of one frame: the record limits and the memory budget must stop it early.
            var header = ProtoTree.Write(new List<ProtoField> { ProtoTree.S(""), ProtoTree.S("samples"), ProtoTree.S("count"), ProtoTree.M(1, ProtoTree.V(1, 1), ProtoTree.V(2, 2)) });
            var sample = new byte[] { 0x12, 0x04, 0x12, 0x02, 0x01, 0x01 };
            var block = Enumerable.Range(0, 1 << 16).SelectMany(_ => sample).ToArray();
            bombs.Add(Compress(s => { s.Write(header, 0, header.Length); for (int i = 0; i < 30_000_000 / (1 << 16); i++) s.Write(block, 0, block.Length); }, gzip: false));

            // A 600 MiB string table entry (longer than any limit).
            bombs.Add(Compress(s => { ProtoTree.WriteVarint(s, (6 << 3) | 2); ProtoTree.WriteVarint(s, 600UL << 20); for (int i = 0; i < 600; i++) s.Write(zeros, 0, zeros.Length); }, gzip: false));

            // zstd frame headers asking for a 2 GiB window (and a 9-byte one with nothing after it).
            bombs.Add(new byte[] { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa8, 0x00, 0x00, 0x00 });
            bombs.Add(new byte[] { 0x28, 0xb5, 0x2f, 0xfd, 0x04, 0xa8, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00 });

            // LZ4 of 600 MiB zeros.
            using (var ms = new MemoryStream())
            {
                using (var lz = K4os.Compression.LZ4.Streams.LZ4Stream.Encode(ms, new K4os.Compression.LZ4.Streams.LZ4EncoderSettings { BlockSize = 4 << 20 }, leaveOpen: true))
                {
                    for (int i = 0; i < 600; i++) lz.Write(zeros, 0, zeros.Length);
                }

                bombs.Add(ms.ToArray());
            }

            return bombs;
        }

        private static byte[] Compress(Action<Stream> write, bool gzip)
        {
            using var ms = new MemoryStream();
            if (gzip)
            {
                using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
                {
                    write(gz);
                }
            }
            else
            {
                using (var z = new ZstdSharp.CompressionStream(ms, 3, leaveOpen: true))
                {
                    write(z);
                }
            }

            return ms.ToArray();
        }

        private static void Report(Stats stats, double elapsed)
        {
            Console.WriteLine();
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "inputs run:        {0:N0} in {1:0} s ({2:0} per second)", stats.Inputs, elapsed, stats.Inputs / Math.Max(1, elapsed)));
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "accepted:          {0:N0}; rejected with a PGO0xx-class error: {1:N0}", stats.Accepted, stats.Inputs - stats.Accepted - stats.FailureCount));
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "crashes:           {0}", stats.Failures.Keys.Count(k => !k.StartsWith("slow") && !k.StartsWith("memory") && !k.StartsWith("hang"))));
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "over {0} s (CPU):    {1}", SlowSeconds, stats.Failures.Where(kv => kv.Key.StartsWith("slow")).Sum(kv => kv.Value.Count)));
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "CPU per input:     median {0:0.00} ms, mean {2:0.00} ms; machine load average {1}", stats.MedianMs(), File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?", stats.MeanMs()));
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "over 1 GiB:        {0}", stats.Failures.Where(kv => kv.Key.StartsWith("memory")).Sum(kv => kv.Value.Count)));
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "peak RSS (process): {0:N0} MiB (VmHWM)", Rss("VmHWM") >> 20));
            Console.WriteLine("failure classes:   " + (stats.Failures.IsEmpty ? "none" : ""));
            foreach (var kv in stats.Failures.OrderByDescending(kv => kv.Value.Count))
            {
                Console.WriteLine($"  {kv.Value.Count,7:N0}  {kv.Key}\n           first: {kv.Value.First}");
            }

            Console.WriteLine("outcome classes (top 25):");
            foreach (var kv in stats.Outcomes.OrderByDescending(kv => kv.Value).Take(25))
            {
                Console.WriteLine($"  {kv.Value,7:N0}  {kv.Key}");
            }

            Console.WriteLine("slowest inputs (CPU time of the thread that ran them; wall time on this machine after it):");
            foreach (var c in stats.Slowest())
            {
                Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "  {0,8:0.0} ms CPU {1,8:0.0} ms wall  {2,10:N0} B  alloc {3,6:N0} MiB  rss {4,5:N0} MiB  {5}", c.Ms, c.WallMs, c.Size, c.Allocated >> 20, c.Rss >> 20, c.Recipe));
            }

            Console.WriteLine("largest inputs (bytes allocated while running them):");
            foreach (var c in stats.Largest())
            {
                Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "  {0,6:N0} MiB  {1,8:0.0} ms CPU  {2,10:N0} B  rss {3,5:N0} MiB  {4}", c.Allocated >> 20, c.Ms, c.Size, c.Rss >> 20, c.Recipe));
            }
        }

        internal static long Rss(string field)
        {
            try
            {
                foreach (var line in File.ReadLines("/proc/self/status"))
                {
                    if (line.StartsWith(field + ":", StringComparison.Ordinal))
                    {
                        return long.Parse(line.Substring(field.Length + 1).Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                    }
                }
            }
            catch (IOException)
            {
            }

            return Environment.WorkingSet;
        }

        private static double Option(string[] args, string name, double fallback) =>
            OptionText(args, name) is string s ? double.Parse(s, CultureInfo.InvariantCulture) : fallback;

        private static string? OptionText(string[] args, string name)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        internal sealed record Case(double Ms, double WallMs, int Size, long Allocated, long Rss, string Recipe);

        internal sealed class Stats
        {
            private readonly object _lock = new object();
            private readonly List<Case> _slowest = new List<Case>();
            private readonly List<Case> _largest = new List<Case>();
            private long _inputs, _accepted;

            public long Inputs => Interlocked.Read(ref _inputs);
            public long Accepted => Interlocked.Read(ref _accepted);
            public int FailureCount => Failures.Values.Sum(v => v.Count);

            public ConcurrentDictionary<string, long> Outcomes { get; } = new ConcurrentDictionary<string, long>();

            public ConcurrentDictionary<string, (int Count, string First)> Failures { get; } = new ConcurrentDictionary<string, (int, string)>();

            public void Record(string outcome, Case c)
            {
                Interlocked.Increment(ref _inputs);
                if (outcome == "ok")
                {
                    Interlocked.Increment(ref _accepted);
                }

                Outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
                lock (_lock)
                {
                    if (_times.Count < 1_000_000) _times.Add(c.Ms);
                    Keep(_slowest, c, x => x.Ms);
                    Keep(_largest, c, x => x.Allocated);
                }
            }

            public void Fail(string failureClass, FuzzInput input, string output)
            {
                bool first = false;
                Failures.AddOrUpdate(failureClass, _ => { first = true; return (1, input.Recipe); }, (_, v) => (v.Count + 1, v.First));
                if (first)
                {
                    string name = "failure-" + Failures.Count + ".bin";
                    File.WriteAllBytes(Path.Combine(output, name), input.Bytes);
                    File.AppendAllText(Path.Combine(output, "failures.txt"), $"{name}\t{failureClass}\t{input.Recipe}\n");
                }
            }

            private readonly List<double> _times = new List<double>();

            public double MeanMs()
            {
                lock (_lock)
                {
                    return _times.Count == 0 ? 0 : _times.Average();
                }
            }

            public double MedianMs()
            {
                lock (_lock)
                {
                    if (_times.Count == 0) return 0;
                    var sorted = _times.OrderBy(x => x).ToList();
                    return sorted[sorted.Count / 2];
                }
            }

            public IEnumerable<Case> Slowest() { lock (_lock) return _slowest.ToList(); }

            public IEnumerable<Case> Largest() { lock (_lock) return _largest.ToList(); }

            private static void Keep(List<Case> top, Case c, Func<Case, double> by)
            {
                top.Add(c);
                top.Sort((a, b) => by(b).CompareTo(by(a)));
                if (top.Count > 5)
                {
                    top.RemoveAt(top.Count - 1);
                }
            }
        }

        private sealed class Worker
        {
            private readonly Mutator _mutator;
            private readonly Targets _targets;
            private readonly Stats _stats;
            private readonly string _output;
            private CancellationTokenSource _cts = new CancellationTokenSource();
            private long _maxRss;

            public Worker(Mutator mutator, Targets targets, Stats stats, string output)
            {
                _mutator = mutator;
                _targets = targets;
                _stats = stats;
                _output = output;
            }

            public Thread Thread { get; set; } = null!;
            public volatile FuzzInput? Current;
            public DateTime Started;

            public void Cancel() => _cts.Cancel();

            public void ObserveRss(long rss)
            {
                if (rss > Interlocked.Read(ref _maxRss))
                {
                    Interlocked.Exchange(ref _maxRss, rss);
                }
            }

            private const long MutatorGarbageBytes = 256L << 20;

            /// <summary>Only one worker runs: the process's RSS while an input runs measures that input.</summary>
            public static bool SingleWorker { get; set; }

            public void Loop(DateTime deadline)
            {
                while (DateTime.UtcNow < deadline)
                {
                    long made = GC.GetAllocatedBytesForCurrentThread();
                    var input = _mutator.Next();
                    if (GC.GetAllocatedBytesForCurrentThread() - made > MutatorGarbageBytes)
                    {
                        // The mutator's own garbage (copies of a large input while it was built) would count in the
                        // process's RSS while the engine runs: give it back first, so the memory measured is the engine's.
                        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    }

                    _cts = new CancellationTokenSource();
                    Interlocked.Exchange(ref _maxRss, 0);
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    Started = DateTime.UtcNow;
                    Current = input;
                    var watch = Stopwatch.StartNew();
                    double cpu0 = ThreadCpu.Seconds();
                    string outcome;
                    try
                    {
                        outcome = _targets.Run(input.Bytes, _cts.Token);
                    }
                    catch (OperationCanceledException) when (_cts.IsCancellationRequested)
                    {
                        outcome = "cancelled after 20 s";
                        _stats.Fail("hang (cancelled after 20 s)", input, _output);
                    }
                    catch (Exception e)
                    {
                        string where = e.StackTrace?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("Pgo.Build")) ?? "";
                        outcome = "crash";
                        _stats.Fail($"crash {e.GetType().Name} {where}: {e.Message.Split('\n')[0]}", input, _output);
                    }

                    Current = null;
                    double ms = watch.Elapsed.TotalMilliseconds;
                    double cpuMs = (ThreadCpu.Seconds() - cpu0) * 1000;
                    long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                    long rss = Interlocked.Read(ref _maxRss);
                    if (cpuMs > SlowSeconds * 1000)
                    {
                        _stats.Fail("slow (over 2 s of CPU)", input, _output);
                    }

                    // With one worker the process's RSS while an input runs is that input's; with several it also holds
                    // what the other workers' inputs and mutators use at the same moment, so each input is judged by
                    // what the engine allocated on its thread (the stages run on it), and the process peak is printed.
                    if (allocated > BigBytes || (SingleWorker && rss > BigBytes))
                    {
                        _stats.Fail(SingleWorker ? "memory (process over 1 GiB while it ran)" : "memory (over 1 GiB allocated)", input, _output);
                    }

                    _stats.Record(outcome, new Case(cpuMs, ms, input.Bytes.Length, allocated, rss, input.Recipe));
                }
            }
        }
    }
}

namespace Pgo.Fuzz
{
    /// <summary>CPU time of the calling thread (Linux clock_gettime(CLOCK_THREAD_CPUTIME_ID)): the cost of an input on a shared machine.</summary>
    internal static class ThreadCpu
    {
        [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
        private struct TimeSpec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        private static extern int clock_gettime(int clock, out TimeSpec time);

        public static double Seconds() => clock_gettime(3, out var t) == 0 ? t.Seconds + t.Nanoseconds / 1e9 : 0;
    }
}
