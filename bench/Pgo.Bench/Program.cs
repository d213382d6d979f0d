using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Pgo.Build.Caching;
using Pgo.Build.CallGraph;
using Pgo.Build.Engine;
using Pgo.Build.IO;
using Pgo.Build.Profiles;

namespace Pgo.Bench
{
    /// <summary>
    /// Preprocessing cost of real profiles: read + SHA-256, decode (gunzip + protobuf + validation), Go's graph,
    /// and the cache hit path, each as min/median over repeated runs. Usage: Pgo.Bench [profile ...]
    /// (default: Go's compiler profile from ../shared/testdata).
    /// </summary>
    internal static class Program
    {
        private const int Runs = 15;

        public static int Main(string[] args)
        {
            if (args.Length == 3 && args[0] == "shuffle")
            {
                return ShuffledProfile.Run(args[1], args[2]);
            }

            if (args.Length == 4 && args[0] == "fleet")
            {
                return FleetProfiles.Run(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), args[3]);
            }

            var profiles = args.Length > 0 ? args : new[] { DefaultProfile() };
            foreach (var path in profiles)
            {
                Bench(path);
            }

            return 0;
        }

        private static void Bench(string path)
        {
            byte[] bytes = File.ReadAllBytes(path);
            Console.WriteLine($"profile: {path} ({bytes.Length:N0} bytes)");
            var profile = ProfileDecoder.Decode(bytes);
            var graph = CallGraphBuilder.Build(profile, SampleIndex.Choose(profile.SampleTypes));
            Console.WriteLine($"  {profile.Samples.Count:N0} samples, {graph.Functions.Count:N0} functions, {graph.Edges.Count:N0} edges, total weight {graph.TotalWeight:N0}");

            Report("read + sha256", () => Sha256Hex.Of(File.ReadAllBytes(path)));
            Report("decode", () => ProfileDecoder.Decode(bytes));
            Report("graph (from decoded)", () => CallGraphBuilder.Build(profile, SampleIndex.Choose(profile.SampleTypes)));
            Report("preprocess, cold (read, hash, decode, graph)", () => PgoEngine.Preprocess(path, null, NullLog.Instance, ProfileLimits.Default, default));

            string cacheDir = Path.Combine(Path.GetTempPath(), "pgo-bench-" + Guid.NewGuid().ToString("N"));
            var cache = new GraphCache(cacheDir);
            PgoEngine.Preprocess(path, cache, NullLog.Instance, ProfileLimits.Default, default);
            Report("preprocess, cache hit (read, hash, load entry)", () =>
            {
                if (!PgoEngine.Preprocess(path, cache, NullLog.Instance, ProfileLimits.Default, default).CacheHit)
                {
                    throw new InvalidOperationException("expected a cache hit");
                }
            });
            Report("hot call sites (CDF 99)", () => HotSelection.HotCallSites(graph, 99));
            Directory.Delete(cacheDir, recursive: true);

            long before = GC.GetAllocatedBytesForCurrentThread();
            PgoEngine.Preprocess(path, null, NullLog.Instance, ProfileLimits.Default, default);
            Console.WriteLine($"  allocated by one cold preprocess: {(GC.GetAllocatedBytesForCurrentThread() - before) / 1024.0 / 1024.0:F1} MiB");
        }

        private static void Report(string what, Action action)
        {
            action(); // warm-up (JIT)
            var times = new List<double>();
            for (int i = 0; i < Runs; i++)
            {
                var sw = Stopwatch.StartNew();
                action();
                times.Add(sw.Elapsed.TotalMilliseconds);
            }

            times.Sort();
            Console.WriteLine($"  {what,-48} min {times[0],8:F2} ms   median {times[times.Count / 2],8:F2} ms   (n={Runs})");
        }

        private static string DefaultProfile()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Pgo.Build.sln")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir!.FullName, "..", "shared", "testdata", "go", "src", "cmd", "compile", "default.pgo");
        }

        private sealed class NullLog : IPgoLog
        {
            public static readonly NullLog Instance = new NullLog();

            public void Message(string text)
            {
            }

            public void Warning(string code, string text, string? file)
            {
            }
        }
    }
}
