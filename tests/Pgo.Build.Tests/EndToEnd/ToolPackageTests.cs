using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Profiles;
using Pgo.Build.Tests.Tool;

namespace Pgo.Build.Tests.EndToEnd
{
    /// <summary>
    /// The loop with the packed packages: Pgo.Tool installs with 'dotnet tool install' from the local feed (the NativeAOT
    /// package on linux-x64, the framework-dependent 'any' package on a RID without its own), every command runs from
    /// the installed package, and a project built with Pgo.Sdk and the recorded profile reports what 'pgo top' reports.
    /// </summary>
    [TestClass]
    public sealed class ToolPackageTests
    {
        [TestMethod]
        public void Installed_tool_records_a_program_and_the_build_uses_the_profile_with_the_same_numbers()
        {
            PackageFeed.EnsureNativeTool();
            var s = Scenario.Create("tool-loop");
            string tools = s.Path_("tools");
            var install = s.Raw("tool", "install", "Pgo.Tool", "--version", PackageFeed.Version, "--tool-path", tools);
            Assert.AreEqual(0, install.ExitCode, install.ToString());
            string pgo = Path.Combine(tools, "pgo");
            AssertInstalledPackage(tools, PackageFeed.HasNativeTool ? PackageFeed.NativeToolRid : "any");

            var version = DotNetCli.RunProgram(s.Root, pgo, "--version");
            Assert.AreEqual(0, version.ExitCode, version.ToString());
            Assert.AreEqual("pgo " + PackageFeed.Version, version.Output.Trim());

            // Record the fixture program (built by the record tests' fixture) with the installed tool, for 0.8 s.
            var fixture = RecordedFixture.Get();
            string profile = s.Path_("RecordTarget/default.pgo");
            Directory.CreateDirectory(Path.GetDirectoryName(profile)!);
            var record = DotNetCli.RunProgram(s.Root, pgo, "record", "-o", profile, "--", "dotnet", fixture.Assembly, "800");
            Assert.AreEqual(0, record.ExitCode, record.ToString());
            StringAssert.Contains(record.Output, "runtime PGO data for ");
            var decoded = ProfileDecoder.Decode(File.ReadAllBytes(profile));
            Assert.IsTrue(decoded.Samples.Any(x => x.Values[0] > 0 && x.Stack.Any(l => l.Lines[0].Function.Name == "RecordTarget.Program.Run")));
            Assert.IsTrue(decoded.Samples.Any(x => x.Values[2] > 0 && x.Stack.Any(l => l.Lines[0].Function.Name == "RecordTarget.Program.Sum")));

            var top = DotNetCli.RunProgram(s.Root, pgo, "top", profile, "-n", "0");
            Assert.AreEqual(0, top.ExitCode, top.ToString());
            string topSummary = top.Output.Split('\n')[0].Trim();

            // The recorded program itself, built with Pgo.Sdk and its profile (default.pgo beside it).
            var project = s.AddProject("RecordTarget");
            File.Copy(fixture.SourceFile, s.Path_("RecordTarget/Program.cs"), overwrite: true);
            var build = s.Build(project);
            Scenario.AssertSucceeded(build);
            string buildSummary = Scenario.SummaryLines(build).Single();
            StringAssert.StartsWith(buildSummary, topSummary);
            StringAssert.Contains(top.Output, "RecordTarget.Program.Main", top.ToString());
            // The fixture's loop is among the hot call sites: Main -> Run, Run -> Sum or Sum -> an override, depending on
            // the code the JIT had produced when the samples were taken (so on the machine's load). Which one is the
            // hottest is not asserted: under load, start-up code can take a large share of the samples.
            StringAssert.Matches(top.Output, new System.Text.RegularExpressions.Regex(
                @"Hot call sites[^\n]*\n(?:[^\n]*\n)*? +[\d,]+ +[\d.]+% +[\d.]+%  RecordTarget\.(Program\.Main \+\d+ -> RecordTarget\.Program\.Run|Program\.Run \+\d+ -> RecordTarget\.Program\.Sum|Program\.Sum \+\d+ -> RecordTarget\.\w+\.Area)\n"),
                top.ToString());

            // What a build of the app would do, computed by the build's stages (Mono.Cecil among them) in the installed tool.
            var report = DotNetCli.RunProgram(s.Root, pgo, "top", profile, "-n", "3", "--assembly", s.Assembly("RecordTarget"));
            Assert.AreEqual(0, report.ExitCode, report.ToString());
            StringAssert.Contains(report.Output, "  delegates: ", report.ToString());

            // The other commands, from the same installed package: mibc on what the build wrote, merge, convert, and
            // recording a running process (attach mode).
            Scenario.AssertSucceeded(s.Build(project, "-c", "Release")); // the .mibc is written for optimized builds
            string mibc = Directory.GetFiles(s.Path_("RecordTarget/obj/Release/net10.0/pgo"), "*.mibc").Single();
            var mibcReport = DotNetCli.RunProgram(s.Root, pgo, "mibc", mibc);
            Assert.AreEqual(0, mibcReport.ExitCode, mibcReport.ToString());
            StringAssert.Contains(mibcReport.Output, "RecordTarget.Program", mibcReport.ToString());

            string merged = s.Path_("merged.pgo");
            var merge = DotNetCli.RunProgram(s.Root, pgo, "merge", profile, profile, "-o", merged, "--weights", "3,1");
            Assert.AreEqual(0, merge.ExitCode, merge.ToString());
            var mergedProfile = ProfileDecoder.Decode(File.ReadAllBytes(merged));
            Assert.AreEqual(4 * decoded.Samples.Sum(x => x.Values[0]), mergedProfile.Samples.Sum(x => x.Values[0]));

            string converted = s.Path_("converted.pgo");
            var convert = DotNetCli.RunProgram(s.Root, pgo, "convert",
                TestData.Path_("dotnet", "nettrace", "dotnetdiag__dotnet-5.0-SampleProfiler-single-thread.golden.nettrace"), "-o", converted);
            Assert.AreEqual(0, convert.ExitCode, convert.ToString());
            Assert.AreEqual(5559, ProfileDecoder.Decode(File.ReadAllBytes(converted)).Samples.Sum(x => x.Values[0]));

            string attached = s.Path_("attached.pgo");
            var attach = RecordRunningProcess(s, pgo, fixture.Assembly, attached);
            Assert.AreEqual(0, attach.ExitCode, attach.ToString());
            StringAssert.Contains(attach.Output, "an attached recording holds CPU samples only", attach.ToString());
            var attachedProfile = ProfileDecoder.Decode(File.ReadAllBytes(attached));
            Assert.IsTrue(attachedProfile.Samples.Any(x => x.Values[0] > 0 && x.Stack.Any(l => l.Lines[0].Function.Name == "RecordTarget.Program.Run")), attach.ToString());
        }

        [TestMethod]
        public void A_RID_without_its_own_package_installs_the_framework_dependent_one()
        {
            // A pointer package that lists another RID and 'any' (what a release that ships NativeAOT for osx-arm64 only
            // would publish) installs the 'any' package here, and it runs the commands.
            var s = Scenario.Create("tool-fallback");
            string feed = s.Path_("feed");
            Directory.CreateDirectory(feed);
            File.Copy(Path.Combine(PackageFeed.FeedDirectory, $"Pgo.Tool.any.{PackageFeed.Version}.nupkg"), Path.Combine(feed, $"Pgo.Tool.any.{PackageFeed.Version}.nupkg"));
            PackageFeed.Pack("Pgo.Tool", feed, "--no-build", "-p:ToolPackageRuntimeIdentifiers=\"osx-arm64;any\"");
            s.Write("nuget.config", $@"<?xml version=""1.0"" encoding=""utf-8""?>
<configuration>
  <packageSources>
    <clear />
    <add key=""fallback"" value=""{feed}"" />
  </packageSources>
</configuration>
");
            string tools = s.Path_("tools");
            var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = s.Path_("packages") }; // not the run's: another pointer package of the same version
            var install = DotNetCli.Run(s.Root, env, "tool", "install", "Pgo.Tool", "--version", PackageFeed.Version, "--tool-path", tools);
            Assert.AreEqual(0, install.ExitCode, install.ToString());
            AssertInstalledPackage(tools, "any");

            string pgo = Path.Combine(tools, "pgo");
            var version = DotNetCli.RunProgram(s.Root, pgo, "--version");
            Assert.AreEqual("pgo " + PackageFeed.Version, version.Output.Trim(), version.ToString());
            string go = TestData.Path_("go", "src", "cmd", "compile", "default.pgo");
            var top = DotNetCli.RunProgram(s.Root, pgo, "top", go, "-n", "3", "--no-cache");
            Assert.AreEqual(0, top.ExitCode, top.ToString());
            StringAssert.Contains(top.Output, "Hot call sites", top.ToString());
            var merge = DotNetCli.RunProgram(s.Root, pgo, "merge", go, go, "-o", s.Path_("merged.pgo"));
            Assert.AreEqual(0, merge.ExitCode, merge.ToString());
        }

        /// <summary>
        /// Asserts which package 'dotnet tool install' chose: the command is in the store's folder of
        /// Pgo.Tool.&lt;rid&gt;; a native one is a single executable, the 'any' one runs pgo.dll.
        /// </summary>
        private static void AssertInstalledPackage(string toolPath, string rid)
        {
            string store = Path.Combine(toolPath, ".store", "pgo.tool", PackageFeed.Version);
            var packages = Directory.GetDirectories(store).Select(Path.GetFileName).Where(n => n!.StartsWith("pgo.tool.", StringComparison.Ordinal)).ToList();
            CollectionAssert.AreEqual(new[] { "pgo.tool." + rid }, packages, string.Join(", ", Directory.GetDirectories(store)));
            var files = Directory.GetFiles(Path.Combine(store, "pgo.tool." + rid), "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
            if (rid == "any")
            {
                CollectionAssert.Contains(files, "pgo.dll");
            }
            else
            {
                CollectionAssert.Contains(files, "pgo");
                CollectionAssert.DoesNotContain(files, "pgo.dll", "a NativeAOT package carries no IL");
            }
        }

        /// <summary>Starts the fixture for 4 s and records it with 'pgo record --pid' for 1 s once its diagnostics port is open.</summary>
        private static CommandResult RecordRunningProcess(Scenario s, string pgo, string fixture, string output)
        {
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true };
            start.ArgumentList.Add(fixture);
            start.ArgumentList.Add("4000");
            using var program = Process.Start(start)!;
            try
            {
                var watch = Stopwatch.StartNew();
                while (!DiagnosticsPortOpen(program.Id) && watch.Elapsed < TimeSpan.FromSeconds(20) && !program.HasExited)
                {
                    Thread.Sleep(50);
                }

                return DotNetCli.RunProgram(s.Root, pgo, "record", "--pid", program.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--duration", "1s", "-o", output);
            }
            finally
            {
                if (!program.WaitForExit(TimeSpan.FromSeconds(20)))
                {
                    program.Kill();
                }
            }
        }

        /// <summary>The runtime's diagnostics socket (dotnet-diagnostic-&lt;pid&gt;-*-socket in the temp directory) exists.</summary>
        private static bool DiagnosticsPortOpen(int pid) =>
            Directory.GetFiles(Path.GetTempPath(), $"dotnet-diagnostic-{pid}-*-socket").Length > 0;
    }
}
