using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.CallGraph;

namespace Pgo.Build.Tests.Unit
{
    [TestClass]
    public sealed class HotSelectionTests
    {
        [TestMethod]
        [DataRow(new long[] { 50, 30, 15, 5 }, 100L, 90.0, 3)]   // 50%, 80%, 95% > 90: the crossing entry is included
        [DataRow(new long[] { 50, 30, 15, 5 }, 100L, 79.0, 2)]
        [DataRow(new long[] { 50, 30, 15, 5 }, 100L, 10.0, 1)]
        [DataRow(new long[] { 50, 30, 15, 5 }, 100L, 100.0, 4)]  // never exceeded: everything
        [DataRow(new long[] { 50, 25, 25 }, 100L, 50.0, 2)]      // exactly 50% is not > 50
        [DataRow(new long[] { 50, 25, 25 }, 100L, 75.0, 3)]      // exactly 75% is not > 75
        [DataRow(new long[] { 129, 3, 2, 1 }, 135L, 99.0, 3)]    // inline_hot: 95.6, 97.8, 99.26 > 99
        [DataRow(new long[] { 129, 3, 2, 1 }, 135L, 90.0, 1)]
        [DataRow(new long[] { 0, 0, 0 }, 0L, 99.0, 3)]           // total 0: 0/0 is NaN, never > threshold: all
        [DataRow(new long[] { }, 0L, 99.0, 0)]
        public void CountHot(long[] weights, long total, double threshold, int expected)
        {
            Assert.AreEqual(expected, HotSelection.CountHot(weights, total, threshold));
        }

        [TestMethod]
        public void WeightInPercentageIsGoArithmetic()
        {
            Assert.AreEqual(50.0, HotSelection.WeightInPercentage(1, 2));
            Assert.AreEqual((134.0 / 135) * 100, HotSelection.WeightInPercentage(134, 135));
            Assert.IsTrue(double.IsNaN(HotSelection.WeightInPercentage(0, 0)));
        }

        [TestMethod]
        public void HotCallSitesIsThePrefixOfTheEdges()
        {
            var graph = new WeightedCallGraph("samples/count", 4, 10, true, new[]
            {
                new CallEdge("a", "b", 1, 6),
                new CallEdge("a", "c", 2, 3),
                new CallEdge("b", "c", 3, 1),
            }, new FunctionWeight[0]);

            Assert.AreEqual(10L, graph.TotalWeight);
            Assert.AreEqual("a +1 -> b (6)", string.Join("; ", HotSelection.HotCallSites(graph, 50)));
            Assert.AreEqual("a +1 -> b (6); a +2 -> c (3)", string.Join("; ", HotSelection.HotCallSites(graph, 60)));
            Assert.AreEqual(3, HotSelection.HotCallSites(graph, 100).Count);
            Assert.AreEqual(0, HotSelection.HotCallSites(WeightedCallGraph.Empty, 99).Count);
        }

        [TestMethod]
        public void HotFunctionsUseFlatWeightAndNeverIncludeFunctionsWithoutIt()
        {
            var graph = new WeightedCallGraph("samples/count", 4, 10, true, new CallEdge[0], new[]
            {
                new FunctionWeight("f", 6, 6),
                new FunctionWeight("g", 3, 9),
                new FunctionWeight("h", 1, 1),
                new FunctionWeight("main", 0, 10),
            });

            Assert.AreEqual("f", string.Join(",", HotSelection.HotFunctions(graph, 50).Select(f => f.Name)));
            Assert.AreEqual("f,g", string.Join(",", HotSelection.HotFunctions(graph, 89).Select(f => f.Name)));
            Assert.AreEqual("f,g,h", string.Join(",", HotSelection.HotFunctions(graph, 100).Select(f => f.Name)));
        }

        [TestMethod]
        [DataRow("99", 99.0)]
        [DataRow("90.5", 90.5)]
        [DataRow(" 50 ", 50.0)]
        [DataRow("100", 100.0)]
        [DataRow("0.001", 0.001)]
        [DataRow("", 99.0)]
        [DataRow("   ", 99.0)]
        [DataRow(null, 99.0)]
        public void TryParseThresholdAccepts(string? text, double expected)
        {
            Assert.IsTrue(HotSelection.TryParseThreshold(text, out double threshold));
            Assert.AreEqual(expected, threshold);
        }

        [TestMethod]
        [DataRow("0")]
        [DataRow("101")]
        [DataRow("100.0001")]
        [DataRow("abc")]
        [DataRow("-1")]
        [DataRow("NaN")]
        [DataRow("Infinity")]
        [DataRow("99%")]
        [DataRow("90,5")]
        public void TryParseThresholdRejects(string text)
        {
            Assert.IsFalse(HotSelection.TryParseThreshold(text, out _));
        }
    }
}
