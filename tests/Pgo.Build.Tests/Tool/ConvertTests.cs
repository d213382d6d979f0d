using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.EventPipe;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Naming;
using Pgo.Build.Profiles;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Tool
{
    /// <summary>
    /// <c>pgo convert</c> on the real EventPipe traces of the test data, checked against the folded stacks
    /// pyroscope-io/dotnetdiag expects of the same traces (dotnet/nettrace/NOTES.md).
    /// </summary>
    [TestClass]
    public sealed class ConvertTests
    {
        private static string Nettrace(string name) => TestData.Path_("dotnet", "nettrace", name);

        private static ProfileData Convert(TempDir dir, string trace)
        {
            string output = dir.Combine(Path.GetFileName(trace) + ".pgo");
            var (code, stdout, stderr) = TopTests.Pgo("convert", trace, "-o", output);
            Assert.AreEqual(0, code, stderr);
            Assert.AreEqual("", stdout);
            StringAssert.Contains(stderr, "pgo: wrote " + output);

            // The converted profile's report, kept as a golden file (the hash depends on the tool's version: masked).
            var top = TopTests.Pgo("top", output, "--no-cache", "-n", "12");
            Assert.AreEqual(0, top.Code, top.Err);
            string report = System.Text.RegularExpressions.Regex.Replace(top.Out.Replace(output, "<profile>"), @"\(sha256 [0-9a-f]{8}\)", "(sha256 <hash>)");
            Golden.Verify("nettrace." + Path.GetFileName(trace).Replace(".nettrace", "").Replace(".zip", "").Replace(".golden", "") + ".top", report);
            return ProfileDecoder.Decode(File.ReadAllBytes(output));
        }

        /// <summary>Stacks root first as method keys (frames that name no method dropped), with their share of the weight.</summary>
        private static Dictionary<string, double> Expected(string foldedFile)
        {
            var stacks = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var line in File.ReadAllLines(Nettrace(foldedFile)).Where(l => l.Length > 0))
            {
                int space = line.LastIndexOf(' ');
                string key = string.Join(";", line.Substring(0, space).Split(';').Select(f => FrameNames.Parse(f)?.Key).Where(k => k != null));
                stacks[key] = (stacks.TryGetValue(key, out long v) ? v : 0) + long.Parse(line.Substring(space + 1), System.Globalization.CultureInfo.InvariantCulture);
            }

            double total = stacks.Values.Sum();
            return stacks.ToDictionary(kv => kv.Key, kv => kv.Value / total, StringComparer.Ordinal);
        }

        private static Dictionary<string, double> Actual(ProfileData profile)
        {
            Assert.AreEqual("samples/count", profile.SampleTypes[0].ToString());
            Assert.AreEqual("cpu/nanoseconds", profile.SampleTypes[1].ToString());
            var stacks = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var sample in profile.Samples)
            {
                var frames = sample.Stack.SelectMany(l => l.Lines).Reverse().Select(l =>
                {
                    var identity = FrameNames.Parse(l.Function.Name, l.Function.SystemName, l.Function.FileName);
                    Assert.IsNotNull(identity, l.Function.Name);
                    Assert.AreEqual(FrameDialect.Recorder, identity.Dialect, l.Function.SystemName);
                    return identity.Key;
                });
                string key = string.Join(";", frames);
                stacks[key] = (stacks.TryGetValue(key, out long v) ? v : 0) + sample.Values[0];
            }

            double total = stacks.Values.Sum();
            return stacks.ToDictionary(kv => kv.Key, kv => kv.Value / total, StringComparer.Ordinal);
        }

        [TestMethod]
        public void SingleThreadTraceGivesTheExpectedStacksInTheExpectedProportions()
        {
            using var dir = new TempDir();
            var profile = Convert(dir, Nettrace("dotnetdiag__dotnet-5.0-SampleProfiler-single-thread.golden.nettrace"));

            var expected = Expected("dotnetdiag__dotnet-5.0-SampleProfiler-single-thread-managed-only.txt");
            var actual = Actual(profile);
            CollectionAssert.AreEquivalent(expected.Keys.ToList(), actual.Keys.ToList());
            foreach (var kv in expected)
            {
                Assert.AreEqual(kv.Value, actual[kv.Key], 0.01, kv.Key);
            }

            Assert.AreEqual(5559, profile.Samples.Sum(s => s.Values[0]));
            Assert.AreEqual(5559L * 1_000_000, profile.Samples.Sum(s => s.Values[1]));
            Assert.IsTrue(profile.DurationNanos > 5_000_000_000L, profile.DurationNanos.ToString());
            // The module is not on this machine: identity from the runtime's names, in our format, without lines.
            var work = profile.Samples.SelectMany(s => s.Stack).SelectMany(l => l.Lines).Select(l => l.Function).First(f => f.Name == "Example.Program.Work");
            Assert.AreEqual("mvc-hello-world!Example.Program::Work(int32)", work.SystemName);
            Assert.AreEqual(0, work.StartLine);
        }

        [TestMethod]
        public void WebAppTraceGivesExactlyTheExpectedManagedStacks()
        {
            using var dir = new TempDir();
            var profile = Convert(dir, Nettrace("dotnetdiag__dotnet-5.0-SampleProfiler-webapp.golden.nettrace"));

            // Every sample is symbolized exactly as TraceEvent's own TraceLog resolves it (an independent reader of the
            // same trace: its code-address lookup against our raw method-load pass).
            var reference = TraceEventStacks(Nettrace("dotnetdiag__dotnet-5.0-SampleProfiler-webapp.golden.nettrace"));
            var actual = Actual(profile);
            var onlyOurs = actual.Keys.Except(reference).ToList();
            var onlyTheirs = reference.Distinct().Except(actual.Keys).ToList();
            Assert.IsTrue(onlyOurs.Count == 0 && onlyTheirs.Count == 0, "ours only:\n" + string.Join("\n", onlyOurs) + "\nTraceEvent only:\n" + string.Join("\n", onlyTheirs));
            Assert.AreEqual(reference.Count, profile.Samples.Sum(x => x.Values[0]));

            // dotnetdiag's folded stacks of the same trace: "?!?" is a frame it could not name (we name it, or leave
            // out native code). Half of its stacks agree with TraceEvent and us frame for frame; the other five differ
            // from TraceEvent's reading as much as from ours (other leaves: EnsureThreadRequested where TraceEvent
            // resolves CreateThreadLocals, Array.Sort where it resolves GetParameters), so they are not checked.
            var expected = File.ReadAllLines(Nettrace("dotnetdiag__dotnet-5.0-SampleProfiler-webapp-managed-only.txt")).Where(l => l.Length > 0)
                .Select(l => l.Substring(0, l.LastIndexOf(' ')).Split(';').Select(f => f == "?!?" ? null : FrameNames.Parse(f)?.Key).ToArray()).ToList();
            var left = actual.Keys.Select(k => k.Split(';')).ToList();
            int matched = 0;
            foreach (var pattern in expected)
            {
                var found = left.FirstOrDefault(a => Matches(pattern, 0, a, 0));
                if (found != null)
                {
                    matched++;
                    left.Remove(found);
                }
            }

            Assert.AreEqual(10, expected.Count);
            Assert.AreEqual(5, matched);
            var names = profile.Samples.SelectMany(s => s.Stack).SelectMany(l => l.Lines).Select(l => l.Function.SystemName).Distinct().ToList();
            CollectionAssert.Contains(names, "Microsoft.AspNetCore.Server.Kestrel.Core!Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpProtocol+<ProcessRequests>d__223`1::MoveNext()");
        }

        /// <summary>Each managed sample's stack, root first, as method keys of TraceEvent's own method names.</summary>
        private static List<string> TraceEventStacks(string nettrace)
        {
            string etlx = Path.Combine(Path.GetTempPath(), "pgo-test-" + Guid.NewGuid().ToString("n") + ".etlx");
            try
            {
                TraceLog.CreateFromEventPipeDataFile(nettrace, etlx);
                using var log = new TraceLog(etlx);
                var stacks = new List<string>();
                foreach (var e in log.Events)
                {
                    if (e is ClrThreadSampleTraceData sample && sample.Type == ClrThreadSampleType.Managed)
                    {
                        var frames = new List<string>();
                        for (var frame = sample.CallStack(); frame != null; frame = frame.Caller)
                        {
                            string? key = FrameNames.Parse(frame.CodeAddress.FullMethodName ?? "")?.Key;
                            if (key != null)
                            {
                                frames.Add(key);
                            }
                        }

                        frames.Reverse();
                        stacks.Add(string.Join(";", frames));
                    }
                }

                return stacks;
            }
            finally
            {
                File.Delete(etlx);
            }
        }

        /// <summary>Whether <paramref name="stack"/> fits <paramref name="pattern"/>, where null stands for zero or one frame.</summary>
        private static bool Matches(string?[] pattern, int p, string[] stack, int s)
        {
            if (p == pattern.Length)
            {
                return s == stack.Length;
            }

            if (pattern[p] == null)
            {
                return Matches(pattern, p + 1, stack, s) || (s < stack.Length && Matches(pattern, p + 1, stack, s + 1));
            }

            return s < stack.Length && stack[s] == pattern[p] && Matches(pattern, p + 1, stack, s + 1);
        }

        [TestMethod]
        public void PerfViewTracesInZipsKeepManagedSamplesOnly()
        {
            using var dir = new TempDir();
            var mixed = Convert(dir, Nettrace("perfview__mixed_managed_external_samples.nettrace.zip"));
            var managed = Convert(dir, Nettrace("perfview__only_managed_samples.nettrace.zip"));

            foreach (var profile in new[] { mixed, managed })
            {
                var stacks = Actual(profile);
                CollectionAssert.AreEquivalent(
                    new[]
                    {
                        "NoNativeStacks.Program.Main;NoNativeStacks.Program.Test;NoNativeStacks.Program.InnerLoop",
                        "NoNativeStacks.Program.Main;NoNativeStacks.Program.Test;NoNativeStacks.Program.InnerLoop;NoNativeStacks.Program.FindByte",
                    },
                    stacks.Keys.ToList());
            }

            Assert.AreEqual(3904, mixed.Samples.Sum(s => s.Values[0]));
            Assert.AreEqual(7423, managed.Samples.Sum(s => s.Values[0]));
        }

        [TestMethod]
        public void TraceCutShortKeepsTheSamplesBeforeTheCutWithAWarning()
        {
            using var dir = new TempDir();
            byte[] whole = File.ReadAllBytes(Nettrace("dotnetdiag__dotnet-5.0-SampleProfiler-single-thread.golden.nettrace"));
            string cut = dir.Write("cut.nettrace", whole.AsSpan(0, whole.Length * 2 / 3).ToArray());
            string output = dir.Combine("cut.pgo");
            var (code, _, stderr) = TopTests.Pgo("convert", cut, "-o", output);
            Assert.AreEqual(0, code, stderr);
            // The samples before the cut are read; this trace names its methods in the rundown at its very end (cut
            // off here), so none of them can be symbolized and the profile written is empty rather than wrong.
            var kept = System.Text.RegularExpressions.Regex.Match(stderr, @"pgo: warning: the trace ends early .*; the ([\d,]+) samples before the cut are kept");
            Assert.IsTrue(kept.Success, stderr);
            int read = int.Parse(kept.Groups[1].Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
            Assert.IsTrue(read > 1000 && read < 5559, read.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.AreEqual(0, ProfileDecoder.Decode(File.ReadAllBytes(output)).Samples.Count);

            // A trace of a newer format version than the reader knows is refused by name, not misread.
            byte[] newer = (byte[])whole.Clone();
            int type = IndexOf(newer, "Trace"u8.ToArray()) - 12; // version and minimum reader version precede the type name
            BitConverter.GetBytes(6).CopyTo(newer, type);
            BitConverter.GetBytes(6).CopyTo(newer, type + 4);
            var v6 = TopTests.Pgo("convert", dir.Write("v6.nettrace", newer), "-o", dir.Combine("v6.pgo"));
            Assert.AreEqual(1, v6.Code, v6.Err);
            StringAssert.Contains(v6.Err, "nettrace format version 6 is not supported");
            Assert.IsFalse(File.Exists(dir.Combine("v6.pgo")));
        }

        private static int IndexOf(byte[] data, byte[] pattern) => data.AsSpan().IndexOf(pattern);

        [TestMethod]
        public void TraceWithoutSamplesWarnsAndBadInputIsAnError()
        {
            using var dir = new TempDir();
            string output = dir.Combine("empty.pgo");
            var (code, _, stderr) = TopTests.Pgo("convert", Nettrace("perfview__eventpipe-dotnetcore6.0-win-x64-executioncheckpoints.nettrace.zip"), "-o", output);
            Assert.AreEqual(0, code, stderr);
            StringAssert.Contains(stderr, "pgo: warning: the trace holds no on-CPU managed samples");
            Assert.AreEqual(0, ProfileDecoder.Decode(File.ReadAllBytes(output)).Samples.Count);

            var missing = TopTests.Pgo("convert", dir.Combine("nope.nettrace"), "-o", output);
            Assert.AreEqual(1, missing.Code);
            StringAssert.Contains(missing.Err, "no such trace");

            string notATrace = dir.Write("junk.nettrace", new byte[] { 1, 2, 3, 4 });
            var junk = TopTests.Pgo("convert", notATrace, "-o", dir.Combine("junk.pgo"));
            Assert.AreEqual(1, junk.Code, junk.Err);
            Assert.IsFalse(File.Exists(dir.Combine("junk.pgo")));

            Assert.AreEqual(2, TopTests.Pgo("convert").Code);
        }
    }
}
