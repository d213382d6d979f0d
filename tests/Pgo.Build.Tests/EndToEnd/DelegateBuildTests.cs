using System;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Metadata;
using Pgo.Build.Profiles;
using Pgo.Build.Tests.Rewriting;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.EndToEnd
{
    /// <summary>
    /// tests/Fixtures/DelegateTarget built with its recording through the packed Pgo.Sdk: the delegate calls are
    /// guarded, and the program prints exactly what the Pgo=off build prints on every behaviour case (results, exception
    /// types and messages; not frames, which inlining removes from stack traces in any build), run by the JIT
    /// and as a NativeAOT binary (the slow scenario, once); an unchanged build replays, Pgo=off gives the compiler's
    /// output back.
    /// </summary>
    [TestClass]
    public sealed class DelegateBuildTests
    {
        [TestMethod]
        public void Guarded_builds_print_what_the_off_build_prints_on_the_jit_and_as_nativeaot()
        {
            var r = DelegateFixture.Get();
            var s = Scenario.Create("delegates");
            s.Write("nuget.config", File.ReadAllText(s.Path_("nuget.config")).Replace("</packageSources>",
                "  <add key=\"nuget.org\" value=\"https://api.nuget.org/v3/index.json\" />\n  </packageSources>"));
            var project = s.AddProject("DelegateTarget", extra: "\n  <PropertyGroup><InvariantGlobalization>true</InvariantGlobalization></PropertyGroup>");
            s.Copy(Path.Combine(r.SourceDirectory, "Program.cs"), "DelegateTarget/Program.cs");
            s.Copy(r.ProfilePath, "DelegateTarget/default.pgo");
            string obj = s.Path_("DelegateTarget/obj/Release/net10.0/DelegateTarget.dll");
            string bin = s.Path_("DelegateTarget/bin/Release/net10.0/DelegateTarget.dll");

            var off = s.Build(project, "-c", "Release", "-p:Pgo=off");
            Scenario.AssertSucceeded(off);
            var expected = DotNetCli.RunProgram(s.Root, "dotnet", bin, "check");
            Assert.AreEqual(0, expected.ExitCode, expected.ToString());
            byte[] compilerOutput = File.ReadAllBytes(obj);

            var pgo = s.Build(project, "-c", "Release");
            Scenario.AssertSucceeded(pgo);
            StringAssert.Contains(pgo.Output, "PGO: DelegateTarget.dll: delegate calls: 4 of ");
            // The foreach rewrite is on by default: the loops over the recorded List<T> / T[] (and their behaviour cases below).
            StringAssert.Contains(pgo.Output, "PGO: DelegateTarget.dll: foreach over interfaces: 7 of 7 recorded loops enumerate a List<T> or T[] without allocating");
            Assert.IsTrue(HasGuards(bin), "the built assembly has no guards");
            var jit = DotNetCli.RunProgram(s.Root, "dotnet", bin, "check");
            Assert.AreEqual(expected.Output, jit.Output, "the guarded JIT build behaves differently");
            using (var symbols = AssemblySymbols.TryOpen(bin)!)
            {
                Assert.IsTrue(symbols.HasPdb && symbols.Methods().Single(m => m.Name == "DelegateTarget.Helpers.Join").StartLine > 0, "the PDB beside the guarded assembly does not match it");
            }

            var again = s.Build(project, "-c", "Release");
            Scenario.AssertSucceeded(again);
            StringAssert.Contains(again.Output, "delegate calls: 4 of ");
            StringAssert.Contains(again.Output, "(up to date)");

            // NativeAOT with the recording plus samples in System.Linq.Enumerable (3% of its CPU samples, a hot function
            // under the CDF rule): ILC gets the speed-optimized LINQ the recording ran (NativeAOT's default is the
            // size-optimized one), and the program still prints exactly what the Pgo=off build prints.
            File.WriteAllBytes(s.Path_("DelegateTarget/default.pgo"), WithHotLinq(r.ProfilePath));
            var aot = s.Dotnet("publish", project, new[] { "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", s.Path_("aot") });
            Scenario.AssertSucceeded(aot);
            StringAssert.Contains(aot.Output, "PGO: DelegateTarget.dll: delegate calls: 4 of ");
            StringAssert.Contains(aot.Output, "PGO: DelegateTarget.dll: foreach over interfaces: 7 of 7 recorded loops");
            // (How many LINQ frames are hot depends on where the recording's own samples fell: not asserted.)
            StringAssert.Matches(aot.Output, new System.Text.RegularExpressions.Regex(@"PGO: DelegateTarget: speed-optimized LINQ for ILC \(System\.Linq\.Enumerable\.IsSizeOptimized=false, the variant the recording ran\): \d+ hot functions? of System\.Linq\.Enumerable"));
            var rsp = File.ReadAllLines(s.Path_("DelegateTarget/obj/Release/net10.0/linux-x64/native/DelegateTarget.ilc.rsp"));
            CollectionAssert.Contains(rsp, "--feature:System.Linq.Enumerable.IsSizeOptimized=false");
            Assert.IsFalse(rsp.Contains("--feature:System.Linq.Enumerable.IsSizeOptimized=true"));
            // "The project's own UseSizeOptimizedLinq" is read where the package's targets are imported: before
            // NativeAOT's, which give it their default. Were the order the other way, every project would look as if it
            // had set it, and the speed-optimized LINQ would never be chosen.
            var evaluated = s.Raw("msbuild", project, "-nologo", "-p:Configuration=Release", "-p:RuntimeIdentifier=linux-x64", "-p:PublishAot=true",
                "-getProperty:UseSizeOptimizedLinq", "-getProperty:_PgoProjectUseSizeOptimizedLinq");
            Assert.AreEqual(0, evaluated.ExitCode, evaluated.ToString());
            using (var json = System.Text.Json.JsonDocument.Parse(evaluated.Output))
            {
                var properties = json.RootElement.GetProperty("Properties");
                Assert.AreEqual("true", properties.GetProperty("UseSizeOptimizedLinq").GetString(), evaluated.Output);
                Assert.AreEqual("", properties.GetProperty("_PgoProjectUseSizeOptimizedLinq").GetString(), evaluated.Output);
            }
            var native = DotNetCli.RunProgram(s.Root, s.Path_("aot/DelegateTarget"), "check");
            Assert.AreEqual(0, native.ExitCode, native.ToString());
            Assert.AreEqual(expected.Output, native.Output, "the guarded NativeAOT build behaves differently");

            // Pgo=off again: the compiler's output, no guard left (the rebuild compiles anew: the profile attribute goes).
            Scenario.AssertSucceeded(s.Build(project, "-c", "Release", "-p:Pgo=off"));
            Assert.IsFalse(HasGuards(bin));
            CollectionAssert.AreEqual(compilerOutput, File.ReadAllBytes(obj), "Pgo=off did not give the compiler's bytes back");
            Assert.IsFalse(Directory.Exists(s.Path_("DelegateTarget/obj/Release/net10.0/pgo/original")) && Directory.EnumerateFiles(s.Path_("DelegateTarget/obj/Release/net10.0/pgo/original")).Any());
        }

        /// <summary>The recording merged with one sample of <c>System.Linq.Enumerable.Sum</c> worth 3% of its CPU columns.</summary>
        private static byte[] WithHotLinq(string recording)
        {
            var recorded = ProfileDecoder.Decode(File.ReadAllBytes(recording));
            var b = new PprofBuilder();
            foreach (var type in recorded.SampleTypes)
            {
                b.SampleType(type.Type, type.Unit);
            }

            var values = recorded.SampleTypes.Select((type, i) => type.Type == "samples" || type.Type == "cpu"
                ? Math.Max(1, recorded.Samples.Sum(x => x.Values[i]) * 3 / 100) : 0L).ToArray();
            ulong sum = b.Function("System.Linq.Enumerable.Sum<TSource,TResult,TAccumulator>", 0, "");
            b.Sample(values, b.Location(0x7000, (sum, 0)));
            var merged = ProfileMerger.Merge(new[] { ("recording", recorded), ("linq", b.Decode()) });
            return ProfileEncoder.Encode(merged.Profile);
        }

        private static bool HasGuards(string assembly)
        {
            using var module = Mono.Cecil.ModuleDefinition.ReadModule(assembly);
            return global::Pgo.Build.Rewriting.DelegateCaches.AllTypes(module).Any(t => t.Name == IlFingerprint.DelegateGuardTypeName);
        }
    }
}
