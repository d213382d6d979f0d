using System;
using System.Collections.Generic;
using System.Linq;
using Pgo.Build.Profiles;

namespace Pgo.Build.CallGraph
{
    /// <summary>
    /// Chooses the sample value that weighs the graph: Go's rule (<c>cmd/internal/pgo.FromPProf</c>), the CPU
    /// sample counts of .NET profilers, or the type the user asked for with <c>PgoSampleType</c>.
    /// </summary>
    public static class SampleIndex
    {
        /// <summary>
        /// CPU sample counts under the names .NET profilers use (Pyroscope, Datadog): accepted like Go's
        /// <c>samples/count</c> when the profile has neither of Go's types.
        /// </summary>
        private static readonly string[] CpuSampleCounts = { "cpu_samples", "cpu-samples" };

        /// <summary>Wall-clock types: they count waiting threads, so they are never chosen unless asked for.</summary>
        private static readonly string[] WallTypes = { "wall", "wall-time", "wall_time" };

        /// <summary>
        /// The first sample type that is <c>samples/count</c> or <c>cpu/nanoseconds</c> (samples are the raw
        /// data, CPU time a scaled copy of it), or -1 when there is none.
        /// </summary>
        public static int Choose(IReadOnlyList<SampleType> types)
        {
            for (int i = 0; i < types.Count; i++)
            {
                var t = types[i];
                if ((t.Type == "samples" && t.Unit == "count") || (t.Type == "cpu" && t.Unit == "nanoseconds"))
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>
        /// Go's choice, else a .NET profiler's CPU sample count; with <paramref name="requested"/> (<c>type</c> or
        /// <c>type/unit</c>) exactly that type. -1 with the reason in <paramref name="problem"/> when none applies.
        /// </summary>
        public static int Select(IReadOnlyList<SampleType> types, string? requested, out string problem)
        {
            problem = "";
            string found = types.Count == 0 ? "none" : string.Join(", ", types.Select(t => t.ToString()));
            if (!string.IsNullOrWhiteSpace(requested))
            {
                string wanted = requested!.Trim();
                for (int i = 0; i < types.Count; i++)
                {
                    if (types[i].Type == wanted || types[i].ToString() == wanted)
                    {
                        return i;
                    }
                }

                problem = $"the profile has no sample type \"{wanted}\" (PgoSampleType); it has: {found}";
                return -1;
            }

            int go = Choose(types);
            if (go >= 0)
            {
                return go;
            }

            for (int i = 0; i < types.Count; i++)
            {
                if (types[i].Unit == "count" && Array.IndexOf(CpuSampleCounts, types[i].Type) >= 0)
                {
                    return i;
                }
            }

            var wall = types.Where(t => Array.IndexOf(WallTypes, t.Type) >= 0).Select(t => t.ToString()).FirstOrDefault();
            problem = wall != null
                ? $"the profile holds wall-clock time ({wall}) but no CPU samples (it has: {found}). Wall time counts threads that wait, so waiting code would look hot. Use a CPU profile, or set PgoSampleType={wall.Substring(0, wall.IndexOf('/'))} to use wall time anyway"
                : $"profile does not contain a sample index with value/type \"samples/count\" or \"cpu/nanoseconds\" (it has: {found}). Use a CPU profile, or name the sample type to use with PgoSampleType";
            return -1;
        }
    }
}
