using System;
using System.IO;
using System.Text;
using Pgo.Build.CallGraph;
using Pgo.Build.IO;

namespace Pgo.Build.Caching
{
    /// <summary>
    /// The per-user cache of preprocessed profiles, like Go's build cache: one entry per
    /// (profile content SHA-256, engine version), never keyed on a path or a time stamp, so the same bytes at
    /// another path or in another project are not decoded again. Entries are written atomically and carry a checksum
    /// of their own content; a damaged entry is treated as a miss, reported and replaced.
    /// </summary>
    public sealed class GraphCache
    {
        /// <summary>Bump whenever the graph an engine computes from the same bytes could differ.</summary>
        public const string EngineVersion = "pgo-graph-5";

        public GraphCache(string directory)
        {
            Directory = directory;
        }

        public string Directory { get; }

        /// <summary>
        /// Where the cache lives when <c>PgoCacheDirectory</c> is not set: <c>$PGO_CACHE_DIR</c>, else
        /// <c>%LOCALAPPDATA%\Pgo.Build\cache</c> on Windows, <c>~/Library/Caches/Pgo.Build</c> on macOS,
        /// <c>$XDG_CACHE_HOME/pgo-build</c> or <c>~/.cache/pgo-build</c> elsewhere.
        /// </summary>
        public static string DefaultDirectory()
        {
            string? explicitDir = Environment.GetEnvironmentVariable("PGO_CACHE_DIR");
            if (!string.IsNullOrEmpty(explicitDir))
            {
                return explicitDir!;
            }

            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (Path.DirectorySeparatorChar == '\\')
            {
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "Pgo.Build", "cache");
            }

            if (System.IO.Directory.Exists("/System/Library/CoreServices") && !string.IsNullOrEmpty(home))
            {
                return Path.Combine(home, "Library", "Caches", "Pgo.Build");
            }

            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg))
            {
                return Path.Combine(xdg!, "pgo-build");
            }

            return Path.Combine(string.IsNullOrEmpty(home) ? Path.GetTempPath() : home, ".cache", "pgo-build");
        }

        /// <summary>Where the entries live.</summary>
        public string GraphsDirectory => Path.Combine(Directory, "graphs");

        /// <summary>Removes the temporary files of interrupted writes whose writers are gone (<see cref="AtomicFile.SweepTemporaryFiles"/>).</summary>
        public int SweepTemporaryFiles() => AtomicFile.SweepTemporaryFiles(GraphsDirectory);

        /// <summary>The entry of a profile; <paramref name="variant"/> names settings that change the graph (a chosen sample type).</summary>
        public string PathFor(string profileSha256, string variant = "") =>
            Path.Combine(GraphsDirectory, Sha256Hex.Of(EngineVersion + "\n" + profileSha256 + (variant.Length == 0 ? "" : "\n" + variant)) + ".graph");

        /// <summary>
        /// Looks an entry up. An entry that cannot be used (unreadable, another format, a checksum that does not match
        /// its content, another profile's) is <see cref="CacheLookup.Damaged"/>: it is deleted, so that the caller's
        /// <see cref="Store"/> replaces it, and <paramref name="problem"/> says what was wrong.
        /// </summary>
        public CacheLookup Load(string profileSha256, string variant, out PreprocessedProfile profile, out string problem)
        {
            profile = new PreprocessedProfile(WeightedCallGraph.Empty, Array.Empty<RuntimePgo.RuntimeRecord>());
            problem = "";
            string path = PathFor(profileSha256, variant);
            if (!File.Exists(path))
            {
                return CacheLookup.Absent;
            }

            try
            {
                profile = GraphFile.ReadProfile(File.ReadAllBytes(path), profileSha256);
                return CacheLookup.Hit;
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                return CacheLookup.Absent; // removed by a concurrent build between the check and the read
            }
            catch (Exception e) when (e is FormatException || e is IOException || e is UnauthorizedAccessException || e is OverflowException)
            {
                problem = e.Message;
                AtomicFile.TryDelete(path);
                return CacheLookup.Damaged;
            }
        }

        public bool TryLoad(string profileSha256, string variant, out PreprocessedProfile profile) =>
            Load(profileSha256, variant, out profile, out _) == CacheLookup.Hit;

        /// <summary>Stores an entry atomically. IO failures propagate; the caller decides whether they matter.</summary>
        public void Store(string profileSha256, string variant, PreprocessedProfile profile) =>
            AtomicFile.Write(PathFor(profileSha256, variant), GraphFile.Write(profile, profileSha256));
    }

    /// <summary>What a cache lookup found.</summary>
    public enum CacheLookup
    {
        Absent,
        Hit,
        Damaged,
    }
}
