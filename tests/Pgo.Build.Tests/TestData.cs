using System;
using System.IO;

namespace Pgo.Build.Tests
{
    /// <summary>Locates ../shared/testdata (beside the repository) and the repository itself.</summary>
    internal static class TestData
    {
        public static string RepoRoot { get; } = FindRepoRoot();

        public static string SharedRoot { get; } = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "testdata"));

        public static string Path_(params string[] parts) => Path.Combine(SharedRoot, Path.Combine(parts));

        public static string Go(string relative) => Path.Combine(SharedRoot, "go", relative);

        public const string GoPgoTestData = "src/cmd/compile/internal/test/testdata/pgo";

        public static string InlineHot => Go(GoPgoTestData + "/inline/inline_hot.pprof");

        public static string Devirt => Go(GoPgoTestData + "/devirtualize/devirt.pprof");

        public static string GoCompilerProfile => Go("src/cmd/compile/default.pgo");

        private static string FindRepoRoot()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Pgo.Build.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("Pgo.Build.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
