using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Pgo.Build.Tests.EndToEnd
{
    /// <summary>
    /// Pgo.Sdk and Pgo.Tool packed once per test run into a local folder feed, with one NUGET_PACKAGES for the run (a fresh
    /// folder each run, since NuGet never re-extracts a version it has).
    /// </summary>
    internal static class PackageFeed
    {
        public const string Version = "0.1.0";

        private static readonly Lazy<string> Root = new Lazy<string>(Create);

        public static string RunRoot => Root.Value;

        public static string FeedDirectory => Path.Combine(RunRoot, "feed");

        public static string PackagesDirectory => Path.Combine(RunRoot, "packages");

        public static void Cleanup()
        {
            if (Root.IsValueCreated && Environment.GetEnvironmentVariable("PGO_KEEP_TEST_ROOTS") != "1")
            {
                try
                {
                    Directory.Delete(Root.Value, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }

        private static string Create()
        {
            string root = Path.Combine(Path.GetTempPath(), "pgo-e2e-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            Directory.CreateDirectory(root);
            foreach (var name in new[] { "Pgo.Sdk", "Pgo.Tool" })
            {
                var project = Path.Combine(TestData.RepoRoot, "src", name, name + ".csproj");
                var result = DotNetCli.Run(
                    TestData.RepoRoot,
                    new Dictionary<string, string>(),
                    "pack", project, "-c", "Release", "-o", Path.Combine(root, "feed"), "-nodeReuse:false", "-p:Version=" + Version);
                if (result.ExitCode != 0)
                {
                    throw new AssertFailedException("packing " + name + " failed:\n" + result);
                }
            }

            return root;
        }
    }

    [TestClass]
    public static class EndToEndAssembly
    {
        [AssemblyCleanup]
        public static void Cleanup()
        {
            PackageFeed.Cleanup();
            Tool.RecordedFixture.Cleanup();
            Rewriting.DelegateFixture.Cleanup();
        }
    }
}
