using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Caching;
using Pgo.Build.CallGraph;
using Pgo.Build.Engine;
using Pgo.Build.Hints;
using Pgo.Build.IO;

namespace Pgo.Build.Tests.Unit
{
    [TestClass]
    public sealed class FormatTests
    {
        private const string Sha = "f021feb8375fc3ace6eddf03a91a80cfdd8a85bdb2db7d4ae4149e91944012ff";

        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false);

        [TestMethod]
        [DataRow("plain.Name", "plain.Name")]
        [DataRow("a\\b", "a\\\\b")]
        [DataRow("a\tb", "a\\tb")]
        [DataRow("a\nb", "a\\nb")]
        [DataRow("a\rb", "a\\rb")]
        [DataRow("x\\ty", "x\\\\ty")]
        [DataRow("\\\t\n\r", "\\\\\\t\\n\\r")]
        [DataRow("", "")]
        [DataRow("é \U0001F600 #: ", "é \U0001F600 #: ")]
        public void FieldTextEscapesAndRoundTrips(string raw, string escaped)
        {
            Assert.AreEqual(escaped, FieldText.Escape(raw));
            Assert.AreEqual(raw, FieldText.Unescape(escaped));
        }

        [TestMethod]
        public void FieldTextKeepsUnknownAndTrailingBackslashes()
        {
            Assert.AreEqual("a\\qb", FieldText.Unescape("a\\qb"));
            Assert.AreEqual("a\\", FieldText.Unescape("a\\"));
        }

        [TestMethod]
        public void TextTableWritesTheDocumentedShapeAndParsesItBack()
        {
            var table = new TextTable("PGO-TEST V1")
                .Meta("key", "value: with colon")
                .Meta("empty", "")
                .Row("a", "b\tc", "")
                .Row("line\nbreak", "back\\slash", "cr\r");

            byte[] bytes = table.ToBytes();

            Assert.AreEqual(
                "PGO-TEST V1\n# key: value: with colon\n# empty: \na\tb\\tc\t\nline\\nbreak\tback\\\\slash\tcr\\r\n",
                Utf8.GetString(bytes));
            Assert.IsFalse(bytes.Take(3).SequenceEqual(new byte[] { 0xef, 0xbb, 0xbf }), "no BOM");
            var parsed = TextTable.Parse(Utf8.GetString(bytes), "PGO-TEST V1");
            Assert.AreEqual("PGO-TEST V1", parsed.Format);
            CollectionAssert.AreEqual(table.Metadata, parsed.Metadata);
            Assert.AreEqual(2, parsed.Rows.Count);
            CollectionAssert.AreEqual(table.Rows[0], parsed.Rows[0]);
            CollectionAssert.AreEqual(table.Rows[1], parsed.Rows[1]);
            Assert.AreEqual("value: with colon", parsed.Get("key"));
            Assert.AreEqual("", parsed.Get("empty"));
            Assert.IsNull(parsed.Get("missing"));
        }

        [TestMethod]
        public void TextTableRowWhoseFirstFieldStartsWithHashIsNotTakenForMetadata()
        {
            var table = new TextTable("PGO-TEST V1").Row("# not metadata: really", "#second").Row("#x", "y");

            string text = Utf8.GetString(table.ToBytes());

            Assert.AreEqual("PGO-TEST V1\n\\# not metadata: really\t#second\n\\#x\ty\n", text);
            var parsed = TextTable.Parse(text, "PGO-TEST V1");
            Assert.AreEqual(0, parsed.Metadata.Count);
            Assert.AreEqual(2, parsed.Rows.Count);
            CollectionAssert.AreEqual(new[] { "# not metadata: really", "#second" }, parsed.Rows[0]);
            CollectionAssert.AreEqual(new[] { "#x", "y" }, parsed.Rows[1]);
        }

        [TestMethod]
        public void TextTableParseSkipsBlankAndNonMetadataCommentLines()
        {
            var parsed = TextTable.Parse("F V1\n\n#note\n# k: v\nx\ty\n", "F V1");

            Assert.AreEqual(1, parsed.Metadata.Count);
            Assert.AreEqual("v", parsed.Get("k"));
            Assert.AreEqual(1, parsed.Rows.Count);
            CollectionAssert.AreEqual(new[] { "x", "y" }, parsed.Rows[0]);
        }

        [TestMethod]
        [DataRow("samples/count\nE\t0\t999\tinjected\tedge")]
        [DataRow("x\r# key: forged")]
        [DataRow("tab\tstays, back\\slash, \\n literal, \\")]
        [DataRow("ends with a backslash\\")]
        [DataRow("\n")]
        public void TextTableMetadataValuesAreEscapedSoNoValueInjectsARowOrAKey(string value)
        {
            var table = new TextTable("PGO-TEST V1").Meta("sample-type", value).Meta("after", "x").Row("a", "b");

            string text = Utf8.GetString(table.ToBytes());
            var parsed = TextTable.Parse(text, "PGO-TEST V1");

            Assert.AreEqual(4, text.Split('\n').Length - 1, "one line per metadata entry and row:\n" + text);
            Assert.AreEqual(2, parsed.Metadata.Count, text);
            Assert.AreEqual(value, parsed.Get("sample-type"));
            Assert.AreEqual("x", parsed.Get("after"));
            Assert.AreEqual(1, parsed.Rows.Count, text);
        }

        [TestMethod]
        public void TextTableMetadataKeepsTabsReadableAndEscapesLineBreaks()
        {
            string text = Utf8.GetString(new TextTable("PGO-TEST V1").Meta("columns", "a\tb").Meta("v", "1\n2\\3").ToBytes());

            Assert.AreEqual("PGO-TEST V1\n# columns: a\tb\n# v: 1\\n2\\\\3\n", text);
        }

        [TestMethod]
        public void TextTableRoundTripsEveryAwkwardValueAsMetadataAndAsField()
        {
            var awkward = new[] { "", "\\", "\\\\", "\\n", "\\#", "#", "# k: v", "\t", "\r\n", "a\\tb", "x: y", " lead and trail ", "\u00e9\U0001F600", "\\r\\t\\\\" };
            foreach (var a in awkward)
            {
                foreach (var b in awkward)
                {
                    string value = a + b;
                    var table = new TextTable("PGO-TEST V1").Meta("k", value).Row(value, value).Row("#" + value, "z");

                    var parsed = TextTable.Parse(Utf8.GetString(table.ToBytes()), "PGO-TEST V1");

                    Assert.AreEqual(value, parsed.Get("k"), "metadata: " + value);
                    Assert.AreEqual(2, parsed.Rows.Count, value);
                    CollectionAssert.AreEqual(new[] { value, value }, parsed.Rows[0], "fields: " + value);
                    CollectionAssert.AreEqual(new[] { "#" + value, "z" }, parsed.Rows[1], "fields: " + value);
                }
            }
        }

        [TestMethod]
        public void HintFileWithASampleTypeHoldingANewlineReadsBackItsOwnRowsOnly()
        {
            using var dir = new TempDir();
            var provenance = new HintProvenance(Sha, "cpu/nanoseconds\ncaller\t1\tinjected\t999", 99);
            var edges = new[] { new CallEdge("A", "B", 3, 10) };
            string path = dir.Write(HintFileNames.InlineHints, InlineHintsFile.Write(edges, 10, true, provenance));

            var back = InlineHintsFile.Read(path);

            Assert.AreEqual(1, back.Count);
            Assert.AreEqual("A", back[0].Caller);
            Assert.AreEqual(provenance.SampleType, TextTable.Read(path, InlineHintsFile.FormatName).Get("sample-type"));
        }

        [TestMethod]
        public void TextTableRejectsAnotherFormat()
        {
            var e = Assert.ThrowsExactly<FormatException>(() => TextTable.Parse("PGO-OTHER V1\n", "PGO-TEST V1"));

            Assert.AreEqual("expected first line 'PGO-TEST V1', found 'PGO-OTHER V1'", e.Message);
            Assert.AreEqual("expected first line 'PGO-TEST V1', found ''",
                Assert.ThrowsExactly<FormatException>(() => TextTable.Parse("", "PGO-TEST V1")).Message);
        }

        private static WeightedCallGraph LineLevelGraph() =>
            new WeightedCallGraph(
                "samples/count",
                37,
                130,
                true,
                new[]
                {
                    new CallEdge("example.com/pgo/inline.A", "example.com/pgo/inline.(*BS).NS", 7, 129),
                    new CallEdge("example.com/pgo/inline.(*BS).NS", "example.com/pgo/inline.T", 8, 3),
                    new CallEdge("neg", "x", -2, 1),
                },
                new[]
                {
                    new FunctionWeight("example.com/pgo/inline.(*BS).NS", 124, 129),
                    new FunctionWeight("example.com/pgo/inline.T", 5, 5),
                });

        private static WeightedCallGraph MethodLevelGraph() =>
            new WeightedCallGraph(
                "cpu/nanoseconds",
                3,
                30_000_000,
                false,
                new[]
                {
                    new CallEdge("N!Type.<Outer>g__Local|0_0", "weird\tname\nwith\\escapes\r", null, 20_000_000),
                    new CallEdge("\U0001F600.caller", "callee", null, 10_000_000),
                },
                new[]
                {
                    new FunctionWeight("weird\tname\nwith\\escapes\r", 20_000_000, 20_000_000),
                    new FunctionWeight("N!Type.<Outer>g__Local|0_0", 0, 20_000_000),
                });

        private static void AssertSameGraph(WeightedCallGraph expected, WeightedCallGraph actual)
        {
            Assert.AreEqual(expected.SampleType, actual.SampleType);
            Assert.AreEqual(expected.SampleCount, actual.SampleCount);
            Assert.AreEqual(expected.SampleValue, actual.SampleValue);
            Assert.AreEqual(expected.HasStartLines, actual.HasStartLines);
            Assert.AreEqual(expected.TotalWeight, actual.TotalWeight);
            Assert.AreEqual(expected.Edges.Count, actual.Edges.Count);
            for (int i = 0; i < expected.Edges.Count; i++)
            {
                Assert.AreEqual(expected.Edges[i].Caller, actual.Edges[i].Caller);
                Assert.AreEqual(expected.Edges[i].Callee, actual.Edges[i].Callee);
                Assert.AreEqual(expected.Edges[i].Offset, actual.Edges[i].Offset);
                Assert.AreEqual(expected.Edges[i].Weight, actual.Edges[i].Weight);
            }

            Assert.AreEqual(expected.Functions.Count, actual.Functions.Count);
            for (int i = 0; i < expected.Functions.Count; i++)
            {
                Assert.AreEqual(expected.Functions[i].Name, actual.Functions[i].Name);
                Assert.AreEqual(expected.Functions[i].Flat, actual.Functions[i].Flat);
                Assert.AreEqual(expected.Functions[i].Cum, actual.Functions[i].Cum);
            }
        }

        /// <summary>An entry's text with its checksum line made to fit its (edited) content: to test the checks behind the checksum.</summary>
        private static string Reseal(string text)
        {
            int first = text.IndexOf('\n');
            int second = text.IndexOf('\n', first + 1);
            string body = text.Substring(second + 1);
            return text.Substring(0, first) + "\n# content-sha256: " + Sha256Hex.Of(body) + "\n" + body;
        }

        [TestMethod]
        public void GraphFileHasTheDocumentedLayout()
        {
            var text = Utf8.GetString(GraphFile.Write(LineLevelGraph(), Sha));

            string body = text.Substring(text.IndexOf("# profile-sha256", StringComparison.Ordinal));
            Assert.AreEqual(
                "PGO-GRAPH V3\n" +
                "# content-sha256: " + Sha256Hex.Of(body) + "\n" +
                "# profile-sha256: " + Sha + "\n" +
                "# sample-type: samples/count\n" +
                "# samples: 37\n" +
                "# sample-value: 130\n" +
                "# start-lines: yes\n" +
                "# functions: 2\n" +
                "# edges: 3\n" +
                "# runtime-records: 0\n" +
                "# frame-names: 2 0 0 129 0 -\n" +
                "F\t124\t129\texample.com/pgo/inline.(*BS).NS\n" +
                "F\t5\t5\texample.com/pgo/inline.T\n" +
                "E\t7\t129\texample.com/pgo/inline.A\texample.com/pgo/inline.(*BS).NS\n" +
                "E\t8\t3\texample.com/pgo/inline.(*BS).NS\texample.com/pgo/inline.T\n" +
                "E\t-2\t1\tneg\tx\n",
                text);
        }

        [TestMethod]
        public void GraphFileRoundTripsALineLevelGraph()
        {
            var graph = LineLevelGraph();

            var back = GraphFile.Read(Utf8.GetString(GraphFile.Write(graph, Sha)), Sha);

            AssertSameGraph(graph, back);
        }

        [TestMethod]
        public void GraphFileRoundTripsAMethodLevelGraphWithAwkwardNames()
        {
            var graph = MethodLevelGraph();
            var text = Utf8.GetString(GraphFile.Write(graph, Sha));

            var back = GraphFile.Read(text, Sha);

            StringAssert.Contains(text, "# start-lines: no\n");
            StringAssert.Contains(text, "E\t-\t20000000\tN!Type.<Outer>g__Local|0_0\tweird\\tname\\nwith\\\\escapes\\r\n");
            AssertSameGraph(graph, back);
            Assert.IsNull(back.Edges[0].Offset);
        }

        [TestMethod]
        public void GraphFileRoundTripsTheEmptyGraph()
        {
            var back = GraphFile.Read(Utf8.GetString(GraphFile.Write(WeightedCallGraph.Empty, Sha)), Sha);

            AssertSameGraph(WeightedCallGraph.Empty, back);
        }

        [TestMethod]
        public void GraphFileRejectsAnEntryOfAnotherProfile()
        {
            var text = Utf8.GetString(GraphFile.Write(LineLevelGraph(), Sha));

            var e = Assert.ThrowsExactly<FormatException>(() => GraphFile.Read(text, new string('0', 64)));

            Assert.AreEqual("cache entry belongs to another profile", e.Message);
        }

        [TestMethod]
        public void GraphFileRejectsAnEntryMissingItsLastRow()
        {
            var text = Utf8.GetString(GraphFile.Write(LineLevelGraph(), Sha));
            var cut = text.Substring(0, text.TrimEnd('\n').LastIndexOf('\n') + 1);

            var e = Assert.ThrowsExactly<FormatException>(() => GraphFile.Read(cut, Sha));
            var resealed = Assert.ThrowsExactly<FormatException>(() => GraphFile.Read(Reseal(cut), Sha));

            Assert.AreEqual("checksum mismatch: the entry changed after it was written", e.Message);
            Assert.AreEqual("cache entry is incomplete", resealed.Message);
        }

        [TestMethod]
        public void GraphFileRejectsARowCutShort()
        {
            var text = Utf8.GetString(GraphFile.Write(LineLevelGraph(), Sha));
            var cut = text.Substring(0, text.IndexOf("\tneg\tx\n", StringComparison.Ordinal)) + "\n";

            var e = Assert.ThrowsExactly<FormatException>(() => GraphFile.Read(Reseal(cut), Sha));

            Assert.AreEqual("unexpected row in cache entry", e.Message);
        }

        /// <summary>
        /// Damage that still parses (a flipped byte inside a function name, a changed weight, a changed count): the
        /// checksum rejects every single-byte change of every position of the entry.
        /// </summary>
        [TestMethod]
        public void GraphFileRejectsEveryFlippedByteAndEveryChangedDigit()
        {
            foreach (var graph in new[] { LineLevelGraph(), MethodLevelGraph() })
            {
                byte[] good = GraphFile.Write(graph, Sha);
                for (int i = 0; i < good.Length; i++)
                {
                    foreach (byte mask in new byte[] { 0x01, 0x20 })
                    {
                        byte[] bad = (byte[])good.Clone();
                        bad[i] ^= mask;
                        Assert.ThrowsExactly<FormatException>(() => GraphFile.ReadProfile(bad, Sha), $"byte {i} ^ 0x{mask:x2} was accepted");
                    }
                }
            }

            var text = Utf8.GetString(GraphFile.Write(LineLevelGraph(), Sha));
            var renamed = text.Replace("inline.T\n", "inline.U\n");
            var reweighted = text.Replace("F\t5\t5\t", "F\t6\t5\t");
            Assert.AreNotEqual(text, renamed);
            Assert.AreNotEqual(text, reweighted);
            Assert.AreEqual("inline.U", GraphFile.Read(Reseal(renamed), Sha).Functions[1].Name.Substring(16), "the edit itself parses");
            Assert.AreEqual(6L, GraphFile.Read(Reseal(reweighted), Sha).Functions[1].Flat, "the edit itself parses");
            Assert.AreEqual("checksum mismatch: the entry changed after it was written", Assert.ThrowsExactly<FormatException>(() => GraphFile.Read(renamed, Sha)).Message);
            Assert.AreEqual("checksum mismatch: the entry changed after it was written", Assert.ThrowsExactly<FormatException>(() => GraphFile.Read(reweighted, Sha)).Message);
        }

        [TestMethod]
        public void GraphFileWithoutChecksumLineIsRejected()
        {
            var text = Utf8.GetString(GraphFile.Write(LineLevelGraph(), Sha));
            var withoutChecksum = string.Join("\n", text.Split('\n').Where(l => !l.StartsWith("# content-sha256: ", StringComparison.Ordinal)));

            Assert.AreEqual("cache entry has no checksum line", Assert.ThrowsExactly<FormatException>(() => GraphFile.Read(withoutChecksum, Sha)).Message);
            Assert.AreEqual("expected first line 'PGO-GRAPH V3', found 'PGO-GRAPH V2'",
                Assert.ThrowsExactly<FormatException>(() => GraphFile.Read(text.Replace("PGO-GRAPH V3", "PGO-GRAPH V2"), Sha)).Message);
        }

        [TestMethod]
        public void GraphFileRejectsEveryTruncation()
        {
            foreach (var graph in new[] { LineLevelGraph(), MethodLevelGraph(), WeightedCallGraph.Empty })
            {
                var text = Utf8.GetString(GraphFile.Write(graph, Sha));
                for (int n = 0; n < text.Length; n++)
                {
                    string cut = text.Substring(0, n);
                    Assert.ThrowsExactly<FormatException>(() => GraphFile.Read(cut, Sha), $"entry cut to {n} of {text.Length} chars was accepted");
                    if (cut.Split('\n').Length > 2)
                    {
                        // Behind the checksum, the entry's own counts and final newline still catch a cut.
                        Assert.ThrowsExactly<FormatException>(() => GraphFile.Read(Reseal(cut), Sha), $"resealed entry cut to {n} of {text.Length} chars was accepted");
                    }
                }
            }
        }

        [TestMethod]
        public void GraphFileRejectsANonNumber()
        {
            var text = Utf8.GetString(GraphFile.Write(LineLevelGraph(), Sha)).Replace("F\t5\t5\t", "F\t5\tfive\t");

            Assert.ThrowsExactly<FormatException>(() => GraphFile.Read(Reseal(text), Sha));
        }

        [TestMethod]
        public void InlineHintsFileWritesAndReadsBack()
        {
            using var dir = new TempDir();
            var graph = LineLevelGraph();
            var provenance = new HintProvenance(Sha, "samples/count", 99);

            string path = dir.Write("inline-hints.txt", InlineHintsFile.Write(graph.Edges, graph.TotalWeight, true, provenance));
            var back = InlineHintsFile.Read(path);

            Assert.AreEqual(
                "PGO-INLINE-HINTS V1\n# profile-sha256: " + Sha + "\n# sample-type: samples/count\n# threshold: 99\n" +
                "# total-weight: 133\n# line-offsets: yes\n# columns: caller\toffset\tcallee\tweight\n" +
                "example.com/pgo/inline.A\t7\texample.com/pgo/inline.(*BS).NS\t129\n" +
                "example.com/pgo/inline.(*BS).NS\t8\texample.com/pgo/inline.T\t3\n" +
                "neg\t-2\tx\t1\n",
                File.ReadAllText(path, Utf8));
            Assert.AreEqual(string.Join("; ", graph.Edges), string.Join("; ", back));
        }

        [TestMethod]
        public void InlineHintsFileOfAMethodLevelGraph()
        {
            using var dir = new TempDir();
            var graph = MethodLevelGraph();
            var provenance = new HintProvenance(Sha, "cpu/nanoseconds", 90.5);

            string path = dir.Write("inline-hints.txt", InlineHintsFile.Write(graph.Edges, graph.TotalWeight, false, provenance));
            var back = InlineHintsFile.Read(path);
            var text = File.ReadAllText(path, Utf8);

            StringAssert.Contains(text, "# threshold: 90.5\n");
            StringAssert.Contains(text, "# line-offsets: no\n");
            Assert.AreEqual(2, back.Count);
            Assert.AreEqual("N!Type.<Outer>g__Local|0_0", back[0].Caller);
            Assert.AreEqual("weird\tname\nwith\\escapes\r", back[0].Callee);
            Assert.IsNull(back[0].Offset);
            Assert.AreEqual(20_000_000L, back[0].Weight);
            Assert.AreEqual("\U0001F600.caller", back[1].Caller);
        }

        [TestMethod]
        public void HotFunctionsFileWritesAndReadsBack()
        {
            using var dir = new TempDir();
            var hot = new[] { new FunctionWeight("example.com/pgo/inline.(*BS).NS", 124, 129), new FunctionWeight("a\tb", 5, 5) };

            string path = dir.Write("hot-functions.txt", HotFunctionsFile.Write(hot, 130, new HintProvenance(Sha, "", 99)));
            var back = HotFunctionsFile.Read(path);

            Assert.AreEqual(
                "PGO-HOT-FUNCTIONS V1\n# profile-sha256: " + Sha + "\n# sample-type: -\n# threshold: 99\n" +
                "# total-flat: 130\n# columns: flat\tflat%\tcum\tfunction\n" +
                "124\t95.38\t129\texample.com/pgo/inline.(*BS).NS\n" +
                "5\t3.85\t5\ta\\tb\n",
                File.ReadAllText(path, Utf8));
            Assert.AreEqual(2, back.Count);
            Assert.AreEqual("example.com/pgo/inline.(*BS).NS", back[0].Name);
            Assert.AreEqual(124L, back[0].Flat);
            Assert.AreEqual(129L, back[0].Cum);
            Assert.AreEqual("a\tb", back[1].Name);
            Assert.AreEqual(5L, back[1].Flat);
        }

        [TestMethod]
        public void HintFileReadersCheckFormatAndFieldCount()
        {
            using var dir = new TempDir();
            string wrongFormat = dir.Write("a.txt", Utf8.GetBytes("PGO-HOT-FUNCTIONS V1\n"));
            string wrongFields = dir.Write("b.txt", Utf8.GetBytes("PGO-INLINE-HINTS V1\na\t1\tb\n"));

            Assert.ThrowsExactly<FormatException>(() => InlineHintsFile.Read(wrongFormat));
            var e = Assert.ThrowsExactly<FormatException>(() => InlineHintsFile.Read(wrongFields));
            Assert.AreEqual(wrongFields + ": expected 4 tab-separated fields, found 3", e.Message);
        }

        [TestMethod]
        public void GoPreprofileFormatWritesGoText()
        {
            var graph = new WeightedCallGraph("samples/count", 1, 1, true, new[] { new CallEdge("a.A", "a.B", 7, 129), new CallEdge("a.B", "a.C", -1, 2) }, new FunctionWeight[0]);

            Assert.AreEqual("GO PREPROFILE V1\na.A\na.B\n7 129\na.B\na.C\n-1 2\n", Utf8.GetString(GoPreprofileFormat.Write(graph)));
            Assert.AreEqual("GO PREPROFILE V1\n", Utf8.GetString(GoPreprofileFormat.Write(WeightedCallGraph.Empty)));
        }

        [TestMethod]
        public void GoPreprofileFormatRefusesAMethodLevelGraph()
        {
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => GoPreprofileFormat.Write(MethodLevelGraph()));

            Assert.AreEqual("Go rejects profiles without Function.start_line; a method-level graph has no Go preprofile form.", e.Message);
        }

        [TestMethod]
        public void Sha256HexIsLowerCaseHex()
        {
            Assert.AreEqual("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Sha256Hex.Of(new byte[0]));
            Assert.AreEqual("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Sha256Hex.Of("abc"));
            Assert.AreEqual(Sha, Sha256Hex.Of(File.ReadAllBytes(TestData.InlineHot)));
        }

        [TestMethod]
        public void AtomicWriteIfChangedWritesOnlyChangesAndLeavesNoTemporaryFiles()
        {
            using var dir = new TempDir();
            string path = dir.Combine("sub", "f.txt");

            Assert.IsTrue(AtomicFile.WriteIfChanged(path, new byte[] { 1, 2 }));
            var old = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
            File.SetLastWriteTimeUtc(path, old);
            Assert.IsFalse(AtomicFile.WriteIfChanged(path, new byte[] { 1, 2 }));
            Assert.AreEqual(old, File.GetLastWriteTimeUtc(path));
            Assert.IsTrue(AtomicFile.WriteIfChanged(path, new byte[] { 1, 3 }));

            CollectionAssert.AreEqual(new byte[] { 1, 3 }, File.ReadAllBytes(path));
            CollectionAssert.AreEqual(new[] { "f.txt" }, Directory.GetFiles(dir.Combine("sub")).Select(Path.GetFileName).ToArray());
        }

        private static string RunEngine(string profile, string file)
        {
            using var dir = new TempDir();
            string copy = dir.Copy(profile, "profile.pprof");
            PgoEngine.Run(new PgoRequest(copy, dir.Combine("out"), dir.Combine("cache")), new RecordingLog());
            return File.ReadAllText(dir.Combine("out", file), Utf8);
        }

        [TestMethod]
        public void GoldenInlineHotInlineHints() =>
            Golden.Verify("inline_hot.inline-hints", RunEngine(TestData.InlineHot, HintFileNames.InlineHints));

        [TestMethod]
        public void GoldenInlineHotHotFunctions() =>
            Golden.Verify("inline_hot.hot-functions", RunEngine(TestData.InlineHot, HintFileNames.HotFunctions));

        [TestMethod]
        public void GoldenDevirtInlineHints() =>
            Golden.Verify("devirt.inline-hints", RunEngine(TestData.Devirt, HintFileNames.InlineHints));

        [TestMethod]
        public void GoldenDevirtHotFunctions() =>
            Golden.Verify("devirt.hot-functions", RunEngine(TestData.Devirt, HintFileNames.HotFunctions));
    }
}
