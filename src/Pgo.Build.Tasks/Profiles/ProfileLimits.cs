using System;

namespace Pgo.Build.Profiles
{
    /// <summary>
    /// Bounds on what a (possibly hostile) profile may cost, checked while it is read, before anything they bound is
    /// allocated. Exceeding one is a PGO002 error, never a hang or an out-of-memory crash. The defaults are far
    /// above real CPU profiles (google/pprof's large.cpu: 1.2 MB, 20,430 samples, 499,787 frames, at most 3 lines
    /// per location; Go's compiler profile: 6,267 samples, names up to 255 characters).
    /// </summary>
    public sealed class ProfileLimits
    {
        public static ProfileLimits Default { get; } = new ProfileLimits();

        /// <summary>Largest profile after decompression, in bytes (default 512 MiB). Streamed, never held whole.</summary>
        public long MaxDecodedBytes { get; set; } = 512L * 1024 * 1024;

        /// <summary>Most samples, locations, functions, mappings or strings of any one kind (default 20 million).</summary>
        public int MaxRecords { get; set; } = 20_000_000;

        /// <summary>Deepest stack of one sample (default 100,000 frames).</summary>
        public int MaxStackDepth { get; set; } = 100_000;

        /// <summary>Most lines (inlined frames) of one location (default 1,000).</summary>
        public int MaxLinesPerLocation { get; set; } = 1_000;

        /// <summary>Most labels of one sample (default 1,000).</summary>
        public int MaxLabelsPerSample { get; set; } = 1_000;

        /// <summary>Longest string of the string table, in bytes (default 1 MiB).</summary>
        public int MaxStringLength { get; set; } = 1 << 20;

        /// <summary>
        /// Most frames × lines over all samples: the work of walking every stack with its inlined frames, which is what
        /// the call graph costs (default 100 million; large.cpu has 500,002).
        /// </summary>
        public long MaxFrameLines { get; set; } = 100_000_000;

        /// <summary>
        /// Memory the decoded profile may take (its samples, stacks, values, labels, locations, functions and strings, as
        /// estimated while they are read; default 1 GiB). A profile that needs more is rejected before it gets it.
        /// </summary>
        public long MaxMemoryBytes { get; set; } = 1L << 30;

        /// <summary>
        /// Most characters of names the results may spell out per decoded byte of the profile (default 16; real
        /// profiles spell out under 2): each call edge and runtime record repeats its function names in the hint files
        /// and the cache entry, so long names shared by many edges would multiply. At least
        /// <see cref="MinSpelledNameChars"/>, at most <see cref="MaxSpelledNameChars"/>.
        /// </summary>
        public int SpelledNameCharsPerByte { get; set; } = 16;

        /// <summary>Names any profile may spell out, however small (default 1 million characters).</summary>
        public long MinSpelledNameChars { get; set; } = 1_000_000;

        /// <summary>Names no profile may spell out beyond, however large (default 64 million characters).</summary>
        public long MaxSpelledNameChars { get; set; } = 64_000_000;

        /// <summary>The characters of names a profile of <paramref name="decodedBytes"/> bytes (0: unknown) may spell out.</summary>
        public long SpelledNameLimit(long decodedBytes) =>
            decodedBytes <= 0 ? MaxSpelledNameChars : Math.Min(MaxSpelledNameChars, Math.Max(MinSpelledNameChars, decodedBytes * SpelledNameCharsPerByte));
    }
}
