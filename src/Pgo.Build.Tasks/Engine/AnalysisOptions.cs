namespace Pgo.Build.Engine
{
    /// <summary>
    /// Settings that change the graph a profile's bytes give: part of the cache key (as <see cref="CacheVariant"/>)
    /// and of the up-to-date stamp.
    /// </summary>
    public sealed record AnalysisOptions(string? SampleType = null, bool AllFrameEdges = false)
    {
        public static AnalysisOptions Default { get; } = new AnalysisOptions();

        /// <summary>"" for the defaults (Go's graph), else a stable text naming what differs.</summary>
        public string CacheVariant =>
            (string.IsNullOrWhiteSpace(SampleType) ? "" : "sample-type=" + SampleType!.Trim()) +
            (AllFrameEdges ? (string.IsNullOrWhiteSpace(SampleType) ? "" : ";") + "edges=all-frames" : "");
    }
}
