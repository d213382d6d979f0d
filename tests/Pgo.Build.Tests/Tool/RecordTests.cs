using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.CallGraph;
using Pgo.Build.Profiles;
using Pgo.Build.RuntimePgo;

namespace Pgo.Build.Tests.Tool
{
    /// <summary>'pgo record' on a real program: what Go's toolchain and our builds need is in the profile.</summary>
    [TestClass]
    public sealed class RecordTests
    {
        private static RecordedFixture.Recording Recording()
        {
            var r = RecordedFixture.Get();
            Assert.AreEqual(0, r.ExitCode, r.Stderr);
            return r;
        }

        [TestMethod]
        public void Profile_has_cpu_sample_types_period_and_duration()
        {
            var p = Recording().Profile;
            CollectionAssert.AreEqual(
                new[] { "samples/count", "cpu/nanoseconds", "calls/count", "blocks/count" },
                p.SampleTypes.Select(t => t.ToString()).ToArray());
            Assert.AreEqual(new SampleType("cpu", "nanoseconds"), p.PeriodType);
            Assert.AreEqual(1_000_000, p.Period);
            Assert.IsTrue(p.DurationNanos > 1_000_000_000, "duration " + p.DurationNanos);
            Assert.AreEqual("cpu", p.DefaultSampleType);
            long samples = p.Samples.Sum(s => s.Values[0]);
            long cpu = p.Samples.Sum(s => s.Values[1]);
            // How many samples a 1.5 s run gets depends on the machine's load (the sampler and the program share it):
            // about 1,500 on an idle machine, a few hundred on a busy one. 1% of the sampler's rate is the margin.
            Assert.IsTrue(samples >= 15, "only " + samples + " CPU samples in a 1.5 s busy run");
            Assert.AreEqual(samples * p.Period, cpu);
        }

        [TestMethod]
        public void Functions_carry_names_system_names_files_and_pdb_start_lines()
        {
            var r = Recording();
            var sum = Function(r.Profile, "RecordTarget.Program.Sum");
            Assert.AreEqual("RecordTarget!RecordTarget.Program::Sum(RecordTarget.Shape[])", sum.SystemName);
            Assert.AreEqual(r.SourceFile, sum.FileName);
            Assert.AreEqual(r.Line("sum-start"), sum.StartLine);
            Assert.AreEqual(PdbStartLine(r.Assembly, "Sum"), sum.StartLine);
            var run = Function(r.Profile, "RecordTarget.Program.Run");
            Assert.AreEqual(PdbStartLine(r.Assembly, "Run"), run.StartLine);
        }

        /// <summary>
        /// Every sample taken while Main's loop runs has Main calling Run at the call's line. Which frame a sample ends
        /// in (Run, Sum or an Area override) depends on the code the JIT had produced by then, so on the machine's load:
        /// only what holds for every sample is asserted, with Go's graph over all frames (an edge per caller/callee pair
        /// on the stack, not just the last two frames).
        /// </summary>
        [TestMethod]
        public void Hot_method_is_sampled_with_its_callers_call_line()
        {
            // (EventPipe's sampler stops threads at GC safe points: a sample of the loop ends where the JIT's code of the
            // moment polls, in Sum, an override or Run.)
            var r = Recording();
            int callLine = r.Line("call-run");
            long atCallLine = 0;
            foreach (var s in r.Profile.Samples.Where(s => s.Values[0] > 0))
            {
                for (int i = 0; i + 1 < s.Stack.Count; i++)
                {
                    var callee = s.Stack[i].Lines[0];
                    var caller = s.Stack[i + 1].Lines[0];
                    if (callee.Function.Name == "RecordTarget.Program.Run" && caller.Function.Name == "RecordTarget.Program.Main")
                    {
                        Assert.AreEqual(callLine, caller.Line, "Main's frame is a return address and must map to the call's line");
                        atCallLine += s.Values[0];
                        break;
                    }
                }
            }

            Assert.IsTrue(atCallLine > 0, "no sample of Run called from Main in a 1.5 s loop");

            // Go's graph sees the same edge at offset call line - Main's start line.
            var graph = CallGraphBuilder.Build(r.Profile, 0, default, allFrames: true);
            var edge = graph.Edges.Single(e => e.Caller == "RecordTarget.Program.Main" && e.Callee == "RecordTarget.Program.Run");
            Assert.AreEqual(callLine - PdbStartLine(r.Assembly, "Main"), edge.Offset);
            Assert.AreEqual(atCallLine, edge.Weight, "every sample under Main's call of Run");
            // Structure, not sampling luck: Run is on the stack of every sample that has Sum on it.
            long Cum(string name) => graph.Functions.Where(f => f.Name == name).Sum(f => f.Cum);
            Assert.IsTrue(Cum("RecordTarget.Program.Run") >= Cum("RecordTarget.Program.Sum"));
        }

        [TestMethod]
        public void Runtime_pgo_data_holds_the_receiver_type_histogram_of_the_virtual_call()
        {
            var r = Recording();
            int ilOffset = CallvirtOffset(r.Assembly, "Sum");
            var entries = r.Profile.Samples
                .Where(s => s.Values[2] > 0 && Num(s, EmbeddedPgo.KindLabel) == InstrumentationKind.HandleHistogramTypes)
                .Where(s => s.Stack.Count == 2 && s.Stack[1].Lines[0].Function.Name == "RecordTarget.Program.Sum")
                .ToList();
            Assert.IsTrue(entries.Count >= 1, "no type histogram for Sum");
            foreach (var e in entries)
            {
                Assert.AreEqual(ilOffset, Num(e, EmbeddedPgo.IlOffsetLabel), "the histogram sits at the callvirt");
                Assert.AreEqual(r.Line("virtual-call"), e.Stack[1].Lines[0].Line);
                Assert.AreEqual(0, e.Values[0], "embedded data must be invisible to Go (0 samples)");
                Assert.AreEqual(0, e.Values[1]);
            }

            long square = entries.Where(e => Str(e, EmbeddedPgo.TypeLabel).StartsWith("RecordTarget.Square, RecordTarget,", StringComparison.Ordinal)).Sum(e => e.Values[2]);
            long circle = entries.Where(e => Str(e, EmbeddedPgo.TypeLabel).StartsWith("RecordTarget.Circle, RecordTarget,", StringComparison.Ordinal)).Sum(e => e.Values[2]);
            Assert.IsTrue(square > circle, $"Square {square} should dominate Circle {circle} (9:1 in the program)");
            Assert.AreEqual("RecordTarget.Square", entries.OrderByDescending(e => e.Values[2]).First().Stack[0].Lines[0].Function.Name);

            var method = entries[0];
            using var pe = new PEReader(File.OpenRead(r.Assembly));
            Assert.AreEqual(IlBody(pe, "Sum").Length, Num(method, EmbeddedPgo.IlSizeLabel));
            Assert.AreNotEqual(0, Num(method, EmbeddedPgo.IlHashLabel));
        }

        [TestMethod]
        public void Runtime_pgo_data_holds_block_or_edge_counts_for_the_hot_loop()
        {
            var r = Recording();
            long counts = r.Profile.Samples
                .Where(s => s.Stack.Count == 1 && s.Stack[0].Lines[0].Function.Name == "RecordTarget.Program.Sum")
                .Where(s => Num(s, EmbeddedPgo.KindLabel) is InstrumentationKind.EdgeIntCount or InstrumentationKind.BasicBlockIntCount)
                .Sum(s => s.Values[3]);
            Assert.IsTrue(counts > 1000, "Sum's loop ran millions of times but its counts sum to " + counts);
        }

        [TestMethod]
        public void Profile_is_gzip_and_stderr_reports_progress()
        {
            var r = Recording();
            var bytes = File.ReadAllBytes(r.ProfilePath);
            Assert.AreEqual(ProfileCompression.Gzip, ProfileDecoder.Sniff(bytes));
            StringAssert.Contains(r.Stderr, "pgo: recording dotnet");
            StringAssert.Contains(r.Stderr, "pgo: wrote " + r.ProfilePath);
        }

        [TestMethod]
        public void Duration_stops_the_recording_and_the_program_with_a_complete_trace()
        {
            var r = Recording();
            string output = Path.Combine(r.Root, "duration.pgo");
            var stderr = new StringWriter();

            // The program would run 60 s: the session over its diagnostics port stops after 3 s, then it gets SIGTERM.
            var watch = System.Diagnostics.Stopwatch.StartNew();
            int exit = Pgo.Tool.Program.Run(new[] { "record", "--duration", "3s", "-o", output, "--", "dotnet", r.Assembly, "60000" }, new StringWriter(), stderr);

            Assert.AreEqual(0, exit, stderr.ToString());
            Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(45), "the program was not stopped at the end of the duration");
            StringAssert.Contains(stderr.ToString(), "duration 3s reached");
            StringAssert.Contains(stderr.ToString(), "the runtime wrote no PGO data");
            var profile = ProfileDecoder.Decode(File.ReadAllBytes(output));
            Assert.IsTrue(profile.Samples.Sum(x => x.Values[0]) >= 30, stderr.ToString()); // 1% of the sampler's rate over 3 s (load-dependent)
            // The trace is complete: the program's methods on the samples' stacks are symbolized with their lines. Which
            // of Main, Run and Sum the samples reach depends on how far a loaded machine got the program in 3 s.
            var methods = new[] { "Main", "Run", "Sum" }
                .Where(m => profile.Samples.Any(x => x.Stack.Any(l => l.Lines[0].Function.Name == "RecordTarget.Program." + m)))
                .ToList();
            Assert.IsTrue(methods.Count > 0, "no sample of the program's own methods in 3 s\n" + stderr);
            foreach (string m in methods)
            {
                Assert.AreEqual(PdbStartLine(r.Assembly, m), Function(profile, "RecordTarget.Program." + m).StartLine, m);
            }
        }

        [TestMethod]
        public void Program_ending_within_the_duration_keeps_its_runtime_pgo_data()
        {
            var r = Recording();
            string output = Path.Combine(r.Root, "short.pgo");
            var stderr = new StringWriter();

            int exit = Pgo.Tool.Program.Run(new[] { "record", "--duration", "60s", "-o", output, "--", "dotnet", r.Assembly, "800" }, new StringWriter(), stderr);

            Assert.AreEqual(0, exit, stderr.ToString());
            Assert.IsFalse(stderr.ToString().Contains("duration 60s reached"), stderr.ToString());
            var profile = ProfileDecoder.Decode(File.ReadAllBytes(output));
            Assert.IsTrue(profile.Samples.Any(x => x.Values[2] > 0 && x.Stack.Any(l => l.Lines[0].Function.Name == "RecordTarget.Program.Sum")),
                "the program exited by itself, so the runtime's PGO data must be there\n" + stderr);
        }

        [TestMethod]
        public void Attaching_to_a_running_process_records_its_methods_with_lines()
        {
            var r = Recording();
            using var process = StartFixture(r, 4000);
            try
            {
                string output = Path.Combine(r.Root, "attached.pgo");
                var (exit, stderr) = Attach(process, output, "--duration", "1s", "--sample-share", "100%");

                Assert.AreEqual(0, exit, stderr.ToString());
                StringAssert.Contains(stderr.ToString(), "holds CPU samples only");
                var profile = ProfileDecoder.Decode(File.ReadAllBytes(output));
                var run = Function(profile, "RecordTarget.Program.Run");
                Assert.AreEqual(PdbStartLine(r.Assembly, "Run"), run.StartLine, "methods jitted before the session must still get their lines");
                Assert.IsTrue(profile.Samples.Sum(x => x.Values[0]) >= 10, "1% of the sampler's rate over 1 s (load-dependent)");
            }
            finally
            {
                process.Kill();
                process.WaitForExit();
            }
        }

        [TestMethod]
        public void Attached_recording_samples_in_bursts_by_default_and_the_method_session_names_them()
        {
            var r = Recording();
            using var process = StartFixture(r, 6000);
            try
            {
                string output = Path.Combine(r.Root, "bursts.pgo");
                var (exit, stderr) = Attach(process, output, "--duration", "3s", "--keep-temp");

                Assert.AreEqual(0, exit, stderr.ToString());
                StringAssert.Contains(stderr.ToString(), "sampling 100 ms of every second");
                var profile = ProfileDecoder.Decode(File.ReadAllBytes(output));
                CollectionAssert.Contains(profile.Comments.ToList(), "sampled 100 ms of every second (10%)");
                // Three bursts of 100 ms: the samples come from the sampler-only sessions, the names and lines from the
                // method session's rundown (Run was jitted before either started).
                string kept = System.Text.RegularExpressions.Regex.Match(stderr.ToString(), "pgo: kept (.*)").Groups[1].Value.Trim();
                CollectionAssert.AreEquivalent(new[] { "samples-0.nettrace", "samples-1.nettrace", "samples-2.nettrace", "trace.nettrace" },
                    Directory.GetFiles(kept).Select(Path.GetFileName).ToList(), stderr.ToString());
                Directory.Delete(kept, recursive: true);
                long samples = profile.Samples.Sum(x => x.Values[0]);
                Assert.IsTrue(samples > 0 && samples < 1000, samples.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Assert.AreEqual(PdbStartLine(r.Assembly, "Run"), Function(profile, "RecordTarget.Program.Run").StartLine);
            }
            finally
            {
                process.Kill();
                process.WaitForExit();
            }
        }

        [TestMethod]
        public void Sample_share_is_a_percentage_for_attached_recordings_only()
        {
            Assert.AreEqual(0.25, Pgo.Tool.Commands.RecordCommand.ParseShare("25%"));
            Assert.AreEqual(1.0, Pgo.Tool.Commands.RecordCommand.ParseShare("100"));
            foreach (var bad in new[] { "0%", "0.5%", "101%", "ten", "" })
            {
                var e = Assert.ThrowsExactly<Pgo.Tool.Cli.ToolException>(() => Pgo.Tool.Commands.RecordCommand.ParseShare(bad));
                Assert.AreEqual(Pgo.Tool.Cli.ExitCodes.Usage, e.ExitCode);
            }

            var stderr = new StringWriter();
            Assert.AreEqual(2, Pgo.Tool.Program.Run(new[] { "record", "--sample-share", "50%", "--", "dotnet", "x.dll" }, new StringWriter(), stderr));
            StringAssert.Contains(stderr.ToString(), "--sample-share applies to an attached recording (--pid) only");
        }

        /// <summary>Runs the fixture for <paramref name="milliseconds"/>, returned 1 s later: past its startup, Run is already jitted and only a rundown names it.</summary>
        private static System.Diagnostics.Process StartFixture(RecordedFixture.Recording r, int milliseconds)
        {
            var start = new System.Diagnostics.ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true };
            start.ArgumentList.Add(r.Assembly);
            start.ArgumentList.Add(milliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var process = System.Diagnostics.Process.Start(start)!;
            System.Threading.Thread.Sleep(1000);
            return process;
        }

        /// <summary>'pgo record --pid' on <paramref name="process"/>, in this process: exit code and stderr.</summary>
        private static (int Exit, StringWriter Stderr) Attach(System.Diagnostics.Process process, string output, params string[] options)
        {
            var stderr = new StringWriter();
            var args = new List<string> { "record", "--pid", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", output };
            args.AddRange(options);
            return (Pgo.Tool.Program.Run(args, new StringWriter(), stderr), stderr);
        }

        private static ProfileFunction Function(ProfileData p, string name)
        {
            var found = p.Samples.SelectMany(s => s.Stack).SelectMany(l => l.Lines).Select(l => l.Function).Where(f => f.Name == name).Distinct().ToList();
            Assert.AreEqual(1, found.Count, "functions named " + name);
            return found[0];
        }

        private static long Num(ProfileSample s, string key) => s.Labels.Where(l => l.Key == key).Select(l => l.Num).DefaultIfEmpty(-1).First();

        private static string Str(ProfileSample s, string key) => s.Labels.Where(l => l.Key == key).Select(l => l.Str).DefaultIfEmpty("").First();

        /// <summary>First non-hidden sequence point of a method, read with System.Reflection.Metadata directly.</summary>
        private static int PdbStartLine(string assembly, string method)
        {
            using var pe = new PEReader(File.OpenRead(assembly));
            var md = pe.GetMetadataReader();
            var handle = md.MethodDefinitions.Single(h => md.GetString(md.GetMethodDefinition(h).Name) == method);
            using var pdb = MetadataReaderProvider.FromPortablePdbStream(File.OpenRead(Path.ChangeExtension(assembly, ".pdb")));
            var points = pdb.GetMetadataReader().GetMethodDebugInformation(handle).GetSequencePoints();
            return points.First(p => !p.IsHidden).StartLine;
        }

        private static byte[] IlBody(PEReader pe, string method)
        {
            var md = pe.GetMetadataReader();
            var def = md.GetMethodDefinition(md.MethodDefinitions.Single(h => md.GetString(md.GetMethodDefinition(h).Name) == method));
            return pe.GetMethodBody(def.RelativeVirtualAddress).GetILBytes()!;
        }

        /// <summary>IL offset of the only callvirt (0x6F) in a method whose body has no other 0x6F byte before it.</summary>
        internal static int CallvirtOffset(string assembly, string method)
        {
            using var pe = new PEReader(File.OpenRead(assembly));
            var il = IlBody(pe, method);
            var offsets = Pgo.Build.Metadata.IlReader.Read(il).Where(i => i.OpCode.Value == 0x6F).Select(i => i.Offset).ToList();
            Assert.AreEqual(1, offsets.Count);
            return offsets[0];
        }
    }
}
