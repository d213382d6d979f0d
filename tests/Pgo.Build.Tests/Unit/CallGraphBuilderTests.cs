using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.CallGraph;
using Pgo.Build.Profiles;

namespace Pgo.Build.Tests.Unit
{
    [TestClass]
    public sealed class CallGraphBuilderTests
    {
        private static readonly SampleType[] Count = { new SampleType("samples", "count") };

        private static long _nextId;

        private static ProfileFunction Fn(string name, long startLine = 0) => new ProfileFunction(name, name, "x.go", startLine);

        /// <summary>A location; lines innermost first, as in pprof.</summary>
        private static ProfileLocation Loc(ulong address, params (ProfileFunction Function, long Line)[] lines) =>
            new ProfileLocation((ulong)System.Threading.Interlocked.Increment(ref _nextId), address, lines.Select(l => new ProfileLine(l.Function, l.Line)).ToArray());

        /// <summary>A sample of one value; the stack is leaf first.</summary>
        private static ProfileSample S(long value, params ProfileLocation[] stack) => new ProfileSample(stack, new[] { value });

        private static WeightedCallGraph Build(params ProfileSample[] samples) =>
            CallGraphBuilder.Build(new ProfileData(Count, samples), 0);

        private static string Edges(WeightedCallGraph g) => string.Join("; ", g.Edges.Select(e => e.ToString()));

        private static string Functions(WeightedCallGraph g) => string.Join("; ", g.Functions.Select(f => $"{f.Name} {f.Flat}/{f.Cum}"));

        [TestMethod]
        public void OnlyTheLastTwoFramesMakeAnEdge()
        {
            var a = Fn("main.A", 10);
            var b = Fn("main.B", 20);
            var c = Fn("main.C", 30);

            var g = Build(S(5, Loc(0x30, (c, 31)), Loc(0x20, (b, 23)), Loc(0x10, (a, 15))));

            Assert.AreEqual("main.B +3 -> main.C (5)", Edges(g));
            Assert.AreEqual(5L, g.TotalWeight);
            Assert.AreEqual(1L, g.SampleCount);
            Assert.AreEqual(5L, g.SampleValue);
            Assert.IsTrue(g.HasStartLines);
            Assert.AreEqual("samples/count", g.SampleType);
            Assert.AreEqual("main.C 5/5; main.A 0/5; main.B 0/5", Functions(g));
        }

        [TestMethod]
        public void AllFrameEdgesLinkEveryCallerOnTheStackOncePerSample()
        {
            var a = Fn("main.A", 10);
            var b = Fn("main.B", 20);
            var c = Fn("main.C", 30);
            // A -> B -> B (recursion, the same call line) -> C
            var sample = S(5, Loc(0x30, (c, 31)), Loc(0x21, (b, 24)), Loc(0x20, (b, 24)), Loc(0x10, (a, 15)));

            var leaf = CallGraphBuilder.Build(new ProfileData(Count, new[] { sample }), 0);
            var all = CallGraphBuilder.Build(new ProfileData(Count, new[] { sample }), 0, default, allFrames: true);

            Assert.AreEqual("main.B +4 -> main.C (5)", Edges(leaf));
            Assert.AreEqual("main.A +5 -> main.B (5); main.B +4 -> main.B (5); main.B +4 -> main.C (5)", Edges(all)); // the recursive call site too
            Assert.AreEqual(Functions(leaf), Functions(all), "function weights do not depend on the edge rule");
            Assert.AreEqual("", new Engine.AnalysisOptions().CacheVariant);
            Assert.AreEqual("edges=all-frames", new Engine.AnalysisOptions(null, true).CacheVariant);
            Assert.AreEqual("sample-type=cpu;edges=all-frames", new Engine.AnalysisOptions("cpu", true).CacheVariant);
        }

        [TestMethod]
        public void SingleFrameSampleMakesNoEdge()
        {
            var g = Build(S(4, Loc(0x10, (Fn("main.A", 1), 2))));

            Assert.AreEqual(0, g.Edges.Count);
            Assert.AreEqual(0L, g.TotalWeight);
            Assert.AreEqual(1L, g.SampleCount);
            Assert.AreEqual(4L, g.SampleValue);
            Assert.AreEqual("main.A 4/4", Functions(g));
        }

        [TestMethod]
        public void InlinedFramesMakeEdgesWithTheirOwnStartLines()
        {
            var ns = Fn("pkg.NS", 10);
            var t = Fn("pkg.T", 19);
            var u = Fn("pkg.U", 28);
            // The caller location is T (line 21) inlined into NS (line 15); the leaf is U at line 30.
            var caller = Loc(0x100, (t, 21), (ns, 15));
            var leaf = Loc(0x200, (u, 30));

            var g = Build(S(4, leaf, caller));

            Assert.AreEqual("pkg.NS +5 -> pkg.T (4); pkg.T +2 -> pkg.U (4)", Edges(g));
            Assert.AreEqual(8L, g.TotalWeight);
            Assert.AreEqual("pkg.U 4/4; pkg.NS 0/4; pkg.T 0/4", Functions(g));
        }

        [TestMethod]
        public void InlinedLeafLocationAloneMakesAnEdge()
        {
            var ns = Fn("pkg.NS", 10);
            var t = Fn("pkg.T", 19);

            var g = Build(S(3, Loc(0x100, (t, 21), (ns, 15))));

            Assert.AreEqual("pkg.NS +5 -> pkg.T (3)", Edges(g));
            // Flat goes to the innermost (inlined) frame.
            Assert.AreEqual("pkg.T 3/3; pkg.NS 0/3", Functions(g));
        }

        [TestMethod]
        public void ZeroValuedSamplesAreSkipped()
        {
            var a = Fn("main.A", 1);
            var b = Fn("main.B", 5);
            var la = Loc(0x10, (a, 3));
            var lb = Loc(0x20, (b, 6));
            var types = new[] { new SampleType("samples", "count"), new SampleType("cpu", "nanoseconds") };
            var samples = new[]
            {
                new ProfileSample(new[] { lb, la }, new long[] { 0, 10 }),
                new ProfileSample(new[] { lb, la }, new long[] { 2, 20 }),
                new ProfileSample(new[] { la }, new long[] { 0, 0 }),
            };
            var profile = new ProfileData(types, samples);

            var byCount = CallGraphBuilder.Build(profile, 0);
            var byCpu = CallGraphBuilder.Build(profile, 1);

            Assert.AreEqual(1L, byCount.SampleCount);
            Assert.AreEqual(2L, byCount.SampleValue);
            Assert.AreEqual("main.A +2 -> main.B (2)", Edges(byCount));
            Assert.AreEqual("main.B 2/2; main.A 0/2", Functions(byCount));
            Assert.AreEqual("samples/count", byCount.SampleType);
            Assert.AreEqual(2L, byCpu.SampleCount);
            Assert.AreEqual(30L, byCpu.SampleValue);
            Assert.AreEqual("main.A +2 -> main.B (30)", Edges(byCpu));
            Assert.AreEqual("cpu/nanoseconds", byCpu.SampleType);
        }

        [TestMethod]
        public void ProfileWithoutSamplesIsTheEmptyGraph()
        {
            var g = CallGraphBuilder.Build(new ProfileData(Count, new ProfileSample[0]), 0);

            Assert.AreSame(WeightedCallGraph.Empty, g);
            Assert.AreEqual("", g.SampleType);
            Assert.AreEqual(0L, g.SampleCount);
            Assert.IsTrue(g.HasStartLines);
        }

        [TestMethod]
        public void SampleIndexOutOfRangeThrows()
        {
            var profile = new ProfileData(Count, new[] { S(1, Loc(1, (Fn("a"), 1))) });

            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => CallGraphBuilder.Build(profile, 1));
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => CallGraphBuilder.Build(profile, -1));
        }

        [TestMethod]
        [DataRow("alloc_space/bytes,cpu/nanoseconds,samples/count", 1)]
        [DataRow("samples/count,cpu/nanoseconds", 0)]
        [DataRow("cpu/nanoseconds,exception/count,alloc_samples/count", 0)]
        [DataRow("alloc_objects/count,alloc_space/bytes,inuse_objects/count,inuse_space/bytes", -1)]
        [DataRow("samples/bytes,cpu/milliseconds,Samples/count,wall/nanoseconds", -1)]
        [DataRow("", -1)]
        public void SampleIndexChoosesTheFirstSamplesCountOrCpuNanoseconds(string types, int expected)
        {
            var list = types.Length == 0
                ? new SampleType[0]
                : types.Split(',').Select(t => new SampleType(t.Split('/')[0], t.Split('/')[1])).ToArray();

            Assert.AreEqual(expected, SampleIndex.Choose(list));
        }

        [TestMethod]
        public void RecursionAtDifferentLinesIsASelfEdgeWithTheCallerOffset()
        {
            var a = Fn("main.A", 5);

            // Leaf: A at line 12; its caller: A at line 10.
            var g = Build(S(1, Loc(0x2, (a, 12)), Loc(0x1, (a, 10))));

            Assert.AreEqual("main.A +5 -> main.A (1)", Edges(g));
            Assert.AreEqual("main.A 1/1", Functions(g));
        }

        [TestMethod]
        public void SameNodeTwiceMakesNoEdge()
        {
            var a = Fn("main.A", 5);
            var l = Loc(0x1, (a, 10));

            var g = Build(S(3, l, l));

            Assert.AreEqual(0, g.Edges.Count);
            Assert.AreEqual(0L, g.TotalWeight);
            Assert.AreEqual("main.A 3/3", Functions(g));
        }

        [TestMethod]
        public void SameNodeFromAnotherLocationWithTheSameAddressMakesNoEdge()
        {
            var a = Fn("main.A", 5);

            var g = Build(S(3, Loc(0x1, (a, 10)), Loc(0x1, (a, 10))));

            Assert.AreEqual(0, g.Edges.Count);
        }

        [TestMethod]
        public void AnEdgeCountsOncePerSampleEvenIfThePairRepeats()
        {
            var a = Fn("main.A", 1);
            var b = Fn("main.B", 5);
            // B inlined into A; the leaf and its caller are the same location, so the walk is A, B, A, B.
            var l = Loc(0x1, (b, 7), (a, 3));

            var g = Build(S(2, l, l), S(3, l, l));

            // A->B once per sample (2 + 3), not twice; B->A is new when A is reached again from B (Go's seenEdge rule).
            Assert.AreEqual("main.A +2 -> main.B (5); main.B +2 -> main.A (5)", Edges(g));
            Assert.AreEqual(10L, g.TotalWeight);
            Assert.AreEqual(2L, g.SampleCount);
            Assert.AreEqual("main.B 5/5; main.A 0/5", Functions(g));
        }

        [TestMethod]
        public void NodeSeenEarlierInTheSampleStillGetsAnEdgeFromANewParent()
        {
            // A .NET-style method-level profile (address 0, line 0): B inlined into A, B calls A, the sample is in A.
            // Go's NewGraph: nodes A, B, A; the second A was seen, but the pair (B, A) was not, so B->A counts.
            var a = Fn("N!A.M");
            var b = Fn("N!B.M");

            var g = Build(S(4, Loc(0, (a, 0)), Loc(0, (b, 0), (a, 0))));

            Assert.AreEqual("N!A.M +? -> N!B.M (4); N!B.M +? -> N!A.M (4)", Edges(g));
            Assert.IsFalse(g.HasStartLines);
        }

        [TestMethod]
        public void WithoutStartLinesEdgesAreMethodLevelAndMergedPerCallerAndCallee()
        {
            var a = Fn("main.A");
            var b = Fn("main.B");
            var lb = Loc(0x3, (b, 20));

            var g = Build(S(2, lb, Loc(0x1, (a, 3))), S(3, lb, Loc(0x2, (a, 9))));

            Assert.IsFalse(g.HasStartLines);
            Assert.AreEqual(1, g.Edges.Count);
            Assert.AreEqual("main.A", g.Edges[0].Caller);
            Assert.AreEqual("main.B", g.Edges[0].Callee);
            Assert.IsNull(g.Edges[0].Offset);
            Assert.AreEqual(5L, g.Edges[0].Weight);
            Assert.AreEqual(5L, g.TotalWeight);
        }

        [TestMethod]
        public void WithStartLinesTheSameCallsFromTwoLinesAreTwoEdges()
        {
            var a = Fn("main.A", 1);
            var b = Fn("main.B", 18);
            var lb = Loc(0x3, (b, 20));

            var g = Build(S(2, lb, Loc(0x1, (a, 3))), S(3, lb, Loc(0x2, (a, 9))));

            Assert.IsTrue(g.HasStartLines);
            Assert.AreEqual("main.A +8 -> main.B (3); main.A +2 -> main.B (2)", Edges(g));
        }

        [TestMethod]
        public void PartialStartLinesUseAbsoluteLinesForFunctionsWithoutOne()
        {
            var a = Fn("main.A", 10);
            var b = Fn("main.B"); // no start line
            var c = Fn("main.C", 30);

            var g = Build(
                S(2, Loc(0x30, (c, 40)), Loc(0x20, (b, 25))),
                S(1, Loc(0x21, (b, 22)), Loc(0x10, (a, 13))));

            Assert.IsTrue(g.HasStartLines);
            Assert.AreEqual("main.B +25 -> main.C (2); main.A +3 -> main.B (1)", Edges(g));
        }

        [TestMethod]
        public void StartLinesCountOnlyOnNodesThatCarryWeight()
        {
            // A start line on a function that only appears above the last two frames does not make the graph line-level.
            var top = Fn("main.top", 1);
            var a = Fn("main.A");
            var b = Fn("main.B");

            var g = Build(S(1, Loc(0x3, (b, 4)), Loc(0x2, (a, 7)), Loc(0x1, (top, 2))));

            Assert.IsFalse(g.HasStartLines);
            Assert.AreEqual("main.A +? -> main.B (1)", Edges(g));
        }

        [TestMethod]
        public void TotalWeightIsTheSumOfEdgeWeightsNotOfSampleValues()
        {
            var a = Fn("main.A", 1);
            var b = Fn("main.B", 1);
            var c = Fn("main.C", 1);

            var g = Build(
                S(7, Loc(0x1, (a, 2))),
                S(3, Loc(0x2, (b, 2)), Loc(0x3, (a, 3))),
                S(4, Loc(0x4, (c, 2)), Loc(0x5, (b, 5))));

            Assert.AreEqual(14L, g.SampleValue);
            Assert.AreEqual(3L, g.SampleCount);
            Assert.AreEqual(7L, g.TotalWeight);
            Assert.AreEqual(g.Edges.Sum(e => e.Weight), g.TotalWeight);
        }

        [TestMethod]
        public void FunctionFlatIsTheLeafAndCumIsAnyFrameOncePerSample()
        {
            var a = Fn("main.A", 5);
            var b = Fn("main.B", 20);
            var c = Fn("main.C", 30);
            var la10 = Loc(0x10, (a, 10));
            var la12 = Loc(0x11, (a, 12));
            var lb = Loc(0x20, (b, 21));
            var lc = Loc(0x30, (c, 31));

            var g = Build(
                S(5, lc, lb, la10),
                S(2, lb, la10),
                S(1, la12, lb, la10)); // A recursive through B: cum counted once

            Assert.AreEqual("main.C 5/5; main.B 2/8; main.A 1/8", Functions(g));
        }

        [TestMethod]
        public void FunctionsTieOnFlatAndCumByName()
        {
            var g = Build(S(1, Loc(1, (Fn("b"), 1))), S(1, Loc(2, (Fn("a"), 1))), S(1, Loc(3, (Fn("c"), 1))));

            Assert.AreEqual("a 1/1; b 1/1; c 1/1", Functions(g));
        }

        [TestMethod]
        public void EdgesAreOrderedByWeightThenCallerCalleeOffset()
        {
            var x = Fn("X", 1);
            var w = Fn("W", 1);
            var bb = Fn("B", 1);
            var y = Fn("Y", 1);
            var z = Fn("Z", 1);
            var aa = Fn("A", 1);
            var cc = Fn("C", 1);

            var g = Build(
                S(2, Loc(0x1, (y, 1)), Loc(0x2, (x, 4))),   // X +3 -> Y
                S(2, Loc(0x3, (y, 2)), Loc(0x4, (x, 2))),   // X +1 -> Y
                S(2, Loc(0x5, (z, 1)), Loc(0x6, (w, 1))),   // W +0 -> Z
                S(2, Loc(0x7, (aa, 1)), Loc(0x8, (x, 10))), // X +9 -> A
                S(5, Loc(0x9, (cc, 1)), Loc(0xa, (bb, 1)))); // B +0 -> C

            Assert.AreEqual("B +0 -> C (5); W +0 -> Z (2); X +9 -> A (2); X +1 -> Y (2); X +3 -> Y (2)", Edges(g));
        }

        [TestMethod]
        public void EdgeComparisonFollowsGo()
        {
            var edges = new List<CallEdge>
            {
                new CallEdge("b", "c", 2, 1),
                new CallEdge("b", "c", 1, 1),
                new CallEdge("b", "a", 9, 1),
                new CallEdge("a", "z", 0, 1),
                new CallEdge("z", "z", 0, 3),
                new CallEdge("m", "m", null, 1),
            };

            edges.Sort(WeightedCallGraph.CompareEdges);

            Assert.AreEqual("z +0 -> z (3); a +0 -> z (1); b +9 -> a (1); b +1 -> c (1); b +2 -> c (1); m +? -> m (1)", string.Join("; ", edges));
            Assert.AreEqual(0, WeightedCallGraph.CompareEdges(new CallEdge("a", "b", 1, 1), new CallEdge("a", "b", 1, 1)));
        }

        [TestMethod]
        public void EdgeNamesSortInUtf8ByteOrder()
        {
            const string fullwidthA = "\uFF21.f";       // EF BC A1 in UTF-8
            const string emoji = "\U0001F600.f";         // F0 9F 98 80 in UTF-8, but D83D DE00 in UTF-16
            var callee = Fn("callee", 1);

            var g = Build(
                S(1, Loc(0x1, (callee, 1)), Loc(0x2, (Fn(emoji, 1), 2))),
                S(1, Loc(0x3, (callee, 1)), Loc(0x4, (Fn(fullwidthA, 1), 2))));

            Assert.IsTrue(string.CompareOrdinal(emoji, fullwidthA) < 0, "UTF-16 order puts the surrogate pair first");
            Assert.AreEqual(fullwidthA, g.Edges[0].Caller);
            Assert.AreEqual(emoji, g.Edges[1].Caller);
            Assert.IsTrue(Utf8Ordinal.Instance.Compare(fullwidthA, emoji) < 0);
            Assert.IsTrue(Utf8Ordinal.Instance.Compare(emoji, fullwidthA) > 0);
        }

        [TestMethod]
        public void Utf8OrdinalEqualsUtf8ByteOrder()
        {
            var strings = new[]
            {
                "", "a", "ab", "b", "\u007f", "\u0080", "\u00e9", "\u07ff", "\u0800", "\ud7ff", "\ue000", "\uff21",
                "\uffff", "\U00010000", "\U0001F600", "\U0010FFFF", "a\U0001F600", "a\uffff", "\uFF21\U0001F600",
            };

            var byUtf8Ordinal = strings.OrderBy(s => s, Utf8Ordinal.Instance).ToArray();
            var byBytes = strings.OrderBy(s => s, Comparer<string>.Create((x, y) => CompareBytes(Encoding.UTF8.GetBytes(x), Encoding.UTF8.GetBytes(y)))).ToArray();

            CollectionAssert.AreEqual(byBytes, byUtf8Ordinal);
            Assert.AreEqual(0, Utf8Ordinal.Instance.Compare("x", "x"));
            Assert.IsTrue(Utf8Ordinal.Instance.Compare(null, "") < 0);
            Assert.IsTrue(Utf8Ordinal.Instance.Compare("", null) > 0);
        }

        [TestMethod]
        public void CancellationIsHonoured()
        {
            using var cts = new System.Threading.CancellationTokenSource();
            cts.Cancel();
            var profile = new ProfileData(Count, new[] { S(1, Loc(1, (Fn("a"), 1))) });

            Assert.ThrowsExactly<OperationCanceledException>(() => CallGraphBuilder.Build(profile, 0, cts.Token));
        }

        private static int CompareBytes(byte[] x, byte[] y)
        {
            int n = Math.Min(x.Length, y.Length);
            for (int i = 0; i < n; i++)
            {
                if (x[i] != y[i])
                {
                    return x[i].CompareTo(y[i]);
                }
            }

            return x.Length.CompareTo(y.Length);
        }
    }
}
