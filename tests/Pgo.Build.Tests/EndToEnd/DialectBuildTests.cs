using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Mibc;
using Pgo.Build.Naming;
using Pgo.Build.Profiles;
using Pgo.Build.Tests.Naming;

namespace Pgo.Build.Tests.EndToEnd
{
    /// <summary>
    /// A program built with its recorded profile rewritten into every producer's frame-name dialect
    /// (Pyroscope, Datadog, perf map, EventPipe, OpenTelemetry): each build makes the same inlining and
    /// devirtualization decisions as our own format carrying the same information (CPU samples without lines or
    /// runtime data, which no other producer writes).
    /// </summary>
    [TestClass]
    public sealed class DialectBuildTests
    {
        [TestMethod]
        public void Every_dialect_gets_the_decisions_of_our_own_format()
        {
            // tests/Fixtures/SampledTarget: hot overrides and a hot helper the CPU sampler sees (see its comments),
            // built and recorded here with 'pgo record'.
            var s = Scenario.Create("dialects");
            var project = s.AddProject("SampledTarget");
            s.Copy(Path.Combine(TestData.RepoRoot, "tests", "Fixtures", "SampledTarget", "Program.cs"), "SampledTarget/Program.cs");
            Scenario.AssertSucceeded(s.Build(project, "-c", "Release", "-p:Pgo=off"));
            string recording = s.Path_("recorded.pgo");
            var stderr = new StringWriter();
            int exit = global::Pgo.Tool.Program.Run(
                new[] { "record", "-o", recording, "--", "dotnet", s.Path_("SampledTarget/bin/Release/net10.0/SampledTarget.dll"), "1500" }, new StringWriter(), stderr);
            Assert.AreEqual(0, exit, stderr.ToString());
            var recorded = ProfileDecoder.Decode(File.ReadAllBytes(recording));

            var baseline = Decisions(s, project, FrameDialect.Recorder, recorded);

            // Not vacuous: the sampled edges Sum -> Square.Area / Circle.Area become a receiver-type histogram at
            // Sum's one virtual call, and the hot helper Mix is marked AggressiveInlining. (Mix, not "Mix alone": with few
            // samples on a busy machine the 99% rule can take in a start-up edge to a constructor too.)
            CollectionAssert.Contains(baseline.Inlined, "Program.Mix", baseline.Log);
            StringAssert.Matches(baseline.Log, new System.Text.RegularExpressions.Regex($"AggressiveInlining on {baseline.Inlined.Count} hot callees"), baseline.Log);
            Assert.AreEqual(1, baseline.Histograms.Count, baseline.Log);
            StringAssert.StartsWith(baseline.Histograms[0], "SampledTarget.Program::Sum(SampledTarget.Shape[]) IL_", baseline.Log);
            StringAssert.Contains(baseline.Histograms[0], "SampledTarget.Square", baseline.Log);
            StringAssert.Contains(baseline.Log, "1 receiver-type histograms from ", baseline.Log);
            foreach (var dialect in DialectWriter.Foreign)
            {
                var d = Decisions(s, project, dialect, recorded);
                // (OpenTelemetry spells only nested types differently from a plain dotted name.)
                StringAssert.Contains(d.Log, dialect == FrameDialect.OpenTelemetry ? "PGO: frame names: " : $"PGO: frame names: {FrameNameReport.DialectName(dialect)}; ", d.Log);
                CollectionAssert.AreEqual(baseline.Inlined, d.Inlined, $"{dialect}: inlining decisions differ\n{d.Log}");
                CollectionAssert.AreEqual(baseline.Histograms, d.Histograms, $"{dialect}: receiver types differ\n{d.Log}");
            }
        }

        /// <summary>The methods of an assembly that carry AggressiveInlining (none for a missing file).</summary>
        private static List<string> AggressivelyInlined(string assembly)
        {
            if (!File.Exists(assembly))
            {
                return new List<string>();
            }

            using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(assembly));
            var md = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
            return md.MethodDefinitions.Select(md.GetMethodDefinition)
                .Where(m => (m.ImplAttributes & System.Reflection.MethodImplAttributes.AggressiveInlining) != 0)
                .Select(m => md.GetString(md.GetTypeDefinition(m.GetDeclaringType()).Name) + "." + md.GetString(m.Name))
                .OrderBy(n => n, System.StringComparer.Ordinal).ToList();
        }

        private sealed record Outcome(List<string> Inlined, List<string> Histograms, string Log);

        private static Outcome Decisions(Scenario s, string project, FrameDialect dialect, ProfileData recorded)
        {
            string profile = s.Path_($"profiles/{dialect}.pprof");
            Directory.CreateDirectory(Path.GetDirectoryName(profile)!);
            File.WriteAllBytes(profile, ProfileEncoder.Encode(DialectWriter.Rewrite(recorded, dialect)));

            var result = s.Build(project, "-c", "Release", "-p:Pgo=" + profile);
            Scenario.AssertSucceeded(result);
            string pgo = s.Path_("SampledTarget/obj/Release/net10.0/pgo");
            var inlined = AggressivelyInlined(s.Path_("SampledTarget/bin/Release/net10.0/SampledTarget.dll"))
                .Except(AggressivelyInlined(Path.Combine(pgo, "original", "SampledTarget.dll") is var kept && File.Exists(kept) ? kept : "")).ToList();
            var histograms = Directory.GetFiles(pgo, "*.mibc")
                .SelectMany(MibcReader.Read)
                .SelectMany(e => e.Records.Where(r => r.Types.Count > 0).Select(r =>
                    $"{e.Method} IL_{r.IlOffset:x4} " + string.Join(",", r.Types.GroupBy(t => t).OrderBy(g => g.Key, System.StringComparer.Ordinal).Select(g => g.Key + "x" + g.Count()))))
                .OrderBy(x => x, System.StringComparer.Ordinal).ToList();
            string log = string.Join("\n", result.Output.Split('\n').Where(l => l.Contains("PGO")));
            return new Outcome(inlined, histograms, log);
        }
    }
}
