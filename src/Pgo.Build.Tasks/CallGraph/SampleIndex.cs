using System.Collections.Generic;
using Pgo.Build.Profiles;

namespace Pgo.Build.CallGraph
{
    /// <summary>Chooses the sample value that weighs the graph, as Go's <c>cmd/internal/pgo.FromPProf</c> does.</summary>
    public static class SampleIndex
    {
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
    }
}
