using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Hints;
using Pgo.Build.Matching;
using Pgo.Build.Metadata;
using Pgo.Build.Mibc;
using Pgo.Build.RuntimePgo;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Consumers
{
    /// <summary>Code whose interface call receives generic instantiations (the test's own assembly is the "program").</summary>
    internal static class GenericReceivers
    {
        public static int CountAll(IEnumerable<int> items)
        {
            int n = 0;
            foreach (int item in items)
            {
                n += item > 0 ? 1 : 0;
            }

            return n;
        }

        public static int SidesOf(ISided shape) => shape.Sides();

        public interface ISided
        {
            int Sides();
        }

        public sealed class Polygon<T> : ISided
        {
            public int Sides() => 3;
        }

        public sealed class Crate<T>
        {
            public T? Item { get; set; }
        }

        public sealed class Bag<T> : IEnumerable<T>
        {
            private readonly List<T> _items = new List<T>();

            public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();

            IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
        }
    }

    /// <summary>
    /// Receiver types the runtime recorded as generic instantiations (a <c>List&lt;int&gt;</c> behind an
    /// <c>IEnumerable&lt;int&gt;</c>, LINQ's iterators, a user's generic collection) reach the .mibc as TypeSpecs of
    /// that exact instantiation, resolved against the program's metadata; what cannot be resolved is left out.
    /// </summary>
    [TestClass]
    public sealed class GenericReceiverTests
    {
        [TestMethod]
        public void Runtime_assembly_qualified_names_are_parsed_with_nested_arguments_and_arrays()
        {
            var name = QualifiedTypeName.Parse(typeof(Dictionary<string, KeyValuePair<int, string[]>>).AssemblyQualifiedName!)!;
            Assert.AreEqual("System.Private.CoreLib", name.Assembly);
            Assert.AreEqual("System.Collections.Generic.Dictionary`2", name.FullName);
            Assert.AreEqual(2, name.Arguments.Count);
            Assert.AreEqual("System.String", name.Arguments[0].FullName);
            Assert.AreEqual("System.Private.CoreLib", name.Arguments[0].Assembly);
            var pair = name.Arguments[1];
            Assert.AreEqual("System.Collections.Generic.KeyValuePair`2", pair.FullName);
            Assert.AreEqual("System.String", pair.Arguments[1].FullName);
            CollectionAssert.AreEqual(new[] { 1 }, pair.Arguments[1].ArrayRanks.ToArray());

            var nested = QualifiedTypeName.Parse(typeof(List<int>.Enumerator).AssemblyQualifiedName!)!;
            Assert.AreEqual("System.Collections.Generic.List`1+Enumerator", nested.FullName);
            Assert.AreEqual("System.Int32", nested.Arguments.Single().FullName);

            var unqualified = QualifiedTypeName.Parse("Ns.Outer`2[System.__Canon,System.Int64[,]]")!;
            Assert.AreEqual("", unqualified.Assembly);
            CollectionAssert.AreEqual(new[] { 2 }, unqualified.Arguments[1].ArrayRanks.ToArray());
        }

        [TestMethod]
        [DataRow("System.Collections.Generic.List`1[[System.Int32, System.Private.CoreLib]")]
        [DataRow("System.Collections.Generic.List`1[[System.Int32, System.Private.CoreLib]], ")]
        [DataRow("System.Int32*, System.Private.CoreLib")]
        [DataRow("Ns.Odd\\,Name`1[[System.Int32, System.Private.CoreLib]], App")]
        [DataRow("Ns.Type`1[[]], App")]
        [DataRow("")]
        public void Malformed_names_are_not_read(string text) => Assert.IsNull(QualifiedTypeName.Parse(text));

        [TestMethod]
        public void Deeply_nested_arguments_stop_at_the_depth_limit()
        {
            string text = string.Concat(Enumerable.Repeat("A`1[[", 40)) + "B, X" + string.Concat(Enumerable.Repeat("], X]", 40)) + ", X";
            Assert.IsNull(QualifiedTypeName.Parse(text));
        }

        [TestMethod]
        public void Generic_receiver_types_are_written_as_their_exact_instantiation()
        {
            string self = typeof(GenericReceivers).Assembly.Location;
            using var assembly = AssemblySymbols.TryOpen(self)!;
            var method = assembly.Methods().Single(m => m.MethodName == nameof(GenericReceivers.CountAll));
            int getEnumerator = IlReader.Read(assembly.GetIl(method.Token)).First(i => i.OpCode.Value == 0x6F).Offset;
            const int interfaceCall = unchecked((int)0xC0000000);
            RuntimeRecord Record(int kind, int index, string handle, long value) =>
                new RuntimeRecord(method.SystemName, method.Name, method.IlSize, method.IlHash, 0, "", 0, 0, kind, getEnumerator, interfaceCall, index, handle, value);
            var records = new[]
            {
                Record(InstrumentationKind.HandleHistogramIntCount, 0, "", 12),
                Record(InstrumentationKind.HandleHistogramTypes, 0, typeof(List<int>).AssemblyQualifiedName!, 6),
                Record(InstrumentationKind.HandleHistogramTypes, 1, typeof(GenericReceivers.Bag<int>).AssemblyQualifiedName!, 3),
                Record(InstrumentationKind.HandleHistogramTypes, 2, typeof(Dictionary<string, KeyValuePair<int, long>>.ValueCollection).AssemblyQualifiedName!, 2),
                Record(InstrumentationKind.HandleHistogramTypes, 3, "Nowhere.Missing`1[[System.Int32, System.Private.CoreLib]], Nowhere", 1),
            };
            string runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
            using var program = new ProgramMetadata(new[] { assembly }, Directory.GetFiles(runtime, "*.dll"));

            var written = MibcWriter.Write(assembly, new[] { new MatchedMethod(method, records) }, "generic-receivers.mibc", program.Definition);

            Assert.AreEqual(1, written.DroppedTypeSlots, "only the type no assembly of the program defines is left out");
            using var dir = new TempDir();
            var entry = MibcReader.Read(dir.Write("generic-receivers.mibc", written.Bytes)).Single();
            var table = entry.Records.Single(r => r.Kind == InstrumentationKind.HandleHistogramTypes);
            Assert.AreEqual(getEnumerator, table.IlOffset);
            var counts = table.Types.GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
            CollectionAssert.AreEquivalent(new[]
            {
                "System.Collections.Generic.List`1<int32>",
                "Pgo.Build.Tests.Consumers.GenericReceivers+Bag`1<int32>",
                "System.Collections.Generic.Dictionary`2+ValueCollection<string,System.Collections.Generic.KeyValuePair`2<int32,int64>>",
            }, counts.Keys.ToList(), string.Join("\n", counts.Keys));
            Assert.AreEqual(6, counts["System.Collections.Generic.List`1<int32>"]);

            // Without the program's definitions (a build that cannot read them) the instantiations are left out, as before.
            Assert.AreEqual(12, MibcWriter.Write(assembly, new[] { new MatchedMethod(method, records) }, "x.mibc").DroppedTypeSlots);
        }

        /// <summary>
        /// The application's stage end to end (hint file in, .mibc out): the framework's definitions come from the
        /// runtime running the build, and a generic receiver of the application's own is checked against the call's
        /// declaring type by its definition (<c>Polygon&lt;int&gt;</c> implements <c>ISided</c>; <c>Crate&lt;int&gt;</c>
        /// cannot arrive at <c>shape.Sides()</c> and is left out).
        /// </summary>
        [TestMethod]
        public void Application_stage_writes_generic_receivers_that_fit_the_call_and_leaves_out_those_that_cannot()
        {
            string self = typeof(GenericReceivers).Assembly.Location;
            using var assembly = AssemblySymbols.TryOpen(self)!;
            var countAll = assembly.Methods().Single(m => m.MethodName == nameof(GenericReceivers.CountAll));
            var sidesOf = assembly.Methods().Single(m => m.MethodName == nameof(GenericReceivers.SidesOf));
            IEnumerable<RuntimeRecord> Site(MethodSymbol method, params (string Type, long Slots)[] types)
            {
                int at = IlReader.Read(assembly.GetIl(method.Token)).First(i => i.OpCode.Value == 0x6F).Offset;
                RuntimeRecord Record(int kind, int index, string handle, long value) =>
                    new RuntimeRecord(method.SystemName, method.Name, method.IlSize, method.IlHash, 0, "", 0, 0, kind, at, unchecked((int)0xC0000000), index, handle, value);
                yield return Record(InstrumentationKind.HandleHistogramIntCount, 0, "", types.Sum(t => t.Slots));
                for (int i = 0; i < types.Length; i++)
                {
                    yield return Record(InstrumentationKind.HandleHistogramTypes, i, types[i].Type, types[i].Slots);
                }
            }

            var records = Site(countAll, (typeof(List<int>).AssemblyQualifiedName!, 5))
                .Concat(Site(sidesOf, (typeof(GenericReceivers.Polygon<int>).AssemblyQualifiedName!, 4), (typeof(GenericReceivers.Crate<int>).AssemblyQualifiedName!, 3)))
                .ToList();
            using var dir = new TempDir();
            dir.Write(HintFileNames.DevirtHints, RuntimeRecordFiles.WriteDevirtHints(records, new HintProvenance("hand-made", "samples/count", 99)));

            var outcome = MibcStage.Run(self, dir.Path);

            Assert.IsNotNull(outcome.MibcPath, outcome.Summary);
            Assert.AreEqual(3, outcome.Written!.DroppedTypeSlots, outcome.Summary);
            var entries = MibcReader.Read(outcome.MibcPath!);
            string[] Types(string method) => entries.Single(e => e.Method.Contains("::" + method + "(", StringComparison.Ordinal))
                .Records.Single(r => r.Kind == InstrumentationKind.HandleHistogramTypes).Types.Distinct().ToArray();
            CollectionAssert.AreEqual(new[] { "System.Collections.Generic.List`1<int32>" }, Types(nameof(GenericReceivers.CountAll)));
            CollectionAssert.AreEqual(new[] { "Pgo.Build.Tests.Consumers.GenericReceivers+Polygon`1<int32>" }, Types(nameof(GenericReceivers.SidesOf)));
        }
    }
}
