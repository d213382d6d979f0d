using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Pgo.Build.CallGraph;
using Pgo.Build.Hints;
using Pgo.Build.Naming;

namespace Pgo.Build.Linq
{
    /// <summary>
    /// What <see cref="LinqVariant.Decide"/> chose: <paramref name="SpeedOptimized"/> compiles System.Linq's
    /// speed-optimized variant (<c>System.Linq.Enumerable.IsSizeOptimized=false</c>); <paramref name="WorthSaying"/>
    /// puts the build line in the normal output (something changed, or hot LINQ was kept size-optimized).
    /// </summary>
    public sealed record LinqDecision(bool SpeedOptimized, bool WorthSaying, string Summary);

    /// <summary>
    /// Which LINQ ILC compiles. NativeAOT defaults <c>UseSizeOptimizedLinq</c> to true: System.Linq then runs smaller
    /// iterators (<c>Enumerable+SizeOptIListWhereIterator</c> where the JIT runs <c>ArrayWhereIterator</c>, ...). A
    /// profile recorded with <c>pgo record</c> (the JIT) saw the speed-optimized variant: its receiver types and block
    /// counts in System.Linq describe code the size-optimized build does not contain. When the profile's hot functions
    /// (the same CDF rule as every other hot function) include System.Linq's, PGO picks speed there, as it does for any
    /// hot code, and compiles the variant the profile describes. Both variants are supported configurations of the
    /// framework with the same behaviour; only speed and size differ.
    /// </summary>
    public static class LinqVariant
    {
        /// <summary>The feature switch (AppContext name) the SDK derives from <c>UseSizeOptimizedLinq</c>.</summary>
        public const string FeatureSwitch = "System.Linq.Enumerable.IsSizeOptimized";

        private const string EnumerableType = "System.Linq.Enumerable";

        /// <summary>
        /// A frame of System.Linq's <c>Enumerable</c> (its methods and its nested iterator types) in any profiler's
        /// spelling (<see cref="FrameNames"/>: <c>System.Linq.Enumerable.Sum&lt;...&gt;</c>, Pyroscope's
        /// <c>System.Linq!Enumerable.WhereSelectArrayIterator&lt;TSource, TResult&gt;.ToArray</c>, Datadog's, EventPipe's,
        /// perf maps'). Other types of the namespace (<c>EnumerableQuery</c>, <c>ParallelEnumerable</c>, expressions)
        /// do not count.
        /// </summary>
        public static bool IsEnumerableFrame(string function) =>
            FrameNames.Parse(function)?.Key.StartsWith(EnumerableType + ".", StringComparison.Ordinal) == true;

        /// <summary>
        /// <paramref name="setting"/>: <c>$(PgoSpeedOptimizedLinq)</c> (auto, true or false; empty is auto).
        /// <paramref name="projectValue"/>: the project's own <c>UseSizeOptimizedLinq</c>, read before NativeAOT's
        /// targets default it (empty when the project left it alone). <paramref name="hotFunctions"/>: the hint
        /// stage's hot functions, with the profile's total flat weight.
        /// </summary>
        public static LinqDecision Decide(string? setting, string? projectValue, IReadOnlyList<FunctionWeight> hotFunctions, long totalFlat, string assemblyName)
        {
            string mode = string.IsNullOrWhiteSpace(setting) ? "auto" : setting!.Trim().ToLowerInvariant();
            if (mode != "auto" && mode != "true" && mode != "false")
            {
                throw new PgoException(PgoCodes.InvalidSetting, $"invalid PgoSpeedOptimizedLinq '{setting}': expected auto, true or false.");
            }

            string prefix = "PGO: " + assemblyName + ": ";
            if (mode == "false")
            {
                return new LinqDecision(false, false, prefix + "LINQ left as NativeAOT builds it (PgoSpeedOptimizedLinq=false).");
            }

            if (mode == "true")
            {
                return new LinqDecision(true, true, prefix + "speed-optimized LINQ for ILC (" + FeatureSwitch + "=false; PgoSpeedOptimizedLinq=true).");
            }

            var linq = hotFunctions.Where(f => IsEnumerableFrame(f.Name)).ToList();
            string evidence = linq.Count == 0
                ? "no hot function of System.Linq.Enumerable in the profile"
                : string.Format(CultureInfo.InvariantCulture, "{0} hot function{1} of System.Linq.Enumerable in the profile ({2:0.0}% of its CPU samples, flat; hottest {3})",
                    linq.Count, linq.Count == 1 ? "" : "s", totalFlat <= 0 ? 0 : 100.0 * linq.Sum(f => f.Flat) / totalFlat, linq[0].Name);
            if (!string.IsNullOrWhiteSpace(projectValue))
            {
                return new LinqDecision(false, linq.Count > 0,
                    prefix + "LINQ as the project sets it (UseSizeOptimizedLinq=" + projectValue!.Trim() + "); " + evidence + ".");
            }

            return linq.Count == 0
                ? new LinqDecision(false, false, prefix + "size-optimized LINQ kept (NativeAOT's default): " + evidence + ".")
                : new LinqDecision(true, true, prefix + "speed-optimized LINQ for ILC (" + FeatureSwitch + "=false, the variant the recording ran): " + evidence +
                    "; PgoSpeedOptimizedLinq=false keeps NativeAOT's size-optimized LINQ.");
        }

        /// <summary><see cref="Decide"/> over the hint directory's <c>hot-functions.txt</c> (no file: nothing is hot).</summary>
        public static LinqDecision DecideFromHints(string? setting, string? projectValue, string hintDirectory, string assemblyName)
        {
            string path = Path.Combine(hintDirectory, HintFileNames.HotFunctions);
            if (!File.Exists(path))
            {
                return Decide(setting, projectValue, Array.Empty<FunctionWeight>(), 0, assemblyName);
            }

            var (hot, total) = HotFunctionsFile.ReadWithTotal(path);
            return Decide(setting, projectValue, hot, total, assemblyName);
        }
    }
}
