using System;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Caching;
using Pgo.Build.Engine;
using Pgo.Build.Hints;
using Pgo.Build.Matching;
using Pgo.Build.Mibc;
using Pgo.Build.Profiles;
using Pgo.Build.RuntimePgo;
using Pgo.Build.Tests.Tool;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Consumers
{
    /// <summary>The .mibc consumer on a real recording of a real program, and on hand-made hint files.</summary>
    [TestClass]
    public sealed class MibcStageTests
    {
        [TestMethod]
        public void Recorded_receiver_histogram_of_the_virtual_call_reaches_the_mibc_at_the_callvirt()
        {
            var r = RecordedFixture.Get();
            using var dir = new TempDir();
            string hints = WriteHints(r.ProfilePath, dir);

            var outcome = MibcStage.Run(r.Assembly, hints);

            Assert.IsNotNull(outcome.MibcPath, outcome.Summary);
            StringAssert.StartsWith(Path.GetFileName(outcome.MibcPath), "RecordTarget.");
            Assert.AreEqual(0, outcome.Match.Changed);
            var entries = MibcReader.Read(outcome.MibcPath!);
            var sum = entries.Single(e => e.Method == "RecordTarget.Program::Sum(RecordTarget.Shape[])");
            Assert.AreEqual("RecordTarget;", sum.Group);
            int callvirt = RecordTests.CallvirtOffset(r.Assembly, "Sum");
            int at = sum.Records.ToList().FindIndex(x => x.Kind == InstrumentationKind.HandleHistogramTypes);
            Assert.IsTrue(at > 0, "no type histogram for Sum");
            var count = sum.Records[at - 1];
            var table = sum.Records[at];
            Assert.AreEqual(InstrumentationKind.HandleHistogramIntCount, count.Kind, "the count record must come right before the table");
            Assert.AreEqual(callvirt, count.IlOffset);
            Assert.AreEqual(callvirt, table.IlOffset);
            Assert.AreEqual(unchecked((int)0x80000000), table.Other, "a class (virtual) call");
            Assert.AreEqual(table.Count, table.Types.Count);
            int squares = table.Types.Count(t => t == "RecordTarget.Square");
            int circles = table.Types.Count(t => t == "RecordTarget.Circle");
            Assert.IsTrue(table.Types.All(t => t.StartsWith("RecordTarget.", StringComparison.Ordinal)), string.Join(",", table.Types));
            Assert.IsTrue(squares > circles, $"{squares} squares vs {circles} circles");
        }

        /// <summary>
        /// A profile without runtime data (another producer's, in its dialect): hand-made hot edges from Sum to the
        /// overrides become a receiver-type histogram at Sum's one callvirt; an edge no call site of its caller can
        /// take, or a caller with runtime data, adds nothing.
        /// </summary>
        [TestMethod]
        public void Sampled_edges_to_overrides_become_a_histogram_at_the_only_fitting_call_site()
        {
            var r = RecordedFixture.Get();
            using var dir = new TempDir();
            var edges = new[]
            {
                new CallGraph.CallEdge("RecordTarget!Program.Sum", "RecordTarget!Square.Area", null, 90),
                new CallGraph.CallEdge("RecordTarget!Program.Sum", "RecordTarget!Circle.Area", null, 10),
                new CallGraph.CallEdge("RecordTarget!Program.Run", "RecordTarget!Square.Area", null, 50), // Run calls Sum, not Area
                new CallGraph.CallEdge("RecordTarget!Program.Main", "RecordTarget!Program.Run", null, 500), // not an override
            };
            File.WriteAllBytes(Path.Combine(dir.Path, HintFileNames.InlineHints),
                InlineHintsFile.Write(edges, edges.Sum(e => e.Weight), false, new HintProvenance("hand-made", "samples/count", 99)));

            var outcome = MibcStage.Run(r.Assembly, dir.Path);

            Assert.IsNotNull(outcome.Sampled);
            Assert.AreEqual("1 receiver-type histograms from 2 sampled call edges to overrides (0 edges skipped: more than one call site could take them)", outcome.Sampled.ToString());
            StringAssert.Contains(outcome.Summary, outcome.Sampled.ToString());
            var entries = MibcReader.Read(outcome.MibcPath!);
            var sum = entries.Single(e => e.Records.Count > 0);
            Assert.AreEqual("RecordTarget.Program::Sum(RecordTarget.Shape[])", sum.Method);
            // Main -> Run is no override edge, but a hot call edge: Main's WeightedCallData.
            var main = entries.Single(e => e.Method == "RecordTarget.Program::Main(string[])");
            Assert.AreEqual(0, main.Records.Count);
            Assert.AreEqual(500, main.Calls.Single(c => c.Callee.StartsWith("RecordTarget.Program::Run(", StringComparison.Ordinal)).Weight);
            CollectionAssert.AreEquivalent(new[] { ("RecordTarget.Square::Area()", 90L), ("RecordTarget.Circle::Area()", 10L) }, sum.Calls.ToList());
            int callvirt = RecordTests.CallvirtOffset(r.Assembly, "Sum");
            var table = sum.Records.Single(x => x.Kind == InstrumentationKind.HandleHistogramTypes);
            Assert.AreEqual(callvirt, table.IlOffset);
            Assert.AreEqual(unchecked((int)0x80000000), table.Other);
            Assert.AreEqual(29, table.Types.Count(t => t == "RecordTarget.Square")); // 90% and 10% of 32 slots, rounded
            Assert.AreEqual(3, table.Types.Count(t => t == "RecordTarget.Circle"));

            using var assembly = Metadata.AssemblySymbols.TryOpen(r.Assembly)!;
            var sumName = assembly.Methods().Single(m => m.MethodName == "Sum").SystemName;
            var withRuntimeData = SampledReceiverTypes.Derive(assembly, edges, new System.Collections.Generic.HashSet<string> { sumName });
            Assert.AreEqual(0, withRuntimeData.Records.Count, "the runtime's exact data wins");
        }

        /// <summary>
        /// Methods of generic types as the runtime records them (shared code over System.__Canon, value types
        /// exactly): a TypeSpec parent with System.__Canon scoped to the AssemblyRef System.Private.Canon, which the
        /// compilers map to their canonical type; an argument the writer cannot express leaves the method out.
        /// </summary>
        [TestMethod]
        public void Generic_type_instantiations_are_written_with_canon_and_exact_value_types()
        {
            using var corelib = Metadata.AssemblySymbols.TryOpen(typeof(object).Assembly.Location)!;
            var findValue = corelib.Methods().Single(m => m.SystemName == "System.Private.CoreLib!System.Collections.Generic.Dictionary`2::FindValue(!0)");
            MatchedMethod Instantiation(params string[] arguments) => new MatchedMethod(findValue, new[]
            {
                new RuntimeRecord(findValue.SystemName, findValue.Name, findValue.IlSize, findValue.IlHash, 0, "x", 0, 0,
                    InstrumentationKind.BasicBlockIntCount, 0, 0, 0, "", 7),
            }) { TypeArguments = arguments };
            var methods = new[]
            {
                Instantiation("System.__Canon", "System.Int64"),
                Instantiation("System.Collections.Generic.KeyValuePair`2[System.__Canon,System.Int32]", "System.__Canon"),
                Instantiation("System.String", "System.Int32"), // a reference type is never an argument of shared code: not written
            };

            var written = MibcWriter.Write(corelib, methods, "generic.mibc");

            Assert.AreEqual(2, written.Methods);
            Assert.AreEqual(1, written.SkippedMethods);
            using var dir = new TempDir();
            string path = dir.Write("generic.mibc", written.Bytes);
            var entries = MibcReader.Read(path).Select(e => e.Method).OrderBy(m => m, StringComparer.Ordinal).ToList();
            CollectionAssert.AreEqual(new[]
            {
                "System.Collections.Generic.Dictionary`2<System.Collections.Generic.KeyValuePair`2<System.__Canon,int32>,System.__Canon>::FindValue(!0)",
                "System.Collections.Generic.Dictionary`2<System.__Canon,int64>::FindValue(!0)",
            }, entries);
            using var pe = new System.Reflection.PortableExecutable.PEReader(new MemoryStream(written.Bytes));
            var md = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
            var canon = md.TypeReferences.Select(md.GetTypeReference).Single(t => md.GetString(t.Name) == "__Canon");
            Assert.AreEqual("System", md.GetString(canon.Namespace));
            var scope = md.GetAssemblyReference((System.Reflection.Metadata.AssemblyReferenceHandle)canon.ResolutionScope);
            Assert.AreEqual("System.Private.Canon", md.GetString(scope.Name));
        }

        [TestMethod]
        [DataRow("System.Collections.Generic.Dictionary`2[System.__Canon,System.Int64].FindValue", "System.__Canon|System.Int64")]
        [DataRow("System.Linq.Enumerable+EnumerableSorter`2[System.Collections.Generic.KeyValuePair`2[System.__Canon,System.Int64],System.__Canon].ComputeKeys", "System.Collections.Generic.KeyValuePair`2[System.__Canon,System.Int64]|System.__Canon")]
        [DataRow("System.Span`1[System.Char]..ctor", "System.Char")]
        [DataRow("System.Collections.Generic.Dictionary`2+KeyCollection[System.UInt64,System.__Canon]..cctor", "System.UInt64|System.__Canon")]
        [DataRow("System.Linq.Enumerable.Select[System.__Canon]", null)]
        [DataRow("App.Program.Main", null)]
        public void Runtime_instantiation_names_give_their_type_arguments(string name, string? expected)
        {
            var arguments = RuntimeTypeName.TypeArguments(name);
            Assert.AreEqual(expected, arguments == null ? null : string.Join("|", arguments));
        }

        [TestMethod]
        public void Same_hints_give_the_same_mibc_bytes_and_name()
        {
            var r = RecordedFixture.Get();
            using var a = new TempDir();
            using var b = new TempDir();
            var first = MibcStage.Run(r.Assembly, WriteHints(r.ProfilePath, a));
            var second = MibcStage.Run(r.Assembly, WriteHints(r.ProfilePath, b));

            Assert.AreEqual(Path.GetFileName(first.MibcPath), Path.GetFileName(second.MibcPath));
            CollectionAssert.AreEqual(File.ReadAllBytes(first.MibcPath!), File.ReadAllBytes(second.MibcPath!));
        }

        [TestMethod]
        public void Sampled_methods_carry_their_cpu_weight_and_hot_call_edges()
        {
            var r = RecordedFixture.Get();
            using var dir = new TempDir();
            string hints = WriteHints(r.ProfilePath, dir);
            var (functions, _) = FunctionsFile.Read(Path.Combine(hints, HintFileNames.Functions));
            var edges = InlineHintsFile.Read(Path.Combine(hints, HintFileNames.InlineHints));
            // Which of Main, Run, Sum and the overrides the loop's samples end in depends on the code the JIT had made
            // by then (so on the machine's load); the hottest sampled method and hot call edge of the program are taken
            // from the recording, whichever they are.
            static bool Own(string name) => name.StartsWith("RecordTarget.", StringComparison.Ordinal);
            var hottest = functions.Where(f => Own(f.Name) && f.Flat > 0).OrderByDescending(f => f.Flat).ThenBy(f => f.Name, StringComparer.Ordinal).First();
            var edge = edges.Where(e => Own(e.Caller) && Own(e.Callee)).OrderByDescending(e => e.Weight).First();
            long edgeWeight = edges.Where(e => e.Caller == edge.Caller && e.Callee == edge.Callee).Sum(e => e.Weight);

            var outcome = MibcStage.Run(r.Assembly, hints);

            var entries = MibcReader.Read(outcome.MibcPath!);
            static string Entry(string frame) => frame.Substring(0, frame.LastIndexOf('.')) + "::" + frame.Substring(frame.LastIndexOf('.') + 1) + "(";
            var sampled = entries.Single(e => e.Method.StartsWith(Entry(hottest.Name), StringComparison.Ordinal));
            Assert.AreEqual((double)hottest.Flat, sampled.ExclusiveWeight, hottest.Name);
            var caller = entries.Single(e => e.Method.StartsWith(Entry(edge.Caller), StringComparison.Ordinal));
            Assert.AreEqual(edgeWeight, caller.Calls.Single(c => c.Callee.StartsWith(Entry(edge.Callee), StringComparison.Ordinal)).Weight, edge.ToString());
            var sum = entries.Single(e => e.Method == "RecordTarget.Program::Sum(RecordTarget.Shape[])");
            Assert.IsTrue(sum.Records.Any(x => x.Kind == InstrumentationKind.HandleHistogramTypes), "runtime data is still written");
            Assert.AreEqual(entries.Count(e => e.ExclusiveWeight.HasValue), outcome.Written!.Weighted);
            Assert.AreEqual(entries.Sum(e => e.Calls.Count), outcome.Written.CallEdges);
            StringAssert.Contains(outcome.Summary, $"CPU weights of {outcome.Written.Weighted} methods, {outcome.Written.CallEdges} hot call edges");
        }

        [TestMethod]
        public void A_malformed_hint_file_is_reported_by_its_own_path()
        {
            var r = RecordedFixture.Get();
            using var dir = new TempDir();
            string hints = WriteHints(r.ProfilePath, dir);
            string blocks = Path.Combine(hints, HintFileNames.BlockCounts);
            File.AppendAllText(blocks, "not\ta\trow\n");

            var e = Assert.ThrowsExactly<PgoException>(() => MibcStage.Run(r.Assembly, hints));

            Assert.AreEqual("PGO002", e.Code);
            Assert.AreEqual(blocks, e.File);
            StringAssert.StartsWith(e.Message, "unreadable hint file: ");
        }

        [TestMethod]
        public void Unchanged_inputs_replay_the_last_run_and_any_change_runs_the_stage_again()
        {
            var r = RecordedFixture.Get();
            using var dir = new TempDir();
            string hints = WriteHints(r.ProfilePath, dir);

            var first = MibcStage.RunIncremental(r.Assembly, hints, isExecutable: true);
            var replay = MibcStage.RunIncremental(r.Assembly, hints, isExecutable: true);

            Assert.IsNotNull(first.MibcPath);
            Assert.AreEqual(first.MibcPath, replay.MibcPath);
            Assert.AreEqual(first.Summary + " (up to date)", replay.Summary);
            StringAssert.StartsWith(first.Summary, "PGO: RecordTarget: .mibc for ");

            // A hand-edited hint file (documented as an input) is a change: every runtime record of Sum removed.
            string devirt = Path.Combine(hints, HintFileNames.DevirtHints);
            var records = RuntimeRecordFiles.ReadDevirtHints(devirt).Where(x => x.MethodName != "RecordTarget.Program.Sum").ToList();
            File.WriteAllBytes(devirt, RuntimeRecordFiles.WriteDevirtHints(records, new HintProvenance("hand-made", "samples/count", 99)));
            File.SetLastWriteTimeUtc(devirt, DateTime.UtcNow.AddSeconds(5));
            var edited = MibcStage.RunIncremental(r.Assembly, hints, isExecutable: true);
            Assert.IsFalse(edited.Summary.EndsWith("(up to date)", StringComparison.Ordinal), edited.Summary);
            Assert.AreNotEqual(first.MibcPath, edited.MibcPath);
            Assert.IsFalse(File.Exists(first.MibcPath), "the old .mibc is removed");

            // The .mibc deleted behind the build's back: written again, although no input changed.
            File.Delete(edited.MibcPath!);
            var rewritten = MibcStage.RunIncremental(r.Assembly, hints, isExecutable: true);
            Assert.AreEqual(edited.MibcPath, rewritten.MibcPath);
            Assert.IsTrue(File.Exists(rewritten.MibcPath));
            Assert.IsFalse(rewritten.Summary.EndsWith("(up to date)", StringComparison.Ordinal));

            // Another output type is another input (PGO104 depends on it).
            Assert.IsFalse(MibcStage.RunIncremental(r.Assembly, hints, isExecutable: false).Summary.EndsWith("(up to date)", StringComparison.Ordinal));
        }

        [TestMethod]
        public void Hand_made_hint_file_feeds_the_writer_and_an_edited_method_loses_only_its_own_data()
        {
            var r = RecordedFixture.Get();
            using var dir = new TempDir();
            string hints = WriteHints(r.ProfilePath, dir);
            string devirt = Path.Combine(hints, HintFileNames.DevirtHints);
            var records = RuntimeRecordFiles.ReadDevirtHints(devirt);
            var sum = records.Where(x => x.MethodName == "RecordTarget.Program.Sum").ToList();
            Assert.IsTrue(sum.Count > 0);

            // The user (or a test) edits the hint files: Sum's recorded IL fingerprint no longer matches this build, and
            // its call sites were on lines where this build's Sum has no virtual call (so none can be kept by line).
            static RuntimeRecord Edit(RuntimeRecord x) => x.MethodName == "RecordTarget.Program.Sum" ? x with { IlHash = x.IlHash ^ 1, Line = x.Line + 50 } : x;
            var provenance = new HintProvenance("hand-made", "samples/count", 99);
            string blocks = Path.Combine(hints, HintFileNames.BlockCounts);
            File.WriteAllBytes(devirt, RuntimeRecordFiles.WriteDevirtHints(records.Select(Edit), provenance));
            File.WriteAllBytes(blocks, RuntimeRecordFiles.WriteBlockCounts(RuntimeRecordFiles.ReadBlockCounts(blocks).Select(Edit), provenance));
            var outcome = MibcStage.Run(r.Assembly, hints);

            Assert.AreEqual(1, outcome.Match.Changed, outcome.Summary);
            Assert.IsTrue(outcome.Match.Matched > 0, outcome.Summary);
            // Entries with runtime data (CPU-sample weights alone do not depend on the IL).
            var methods = MibcReader.Read(outcome.MibcPath!).Where(e => e.Records.Count > 0).Select(e => e.Method).ToList();
            Assert.IsFalse(methods.Any(m => m.Contains("::Sum(", StringComparison.Ordinal)), string.Join("\n", methods));
            Assert.IsTrue(methods.Any(m => m.Contains("::Run(", StringComparison.Ordinal) || m.Contains("::Main(", StringComparison.Ordinal)), string.Join("\n", methods));
        }

        [TestMethod]
        public void No_runtime_data_for_this_assembly_writes_no_mibc_and_removes_a_stale_one()
        {
            var r = RecordedFixture.Get();
            using var dir = new TempDir();
            string hints = WriteHints(TestData.InlineHot, dir); // a Go profile: no runtime records
            File.WriteAllBytes(Path.Combine(hints, "RecordTarget.0000000000000000.mibc"), new byte[] { 1 });

            var outcome = MibcStage.Run(r.Assembly, hints);

            Assert.IsNull(outcome.MibcPath);
            Assert.AreEqual(0, Directory.GetFiles(hints, "*.mibc").Length);
            StringAssert.Contains(outcome.Summary, "no .mibc");
        }

        /// <summary>
        /// Without runtime data (another producer's profile, here the recording's CPU samples in Pyroscope's
        /// dialect), the share of CPU samples running the executable's code tells whether the profile is its own.
        /// </summary>
        [TestMethod]
        public void Cpu_share_of_the_executable_is_reported_and_a_foreign_cpu_profile_warns()
        {
            var r = RecordedFixture.Get();
            using var dir = new TempDir();
            string pyroscope = dir.Write("pyroscope.pprof", ProfileEncoder.Encode(Naming.DialectWriter.Rewrite(r.Profile, Build.Naming.FrameDialect.Pyroscope)));
            string hints = WriteHints(pyroscope, dir);
            string otherProgram = typeof(MibcStageTests).Assembly.Location;

            var own = MibcStage.Run(r.Assembly, hints, isExecutable: true);
            var other = MibcStage.Run(otherProgram, hints, isExecutable: true);

            Assert.IsNull(own.Mismatch, own.Mismatch);
            var share = System.Text.RegularExpressions.Regex.Match(own.Summary, @"; (\d+\.\d)% of the profile's CPU samples run code of RecordTarget");
            Assert.IsTrue(share.Success, own.Summary);
            // Main is on the stack of every sample after start-up; how much of the recording start-up takes depends on the
            // machine's load, so the check is PGO104's own threshold (1%), which the foreign profile fails.
            Assert.IsTrue(double.Parse(share.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 1, own.Summary);
            // Which sampled frame happens to share a name with a method of the test assembly depends on the recording: the
            // share is checked against the threshold, not for an exact value.
            var foreign = System.Text.RegularExpressions.Regex.Match(other.Mismatch ?? "",
                @"^the profile may not belong to this program: (\d+\.\d)% of its CPU samples have a method of Pgo\.Build\.Tests on the stack \(under 1%\); what does not match is not used\.$");
            Assert.IsTrue(foreign.Success, other.Mismatch);
            Assert.IsTrue(double.Parse(foreign.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) < 1, other.Mismatch);
            Assert.IsNull(MibcStage.Run(otherProgram, hints, isExecutable: false).Mismatch, "a library need not be in an application's profile");
        }

        /// <summary>
        /// Go's source stability for the runtime's data: an edit inside Sum that moves its IL but not the line of the
        /// virtual call (relative to Sum's start) keeps the receiver-type histogram, at the call's new IL offset; the
        /// method's block counts, whose IL offsets no longer mean anything, are dropped.
        /// </summary>
        [TestMethod]
        public void Edited_method_keeps_its_receiver_types_at_the_call_on_the_same_relative_line()
        {
            var r = RecordedFixture.Get();
            using var dir = new TempDir();
            string project = dir.Combine("RecordTarget");
            Directory.CreateDirectory(project);
            foreach (var file in Directory.GetFiles(Path.Combine(TestData.RepoRoot, "tests", "Fixtures", "RecordTarget")))
            {
                File.Copy(file, Path.Combine(project, Path.GetFileName(file)));
            }

            string source = Path.Combine(project, "Program.cs");
            string original = File.ReadAllText(source);
            string edited = original.Replace("double total = 0; // MARK sum-start", "double total = System.Math.Abs(-0.0); // MARK sum-start");
            Assert.AreNotEqual(original, edited, "the fixture's Sum changed shape: update this test");
            File.WriteAllText(source, edited);
            var build = EndToEnd.DotNetCli.Run(project, new System.Collections.Generic.Dictionary<string, string> { ["NUGET_PACKAGES"] = dir.Combine("packages") },
                "build", "-c", "Release", "-nodeReuse:false", "-o", dir.Combine("out"));
            Assert.AreEqual(0, build.ExitCode, build.ToString());
            string assembly = dir.Combine("out", "RecordTarget.dll");
            int oldOffset = RecordTests.CallvirtOffset(r.Assembly, "Sum");
            int newOffset = RecordTests.CallvirtOffset(assembly, "Sum");
            Assert.AreNotEqual(oldOffset, newOffset, "the edit must move the call in the IL");

            var outcome = MibcStage.Run(assembly, WriteHints(r.ProfilePath, dir));

            StringAssert.Contains(outcome.Summary, "1 of them keeping their call sites' receiver types by call line", outcome.Summary);
            Assert.AreEqual(1, outcome.Match.Remapped);
            var sum = MibcReader.Read(outcome.MibcPath!).Single(e => e.Method == "RecordTarget.Program::Sum(RecordTarget.Shape[])");
            var table = sum.Records.Single(x => x.Kind == InstrumentationKind.HandleHistogramTypes);
            Assert.AreEqual(newOffset, table.IlOffset);
            Assert.IsTrue(table.Types.Count(t => t == "RecordTarget.Square") > table.Types.Count(t => t == "RecordTarget.Circle"));
            Assert.IsTrue(sum.Records.All(x => x.Kind == InstrumentationKind.HandleHistogramTypes || x.Kind == InstrumentationKind.HandleHistogramIntCount),
                "counts of an edited method are dropped: " + string.Join(",", sum.Records.Select(x => x.Kind)));
        }

        [TestMethod]
        public void Profile_of_another_program_is_reported_for_an_executable_only()
        {
            var r = RecordedFixture.Get();
            using var dir = new TempDir();
            string hints = WriteHints(r.ProfilePath, dir);
            string otherProgram = typeof(MibcStageTests).Assembly.Location; // this test assembly: no recorded method of it

            var exe = MibcStage.Run(otherProgram, hints, isExecutable: true);
            var library = MibcStage.Run(otherProgram, hints, isExecutable: false);
            var own = MibcStage.Run(r.Assembly, hints, isExecutable: true);

            Assert.IsNull(exe.MibcPath);
            StringAssert.Contains(exe.Mismatch, "may not belong to this program");
            StringAssert.Contains(exe.Mismatch, "RecordTarget");
            Assert.IsNull(library.Mismatch, "a library need not be in an application's profile");
            Assert.IsNull(own.Mismatch, own.Mismatch);
        }

        [TestMethod]
        public void Stale_profile_is_reported_when_most_recorded_methods_changed()
        {
            var r = RecordedFixture.Get();
            using var dir = new TempDir();
            string hints = WriteHints(r.ProfilePath, dir);
            var provenance = new HintProvenance("hand-made", "samples/count", 99);
            string devirt = Path.Combine(hints, HintFileNames.DevirtHints);
            string blocks = Path.Combine(hints, HintFileNames.BlockCounts);
            static RuntimeRecord Edit(RuntimeRecord x) => x.Method.StartsWith("RecordTarget!", StringComparison.Ordinal) ? x with { IlHash = x.IlHash ^ 1 } : x;
            File.WriteAllBytes(devirt, RuntimeRecordFiles.WriteDevirtHints(RuntimeRecordFiles.ReadDevirtHints(devirt).Select(Edit), provenance));
            File.WriteAllBytes(blocks, RuntimeRecordFiles.WriteBlockCounts(RuntimeRecordFiles.ReadBlockCounts(blocks).Select(Edit), provenance));

            var outcome = MibcStage.Run(r.Assembly, hints, isExecutable: true);

            StringAssert.Contains(outcome.Mismatch, "the profile is stale for RecordTarget");
            // What is left: the receiver types of the one virtual call, kept by its (unchanged) line; no counts.
            var entries = MibcReader.Read(outcome.MibcPath!).Where(e => e.Records.Count > 0).ToList();
            Assert.AreEqual("RecordTarget.Program::Sum(RecordTarget.Shape[])", entries.Single().Method);
            Assert.IsTrue(entries.Single().Records.All(x => x.Kind == InstrumentationKind.HandleHistogramTypes || x.Kind == InstrumentationKind.HandleHistogramIntCount));
        }

        [TestMethod]
        public void Receiver_types_a_call_site_cannot_receive_are_left_out()
        {
            var r = RecordedFixture.Get();
            using var dir = new TempDir();
            string hints = WriteHints(r.ProfilePath, dir);
            string devirt = Path.Combine(hints, HintFileNames.DevirtHints);
            var records = RuntimeRecordFiles.ReadDevirtHints(devirt).ToList();
            var square = records.First(x => x.MethodName == "RecordTarget.Program.Sum" && x.Kind == InstrumentationKind.HandleHistogramTypes && x.Handle.StartsWith("RecordTarget.Square,", StringComparison.Ordinal));
            // A hand-made entry: RecordTarget.Program is no Shape, so Sum's shapes[i].Area() can never receive it.
            records.Add(square with { Handle = square.Handle.Replace("RecordTarget.Square", "RecordTarget.Program"), Value = 7 });
            // Nor can a framework type: the framework never references an application, so nothing of it derives from Shape.
            records.Add(square with { Handle = "System.Random, System.Private.CoreLib, Version=10.0.0.0, Culture=neutral, PublicKeyToken=7cec85d7bea7798e", Value = 5 });
            // Nor a generic instantiation of a framework type (written as a TypeSpec where it fits a call, never here).
            records.Add(square with { Handle = typeof(System.Collections.Generic.List<int>).AssemblyQualifiedName!, Value = 4 });
            File.WriteAllBytes(devirt, RuntimeRecordFiles.WriteDevirtHints(records, new HintProvenance("hand-made", "samples/count", 99)));

            var outcome = MibcStage.Run(r.Assembly, hints);

            Assert.AreEqual(16, outcome.Written!.DroppedTypeSlots, outcome.Summary);
            StringAssert.Contains(outcome.Summary, "16 receiver-type slots left out");
            var sum = MibcReader.Read(outcome.MibcPath!).Single(e => e.Method == "RecordTarget.Program::Sum(RecordTarget.Shape[])");
            var table = sum.Records.Single(x => x.Kind == InstrumentationKind.HandleHistogramTypes);
            CollectionAssert.DoesNotContain(table.Types.ToList(), "RecordTarget.Program");
            Assert.IsFalse(table.Types.Any(t => t.StartsWith("System.", StringComparison.Ordinal)), string.Join(", ", table.Types));
            CollectionAssert.Contains(table.Types.ToList(), "RecordTarget.Square");
        }

        [TestMethod]
        public void Pgo_mibc_command_prints_the_methods_and_receiver_tables()
        {
            var r = RecordedFixture.Get();
            using var dir = new TempDir();
            var outcome = MibcStage.Run(r.Assembly, WriteHints(r.ProfilePath, dir));
            var stdout = new StringWriter();
            var stderr = new StringWriter();

            int exit = Pgo.Tool.Program.Run(new[] { "mibc", outcome.MibcPath! }, stdout, stderr);

            Assert.AreEqual(0, exit, stderr.ToString());
            string text = stdout.ToString();
            StringAssert.Contains(text, "RecordTarget.Program::Sum(RecordTarget.Shape[])  [group RecordTarget;]");
            StringAssert.Matches(text, new System.Text.RegularExpressions.Regex(@"IL_[0-9a-f]{4} kind 0xc3 other 0x80000000 count \d+: RecordTarget\.Square x\d+"));
            StringAssert.Contains(stderr.ToString(), $"pgo: {MibcReader.Read(outcome.MibcPath!).Count} methods");
            Assert.AreEqual(1, Pgo.Tool.Program.Run(new[] { "mibc", r.Assembly }, new StringWriter(), new StringWriter()), "an ordinary assembly is not a .mibc");
        }

        /// <summary>The hint stage's files for <paramref name="profile"/>, as a build writes them.</summary>
        internal static string WriteHints(string profile, TempDir dir)
        {
            string output = dir.Combine("pgo");
            PgoEngine.Run(new PgoRequest(profile, output, dir.Combine("cache")), new RecordingLog());
            return output;
        }
    }
}
