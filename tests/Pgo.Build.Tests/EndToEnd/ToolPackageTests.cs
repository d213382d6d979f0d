using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Profiles;
using Pgo.Build.Tests.Tool;

namespace Pgo.Build.Tests.EndToEnd
{
    /// <summary>
    /// The loop with the packed packages: Pgo.Tool installs with 'dotnet tool install' from the local feed, records a
    /// program, and a project built with Pgo.Sdk and that profile reports what 'pgo top' reports.
    /// </summary>
    [TestClass]
    public sealed class ToolPackageTests
    {
        [TestMethod]
        public void Installed_tool_records_a_program_and_the_build_uses_the_profile_with_the_same_numbers()
        {
            var s = Scenario.Create("tool-loop");
            string tools = s.Path_("tools");
            var install = s.Raw("tool", "install", "Pgo.Tool", "--version", PackageFeed.Version, "--tool-path", tools);
            Assert.AreEqual(0, install.ExitCode, install.ToString());
            string pgo = Path.Combine(tools, "pgo");

            var version = DotNetCli.RunProgram(s.Root, pgo, "--version");
            Assert.AreEqual(0, version.ExitCode, version.ToString());
            Assert.AreEqual("pgo " + PackageFeed.Version, version.Output.Trim());

            // Record the fixture program (built by the record tests' fixture) with the installed tool, for 0.8 s.
            var fixture = RecordedFixture.Get();
            string profile = s.Path_("app/default.pgo");
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

            var project = s.AddProject("app");
            var build = s.Build(project);
            Scenario.AssertSucceeded(build);
            string buildSummary = Scenario.SummaryLines(build).Single();
            StringAssert.StartsWith(buildSummary, topSummary.Replace("PGO: " + profile, "PGO: " + s.Path_("app/default.pgo")));
            StringAssert.Contains(top.Output, "RecordTarget.Program.Main", top.ToString());
            // The fixture's loop is among the hot call sites: Main -> Run, Run -> Sum or Sum -> an override, depending on
            // the code the JIT had produced when the samples were taken (so on the machine's load). Which one is the
            // hottest is not asserted: under load, start-up code can take a large share of the samples.
            StringAssert.Matches(top.Output, new System.Text.RegularExpressions.Regex(
                @"Hot call sites[^\n]*\n(?:[^\n]*\n)*? +[\d,]+ +[\d.]+% +[\d.]+%  RecordTarget\.(Program\.Main \+\d+ -> RecordTarget\.Program\.Run|Program\.Run \+\d+ -> RecordTarget\.Program\.Sum|Program\.Sum \+\d+ -> RecordTarget\.\w+\.Area)\n"),
                top.ToString());
        }
    }
}
