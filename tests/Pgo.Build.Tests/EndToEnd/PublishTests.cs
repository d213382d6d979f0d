using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Profiles;
using Pgo.Build.Tests.Tool;

namespace Pgo.Build.Tests.EndToEnd
{
    /// <summary>
    /// NativeAOT and ReadyToRun publishes of the recorded fixture program with its own profile: the .mibc reaches
    /// ILC and crossgen2, ILC's JIT uses it (its disassembly says so), a new profile recompiles, Pgo=off removes it.
    /// The slow scenarios run once, in one test.
    /// </summary>
    [TestClass]
    public sealed class PublishTests
    {
        [TestMethod]
        public void NativeAot_and_ReadyToRun_use_the_mibc_new_profile_recompiles_off_removes_it()
        {
            var r = RecordedFixture.Get();
            var s = WithNuGetOrg(Scenario.Create("publish"));
            string disasm = s.Path_("jit-disasm.txt");
            var project = s.AddProject("RecordTarget", extra: $@"
  <ItemGroup>
    <IlcArg Include=""--codegenopt:JitDisasm=Sum"" />
    <IlcArg Include=""--codegenopt:JitStdOutFile={disasm}"" />
  </ItemGroup>");
            File.Copy(r.SourceFile, s.Path_("RecordTarget/Program.cs"), overwrite: true);
            s.Copy(r.ProfilePath, "RecordTarget/default.pgo");
            string[] aot = { "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", s.Path_("aot") };
            string rsp = s.Path_("RecordTarget/obj/Release/net10.0/linux-x64/native/RecordTarget.ilc.rsp");
            string pgoDir = s.Path_("RecordTarget/obj/Release/net10.0/linux-x64/pgo");

            var first = s.Dotnet("publish", project, aot);

            Scenario.AssertSucceeded(first);
            StringAssert.Contains(first.Output, "PGO: RecordTarget: .mibc for ");
            string mibc = Directory.GetFiles(pgoDir, "RecordTarget.*.mibc").Single(f => !f.Contains(".references."));
            StringAssert.Matches(Path.GetFileName(mibc), new Regex(@"^RecordTarget\.[0-9a-f]{16}\.mibc$"));
            CollectionAssert.Contains(File.ReadAllLines(rsp), "--mibc:" + mibc);
            // No System.Linq.Enumerable function is hot in this recording: LINQ stays as NativeAOT builds it.
            CollectionAssert.Contains(File.ReadAllLines(rsp), "--feature:System.Linq.Enumerable.IsSizeOptimized=true");
            // The whole program: the framework methods the recording holds data for, matched against ILC's own
            // runtime pack (System.Private.CoreLib of NativeAOT), in a second .mibc ILC reads too.
            StringAssert.Contains(first.Output, "PGO: RecordTarget: whole-program .mibc for ");
            StringAssert.Contains(first.Output, "System.Private.CoreLib ");
            string wholeProgram = Directory.GetFiles(pgoDir, "RecordTarget.references.*.mibc").Single();
            CollectionAssert.Contains(File.ReadAllLines(rsp), "--mibc:" + wholeProgram);
            var frameworkEntries = global::Pgo.Build.Mibc.MibcReader.Read(wholeProgram);
            Assert.IsTrue(frameworkEntries.Count > 10, frameworkEntries.Count.ToString());
            Assert.IsTrue(frameworkEntries.All(e => e.Group != "RecordTarget;"), "the application's methods belong to its own .mibc");
            Assert.IsTrue(frameworkEntries.Any(e => e.Group == "System.Private.CoreLib;"));
            // ILC's JIT read the recorded data for Sum (its header names the PGO data it used; without a profile it
            // names none) and guards the virtual call with method-table compares (guarded devirtualization).
            string jit = File.ReadAllText(disasm);
            File.Delete(disasm);
            StringAssert.Contains(jit, "; Assembly listing for method RecordTarget.Program:Sum(", jit);
            Assert.IsFalse(jit.Contains("No PGO data"), "ILC's JIT did not use the .mibc for Sum:\n" + jit);
            StringAssert.Matches(jit, new Regex(@"optimized using (Static|Synthesized) PGO"), jit);
            StringAssert.Matches(jit, new Regex(@"cmp\s+qword ptr \[r\w+\], r\w+"), "no method-table guard in Sum:\n" + jit);
            var run = DotNetCli.RunProgram(s.Root, s.Path_("aot/RecordTarget"), "50");
            Assert.AreEqual(0, run.ExitCode, run.ToString());
            StringAssert.Contains(run.Output, "ok");

            // Same profile again: nothing to recompile. A new profile (the recording merged with itself: every count
            // doubled) is a new .mibc path, so ILC runs again.
            var again = s.Dotnet("publish", project, aot);
            Scenario.AssertSucceeded(again);
            Assert.IsFalse(again.Output.Contains("Generating native code"), "an unchanged profile recompiled");
            var merged = ProfileMerger.Merge(new[] { ("a", ProfileDecoder.Decode(File.ReadAllBytes(r.ProfilePath))), ("b", ProfileDecoder.Decode(File.ReadAllBytes(r.ProfilePath))) });
            File.WriteAllBytes(s.Path_("RecordTarget/default.pgo"), ProfileEncoder.Encode(merged.Profile));
            var changed = s.Dotnet("publish", project, aot);
            Scenario.AssertSucceeded(changed);
            StringAssert.Contains(changed.Output, "Generating native code");
            string newMibc = Directory.GetFiles(pgoDir, "RecordTarget.*.mibc").Single(f => !f.Contains(".references."));
            Assert.AreNotEqual(mibc, newMibc);
            CollectionAssert.Contains(File.ReadAllLines(rsp), "--mibc:" + newMibc);

            File.Delete(disasm);
            var off = s.Dotnet("publish", project, aot.Concat(new[] { "-p:Pgo=off" }).ToArray());
            Scenario.AssertSucceeded(off);
            string offJit = File.ReadAllText(disasm);
            StringAssert.Contains(offJit, "; Assembly listing for method RecordTarget.Program:Sum(", offJit);
            Assert.IsFalse(offJit.Contains("PGO"), "without a profile ILC's JIT should have no PGO data for Sum:\n" + offJit);
            Assert.IsFalse(Regex.IsMatch(offJit, @"cmp\s+qword ptr \[r\w+\], r\w+"), "without a profile there should be no guard:\n" + offJit);
            Assert.IsFalse(File.ReadAllLines(rsp).Any(l => l.StartsWith("--mibc:", System.StringComparison.Ordinal)), "Pgo=off still passes a .mibc");
            Assert.AreEqual(0, Directory.GetFiles(pgoDir, "*.mibc").Length);

            // ReadyToRun: crossgen2 gets the same file.
            var r2r = s.Dotnet("publish", project, new[] { "-c", "Release", "-r", "linux-x64", "--self-contained", "false", "-p:PublishReadyToRun=true", "-v:d", "-o", s.Path_("r2r") });
            Scenario.AssertSucceeded(r2r);
            string r2rMibc = Directory.GetFiles(pgoDir, "*.mibc").Single();
            // The crossgen2 response file is temporary; a detailed log shows its lines (-m: is crossgen2's --mibc).
            StringAssert.Contains(r2r.Output, "-m:\"" + r2rMibc + "\"", "crossgen2 did not get the .mibc");
            var r2rRun = DotNetCli.RunProgram(s.Root, s.Path_("r2r/RecordTarget"), "50");
            Assert.AreEqual(0, r2rRun.ExitCode, r2rRun.ToString());
        }

        /// <summary>
        /// Generic method instantiations: ILC's JIT finds the recorded data of each instantiation the .mibc names by
        /// MethodSpec (shared code over System.__Canon and exact code over structs), and guards the virtual call in
        /// the shared Total&lt;__Canon&gt; towards the recorded receiver type; crossgen2's JIT finds them too.
        /// </summary>
        [TestMethod]
        public void NativeAot_uses_the_data_of_each_generic_method_instantiation()
        {
            var r = RecordedFixture.Get("GenericTarget");
            var s = WithNuGetOrg(Scenario.Create("publish-generic"));
            string disasm = s.Path_("jit-disasm.txt");
            var project = s.AddProject("GenericTarget", extra: $@"
  <ItemGroup>
    <IlcArg Include=""--codegenopt:JitDisasm=Filter Total"" />
    <IlcArg Include=""--codegenopt:JitStdOutFile={disasm}"" />
  </ItemGroup>");
            File.Copy(r.SourceFile, s.Path_("GenericTarget/Program.cs"), overwrite: true);
            s.Copy(r.ProfilePath, "GenericTarget/default.pgo");

            var publish = s.Dotnet("publish", project, new[] { "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", s.Path_("aot") });

            Scenario.AssertSucceeded(publish);
            StringAssert.Contains(publish.Output, "6 generic method instantiations identified by their method hash");
            string jit = File.ReadAllText(disasm);
            foreach (var method in new[] { "Program:Filter[System.__Canon]", "Program:Filter[GenericTarget.Reading]", "Program:Filter[GenericTarget.Pair]", "Program:Total[System.__Canon]" })
            {
                string header = Header(jit, "GenericTarget." + method);
                StringAssert.Matches(header, new Regex(@"optimized using (Static|Synthesized) PGO"), method + ":\n" + header);
                Assert.IsFalse(header.Contains("No PGO data"), method + ":\n" + header);
            }

            string total = jit.Substring(jit.IndexOf("; Assembly listing for method GenericTarget.Program:Total[System.__Canon]", System.StringComparison.Ordinal));
            total = total.Substring(0, total.IndexOf("; Total bytes of code", System.StringComparison.Ordinal));
            StringAssert.Matches(total, new Regex(@"cmp\s+qword ptr \[r\w+\], r\w+"), "no method-table guard in Total<__Canon>:\n" + total);
            var run = DotNetCli.RunProgram(s.Root, s.Path_("aot/GenericTarget"), "50");
            Assert.AreEqual(0, run.ExitCode, run.ToString());
            StringAssert.Contains(run.Output, "ok");

            // ReadyToRun: crossgen2's JIT finds the same MethodSpec entries (its own disassembly, through the SDK's
            // extra crossgen2 arguments).
            string r2rDisasm = s.Path_("crossgen2-disasm.txt");
            var r2r = s.Dotnet("publish", project, new[] { "-c", "Release", "-r", "linux-x64", "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", s.Path_("r2r"),
                "-p:PublishReadyToRunCrossgen2ExtraArgs=--codegenopt:JitDisasm=Filter%3B--codegenopt:JitStdOutFile=" + r2rDisasm });
            Scenario.AssertSucceeded(r2r);
            string crossgen = File.ReadAllText(r2rDisasm);
            foreach (var method in new[] { "Program:Filter[System.__Canon]", "Program:Filter[GenericTarget.Reading]", "Program:Filter[GenericTarget.Pair]" })
            {
                string header = Header(crossgen, "GenericTarget." + method);
                StringAssert.Matches(header, new Regex(@"optimized using (Static|Synthesized) PGO"), "crossgen2, " + method + ":\n" + header);
                Assert.IsFalse(header.Contains("No PGO data"), "crossgen2, " + method + ":\n" + header);
            }
        }

        /// <summary>ILC and the runtime packs come from nuget.org (through the machine's registry), beside the local feed.</summary>
        private static Scenario WithNuGetOrg(Scenario s)
        {
            s.Write("nuget.config", File.ReadAllText(s.Path_("nuget.config")).Replace("</packageSources>",
                "  <add key=\"nuget.org\" value=\"https://api.nuget.org/v3/index.json\" />\n  </packageSources>"));
            return s;
        }

        /// <summary>The header lines (up to the first code label) of a method's listing in ILC's JIT output.</summary>
        private static string Header(string jit, string method)
        {
            int start = jit.IndexOf("; Assembly listing for method " + method + "(", System.StringComparison.Ordinal);
            Assert.IsTrue(start >= 0, "no listing of " + method + " in:\n" + jit);
            int end = jit.IndexOf("G_M", start, System.StringComparison.Ordinal);
            return jit.Substring(start, (end < 0 ? jit.Length : end) - start);
        }
    }
}
