using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Pgo.Build.Tests.EndToEnd
{
    /// <summary>
    /// Pgo.Sdk and Pgo.Tool packed once per test run into a local folder feed, with one NUGET_PACKAGES for the run (a fresh
    /// folder each run, since NuGet never re-extracts a version it has). Pgo.Tool is RID-specific: its pointer package and
    /// the framework-dependent 'any' package are packed with the SDK; the NativeAOT package of this machine's RID (about a
    /// minute of ILC on 2 cores) only when a test asks for it (<see cref="EnsureNativeTool"/>), once per run.
    /// </summary>
    internal static class PackageFeed
    {
        public const string Version = "0.1.0";

        /// <summary>The RID Pgo.Tool ships a NativeAOT package for (its ToolPackageRuntimeIdentifiers, besides 'any').</summary>
        public const string NativeToolRid = "linux-x64";

        private static readonly Lazy<string> Root = new Lazy<string>(Create);
        private static readonly Lazy<bool> NativeTool = new Lazy<bool>(PackNativeTool);

        public static string RunRoot => Root.Value;

        /// <summary>Whether this machine is the RID that gets the NativeAOT package (other RIDs install the 'any' one).</summary>
        public static bool HasNativeTool => System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier == NativeToolRid;

        /// <summary>Packs Pgo.Tool's NativeAOT package into the feed (once per run) on the RID that has one.</summary>
        public static void EnsureNativeTool() => _ = NativeTool.Value;

        /// <summary>Runs 'dotnet pack' on one of the repository's projects into <paramref name="output"/>.</summary>
        public static void Pack(string name, string output, params string[] extra)
        {
            var project = Path.Combine(TestData.RepoRoot, "src", name, name + ".csproj");
            var args = new List<string> { "pack", project, "-c", "Release", "-o", output, "-nodeReuse:false", "-p:Version=" + Version };
            args.AddRange(extra);
            var result = DotNetCli.Run(TestData.RepoRoot, new Dictionary<string, string>(), args.ToArray());
            if (result.ExitCode != 0)
            {
                throw new AssertFailedException("packing " + name + " " + string.Join(" ", extra) + " failed:\n" + result);
            }
        }

        private static bool PackNativeTool()
        {
            if (HasNativeTool)
            {
                Pack("Pgo.Tool", FeedDirectory, "-r", NativeToolRid);
            }

            return HasNativeTool;
        }

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
            string feed = Path.Combine(root, "feed");
            Pack("Pgo.Sdk", feed);
            Pack("Pgo.Tool", feed); // the pointer package
            Pack("Pgo.Tool", feed, "-r", "any", "-p:PublishAot=false"); // the framework-dependent fallback
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
        }
    }
}
