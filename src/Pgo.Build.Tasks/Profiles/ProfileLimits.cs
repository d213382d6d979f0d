namespace Pgo.Build.Profiles
{
    /// <summary>
    /// Bounds on what a (possibly hostile) profile may cost. Exceeding one is a PGO002 error, never a hang
    /// or an out-of-memory crash. The defaults are far above real CPU profiles (Go's compiler profile:
    /// 241 KB compressed, 6,267 samples, 9,396 locations).
    /// </summary>
    public sealed class ProfileLimits
    {
        public static ProfileLimits Default { get; } = new ProfileLimits();

        /// <summary>Largest profile after decompression, in bytes (default 512 MiB).</summary>
        public long MaxDecodedBytes { get; set; } = 512L * 1024 * 1024;

        /// <summary>Most samples, locations, functions or strings of any one kind (default 20 million).</summary>
        public int MaxRecords { get; set; } = 20_000_000;

        /// <summary>Deepest stack of one sample (default 100,000 frames).</summary>
        public int MaxStackDepth { get; set; } = 100_000;
    }
}
