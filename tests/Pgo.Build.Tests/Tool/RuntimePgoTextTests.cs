using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.RuntimePgo;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Tool
{
    /// <summary>
    /// <see cref="RuntimePgoText"/> on texts in the format the runtime writes with <c>DOTNET_WritePGOData=1</c>
    /// (dotnet/runtime src/coreclr/vm/pgo.cpp: <c>%u</c> for 4-byte entries, <c>%u %u</c> (low, high half) for
    /// 8-byte entries, <c>TypeHandle: </c>/<c>MethodHandle: </c> lines, <c>None</c> for data-less kinds).
    /// </summary>
    [TestClass]
    public sealed class RuntimePgoTextTests
    {
        private const string FileHeader = "*** START PGO Data, max index = 197 ***";
        private const string FileTrailer = "*** END PGO Data ***";
        private const string SqType = "Sq, app, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null";
        private const string CircleType = "Circle, app, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null";

        private static IReadOnlyList<RuntimePgoMethod> Read(params string[] lines) =>
            RuntimePgoText.Read(new StringReader(string.Join("\n", lines) + "\n"));

        private static string[] SumMethod()
        {
            var lines = new List<string>
            {
                "@@@ codehash 0x68169036 methodhash 0xE074AAC6 ilSize 0x00000029 records 0x00000004",
                "MethodName: P.Sum",
                "Signature: float64  (class Shape[])",
                "Schema InstrumentationKind 385 ILOffset 16 Count 1 Other 33",
                "197",
                "Schema InstrumentationKind 177 ILOffset 22 Count 1 Other 2147483648",
                "32",
                "Schema InstrumentationKind 195 ILOffset 22 Count 32 Other 2147483648",
            };
            for (int i = 0; i < 32; i++)
            {
                // 20 Sq, 10 Circle, 2 empty slots.
                lines.Add("TypeHandle: " + (i < 20 ? SqType : i < 30 ? CircleType : "NULL"));
            }

            lines.Add("Schema InstrumentationKind 385 ILOffset 40 Count 1 Other 0");
            lines.Add("0");
            return lines.ToArray();
        }

        [TestMethod]
        public void Header_fields_name_and_signature_are_read()
        {
            var lines = new List<string> { FileHeader };
            lines.AddRange(SumMethod());
            lines.Add(FileTrailer);

            var methods = Read(lines.ToArray());

            Assert.AreEqual(1, methods.Count);
            var m = methods[0];
            Assert.AreEqual(0x68169036L, m.CodeHash);
            Assert.AreEqual(0xE074AAC6L, m.MethodHash, "hashes are unsigned 32-bit values, not sign-extended");
            Assert.AreEqual(0x29, m.IlSize);
            Assert.AreEqual("P.Sum", m.MethodName);
            Assert.AreEqual("float64  (class Shape[])", m.Signature, "the signature is kept verbatim, double space included");
            Assert.AreEqual("P", m.TypeName);
            Assert.AreEqual("Sum", m.SimpleName);
            Assert.AreEqual(4, m.Records.Count);
        }

        [TestMethod]
        public void Records_keep_kind_offset_other_and_counts()
        {
            var m = Read(SumMethod()).Single();

            var edge = m.Records[0];
            Assert.AreEqual(InstrumentationKind.EdgeIntCount, edge.Kind);
            Assert.AreEqual(16, edge.IlOffset);
            Assert.AreEqual(33L, edge.Other);
            CollectionAssert.AreEqual(new[] { 197L }, edge.Counts.ToArray());
            Assert.AreEqual(0, edge.Handles.Count);

            var callCount = m.Records[1];
            Assert.AreEqual(InstrumentationKind.HandleHistogramIntCount, callCount.Kind);
            Assert.AreEqual(22, callCount.IlOffset);
            Assert.AreEqual(2147483648L, callCount.Other, "Other is an unsigned 32-bit field");
            CollectionAssert.AreEqual(new[] { 32L }, callCount.Counts.ToArray());
            Assert.IsTrue(InstrumentationKind.IsCallRecord(callCount.Kind));
            Assert.IsFalse(InstrumentationKind.IsHandleTable(callCount.Kind));

            var last = m.Records[3];
            Assert.AreEqual(InstrumentationKind.EdgeIntCount, last.Kind);
            Assert.AreEqual(40, last.IlOffset);
            Assert.AreEqual(0L, last.Other);
            CollectionAssert.AreEqual(new[] { 0L }, last.Counts.ToArray());
            Assert.IsFalse(InstrumentationKind.IsCallRecord(last.Kind));
        }

        [TestMethod]
        public void Type_handle_table_keeps_every_entry_in_order_including_null()
        {
            var table = Read(SumMethod()).Single().Records[2];

            Assert.AreEqual(InstrumentationKind.HandleHistogramTypes, table.Kind);
            Assert.AreEqual(22, table.IlOffset);
            Assert.IsTrue(InstrumentationKind.IsHandleTable(table.Kind));
            Assert.IsTrue(InstrumentationKind.IsCallRecord(table.Kind));
            Assert.AreEqual(0, table.Counts.Count);
            Assert.AreEqual(32, table.Handles.Count);
            Assert.AreEqual(20, table.Handles.Count(h => h == SqType));
            Assert.AreEqual(10, table.Handles.Count(h => h == CircleType));
            CollectionAssert.AreEqual(new[] { "NULL", "NULL" }, table.Handles.Skip(30).ToArray());
            Assert.AreEqual(SqType, table.Handles[0], "the text after 'TypeHandle: ' is kept whole, commas included");
        }

        [TestMethod]
        public void Method_handle_tables_keep_name_type_pairs_null_and_unknown()
        {
            const string target = "Invoke|@|App.Handler, app, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null";
            var m = Read(
                "@@@ codehash 0x00000001 methodhash 0x00000002 ilSize 0x00000010 records 0x00000003",
                "MethodName: App.Dispatcher.Run",
                "Signature: void  (class System.Func`2<int32,int32>)",
                "Schema InstrumentationKind 177 ILOffset 5 Count 1 Other 0",
                "3",
                "Schema InstrumentationKind 196 ILOffset 5 Count 3 Other 0",
                "MethodHandle: " + target,
                "MethodHandle: NULL",
                "MethodHandle: UNKNOWN",
                "Schema InstrumentationKind 452 ILOffset 9 Count 1 Other 0",
                "MethodHandle: " + target).Single();

            Assert.AreEqual(3, m.Records.Count);
            var histogram = m.Records[1];
            Assert.AreEqual(InstrumentationKind.HandleHistogramMethods, histogram.Kind);
            CollectionAssert.AreEqual(new[] { target, "NULL", "UNKNOWN" }, histogram.Handles.ToArray());
            Assert.AreEqual(0, histogram.Counts.Count);
            var likely = m.Records[2];
            Assert.AreEqual(InstrumentationKind.GetLikelyMethod, likely.Kind);
            Assert.AreEqual(9, likely.IlOffset);
            CollectionAssert.AreEqual(new[] { target }, likely.Handles.ToArray());
            Assert.IsTrue(InstrumentationKind.IsHandleTable(InstrumentationKind.GetLikelyClass));
            Assert.IsTrue(InstrumentationKind.IsHandleTable(InstrumentationKind.GetLikelyMethod));
        }

        [TestMethod]
        public void Several_methods_text_between_them_and_empty_records_are_read()
        {
            var lines = new List<string> { FileHeader };
            lines.AddRange(SumMethod());
            lines.Add("");
            lines.Add("@@@ codehash 0x0000000A methodhash 0x0000000B ilSize 0x00000001 records 0x00000000");
            lines.Add("MethodName: Ns.T..ctor");
            lines.Add("Signature: instance void  ()");
            lines.Add("@@@ codehash 0x0000000C methodhash 0xFFFFFFFF ilSize 0x00000002 records 0x00000001");
            lines.Add("MethodName: Ns.T..cctor");
            lines.Add("Signature: void  ()");
            lines.Add("Schema InstrumentationKind 65 ILOffset 0 Count 1 Other 0");
            lines.Add("4294967295");
            lines.Add(FileTrailer);

            var methods = Read(lines.ToArray());

            CollectionAssert.AreEqual(new[] { "P.Sum", "Ns.T..ctor", "Ns.T..cctor" }, methods.Select(m => m.MethodName).ToArray());
            Assert.AreEqual(0, methods[1].Records.Count);
            Assert.AreEqual(0xAL, methods[1].CodeHash);
            Assert.AreEqual(0xFFFFFFFFL, methods[2].MethodHash);
            var block = methods[2].Records.Single();
            Assert.AreEqual(InstrumentationKind.BasicBlockIntCount, block.Kind);
            CollectionAssert.AreEqual(new[] { 4294967295L }, block.Counts.ToArray(), "4-byte counts are unsigned");
        }

        [TestMethod]
        public void Empty_text_and_text_without_methods_give_no_methods()
        {
            Assert.AreEqual(0, RuntimePgoText.Read(new StringReader("")).Count);
            Assert.AreEqual(0, Read(FileHeader, FileTrailer).Count);
        }

        [TestMethod]
        public void Eight_byte_entries_are_one_value_from_low_and_high_halves()
        {
            // pgo.cpp prints an 8-byte entry as two 32-bit halves: "%u %u" (low, high). ValueHistogram (0x242) and
            // EdgeLongCount (0x182) are 8-byte kinds; a 32-entry value histogram holds 32 values, not 16 pairs.
            var m = Read(
                "@@@ codehash 0x00000001 methodhash 0x00000002 ilSize 0x00000020 records 0x00000003",
                "MethodName: App.Buffers.Copy",
                "Signature: void  (uint8[],uint8[])",
                "Schema InstrumentationKind 561 ILOffset 12 Count 1 Other 0",
                "3",
                "Schema InstrumentationKind 578 ILOffset 12 Count 3 Other 0",
                "24 0",
                "24 0",
                "0 1",
                "Schema InstrumentationKind 386 ILOffset 30 Count 1 Other 40",
                "5 2").Single();

            var count = m.Records[0];
            Assert.AreEqual(InstrumentationKind.ValueHistogramIntCount, count.Kind);
            CollectionAssert.AreEqual(new[] { 3L }, count.Counts.ToArray());
            var values = m.Records[1];
            Assert.AreEqual(InstrumentationKind.ValueHistogram, values.Kind);
            CollectionAssert.AreEqual(new[] { 24L, 24L, 1L << 32 }, values.Counts.ToArray());
            var edge = m.Records[2];
            Assert.AreEqual(InstrumentationKind.EdgeLongCount, edge.Kind);
            CollectionAssert.AreEqual(new[] { 5L + (2L << 32) }, edge.Counts.ToArray());
        }

        // corjit.h: DescriptorMin = 0x40; data kinds FourByte 1, EightByte 2, TypeHandle 3, MethodHandle 4; AlignPointer 0x30.
        [TestMethod]
        [DataRow("BasicBlockIntCount", 0x40 * 1 | 1)]
        [DataRow("BasicBlockLongCount", 0x40 * 1 | 2)]
        [DataRow("HandleHistogramIntCount", 0x40 * 2 | 1 | 0x30)]
        [DataRow("HandleHistogramLongCount", 0x40 * 2 | 2)]
        [DataRow("HandleHistogramTypes", 0x40 * 3 | 3)]
        [DataRow("HandleHistogramMethods", 0x40 * 3 | 4)]
        [DataRow("Version", 0x40 * 4)]
        [DataRow("NumRuns", 0x40 * 5)]
        [DataRow("EdgeIntCount", 0x40 * 6 | 1)]
        [DataRow("EdgeLongCount", 0x40 * 6 | 2)]
        [DataRow("GetLikelyClass", 0x40 * 7 | 3)]
        [DataRow("GetLikelyMethod", 0x40 * 7 | 4)]
        [DataRow("ValueHistogramIntCount", 0x40 * 8 | 1 | 0x30)]
        [DataRow("ValueHistogramLongCount", 0x40 * 8 | 2)]
        [DataRow("ValueHistogram", 0x40 * 9 | 2)]
        public void Instrumentation_kind_constants_match_corjit(string name, int expected)
        {
            var field = typeof(InstrumentationKind).GetField(name);

            Assert.IsNotNull(field, name);
            Assert.AreEqual(expected, (int)field.GetValue(null)!, name);
        }

        [TestMethod]
        public void None_entries_of_data_less_kinds_are_accepted()
        {
            var m = Read(
                "@@@ codehash 0x00000001 methodhash 0x00000002 ilSize 0x00000004 records 0x00000002",
                "MethodName: App.C.M",
                "Signature: void  ()",
                "Schema InstrumentationKind 256 ILOffset 0 Count 1 Other 3",
                "None",
                "Schema InstrumentationKind 65 ILOffset 0 Count 1 Other 0",
                "7").Single();

            Assert.AreEqual(InstrumentationKind.Version, m.Records[0].Kind);
            Assert.AreEqual(3L, m.Records[0].Other);
            Assert.AreEqual(0, m.Records[0].Counts.Count);
            CollectionAssert.AreEqual(new[] { 7L }, m.Records[1].Counts.ToArray());
        }

        [TestMethod]
        public void Entries_of_unknown_data_kinds_have_no_lines()
        {
            // pgo.cpp's writer prints nothing for a data kind (low 4 bits) it does not know; the next line is the next schema.
            var m = Read(
                "@@@ codehash 0x00000001 methodhash 0x00000002 ilSize 0x00000004 records 0x00000002",
                "MethodName: App.C.M",
                "Signature: void  ()",
                "Schema InstrumentationKind 69 ILOffset 0 Count 2 Other 0",
                "Schema InstrumentationKind 65 ILOffset 3 Count 1 Other 0",
                "9").Single();

            Assert.AreEqual(2, m.Records.Count);
            Assert.AreEqual(0, m.Records[0].Counts.Count + m.Records[0].Handles.Count);
            Assert.AreEqual(3, m.Records[1].IlOffset);
            CollectionAssert.AreEqual(new[] { 9L }, m.Records[1].Counts.ToArray());
        }

        [TestMethod]
        public void Eight_byte_entry_needs_both_halves()
        {
            var e = ReadFails(
                "@@@ codehash 0x00000001 methodhash 0x00000002 ilSize 0x00000004 records 0x00000001",
                "MethodName: App.C.M",
                "Signature: void  ()",
                "Schema InstrumentationKind 386 ILOffset 0 Count 2 Other 4",
                "1 0",
                "17");

            StringAssert.StartsWith(e.Message, "line 6:");
            StringAssert.Contains(e.Message, "'17'");
        }

        [TestMethod]
        public void Reads_from_a_file_path()
        {
            using var dir = new TempDir();
            string path = dir.Write("pgo.txt", Encoding.UTF8.GetBytes(FileHeader + "\n" + string.Join("\n", SumMethod()) + "\n" + FileTrailer + "\n"));

            var methods = RuntimePgoText.Read(path);

            Assert.AreEqual("P.Sum", methods.Single().MethodName);
            Assert.AreEqual(4, methods[0].Records.Count);
        }

        [TestMethod]
        [DataRow("P.Sum", "P", "Sum")]
        [DataRow("App.Models.Shape.Area", "App.Models.Shape", "Area")]
        [DataRow("System.Collections.Generic.Dictionary`2[System.__Canon,System.Int32].FindValue",
            "System.Collections.Generic.Dictionary`2[System.__Canon,System.Int32]", "FindValue")]
        [DataRow("Ns.Outer`1+Inner[System.Collections.Generic.List`1[System.String]].Run",
            "Ns.Outer`1+Inner[System.Collections.Generic.List`1[System.String]]", "Run")]
        [DataRow("Ns.T..ctor", "Ns.T", ".ctor")]
        [DataRow("Ns.T..cctor", "Ns.T", ".cctor")]
        [DataRow("System.Collections.Generic.List`1[System.__Canon]..ctor", "System.Collections.Generic.List`1[System.__Canon]", ".ctor")]
        [DataRow("Program.<Main>$", "Program", "<Main>$")]
        [DataRow("Main", "", "Main")]
        public void Method_names_split_into_type_and_simple_name_outside_brackets(string methodName, string type, string simple)
        {
            var m = new RuntimePgoMethod(0, 0, 0, methodName, "void  ()", Array.Empty<RuntimePgoRecord>());

            Assert.AreEqual(type, m.TypeName);
            Assert.AreEqual(simple, m.SimpleName);
        }

        [TestMethod]
        public void Generic_method_name_from_text_splits_outside_brackets()
        {
            var m = Read(
                "@@@ codehash 0x00000001 methodhash 0x00000002 ilSize 0x00000004 records 0x00000000",
                "MethodName: System.Collections.Generic.Dictionary`2[System.__Canon,System.Int32].FindValue",
                "Signature: instance byref  (!0)").Single();

            Assert.AreEqual("System.Collections.Generic.Dictionary`2[System.__Canon,System.Int32]", m.TypeName);
            Assert.AreEqual("FindValue", m.SimpleName);
            Assert.AreEqual("instance byref  (!0)", m.Signature);
        }

        private static FormatException ReadFails(params string[] lines)
        {
            var e = Assert.ThrowsExactly<FormatException>(() => Read(lines));
            StringAssert.StartsWith(e.Message, "line ");
            return e;
        }

        [TestMethod]
        public void Missing_signature_line_names_the_line()
        {
            var e = ReadFails(
                FileHeader,
                "@@@ codehash 0x00000001 methodhash 0x00000002 ilSize 0x00000004 records 0x00000001",
                "MethodName: App.C.M",
                "Schema InstrumentationKind 65 ILOffset 0 Count 1 Other 0",
                "1");

            StringAssert.StartsWith(e.Message, "line 4:");
            StringAssert.Contains(e.Message, "Signature:");
        }

        [TestMethod]
        public void Missing_method_name_line_names_the_line()
        {
            var e = ReadFails(
                "@@@ codehash 0x00000001 methodhash 0x00000002 ilSize 0x00000004 records 0x00000000",
                "Signature: void  ()");

            StringAssert.StartsWith(e.Message, "line 2:");
            StringAssert.Contains(e.Message, "MethodName:");
        }

        [TestMethod]
        public void Non_numeric_count_value_names_the_line_and_the_text()
        {
            var e = ReadFails(
                FileHeader,
                "@@@ codehash 0x00000001 methodhash 0x00000002 ilSize 0x00000004 records 0x00000002",
                "MethodName: App.C.M",
                "Signature: void  ()",
                "Schema InstrumentationKind 65 ILOffset 0 Count 2 Other 0",
                "12",
                "twelve");

            StringAssert.StartsWith(e.Message, "line 7:");
            StringAssert.Contains(e.Message, "'twelve'");
        }

        [TestMethod]
        public void Non_numeric_schema_count_names_the_line_and_field()
        {
            var e = ReadFails(
                "@@@ codehash 0x00000001 methodhash 0x00000002 ilSize 0x00000004 records 0x00000001",
                "MethodName: App.C.M",
                "Signature: void  ()",
                "Schema InstrumentationKind 65 ILOffset 0 Count many Other 0",
                "1");

            StringAssert.StartsWith(e.Message, "line 4:");
            StringAssert.Contains(e.Message, "'Count'");
        }

        [TestMethod]
        public void Four_byte_kind_with_two_numbers_on_a_line_is_rejected()
        {
            var e = ReadFails(
                "@@@ codehash 0x00000001 methodhash 0x00000002 ilSize 0x00000004 records 0x00000001",
                "MethodName: App.C.M",
                "Signature: void  ()",
                "Schema InstrumentationKind 385 ILOffset 0 Count 1 Other 4",
                "1 2");

            StringAssert.StartsWith(e.Message, "line 5:");
            StringAssert.Contains(e.Message, "'1 2'");
        }

        [TestMethod]
        public void Bad_header_hash_names_the_line_and_field()
        {
            var e = ReadFails(
                FileHeader,
                "@@@ codehash 68169036 methodhash 0x00000002 ilSize 0x00000004 records 0x00000000",
                "MethodName: App.C.M",
                "Signature: void  ()");

            StringAssert.StartsWith(e.Message, "line 2:");
            StringAssert.Contains(e.Message, "'codehash'");
        }

        [TestMethod]
        public void Header_without_record_count_names_the_line()
        {
            var e = ReadFails("@@@ codehash 0x00000001 methodhash 0x00000002 ilSize 0x00000004");

            StringAssert.StartsWith(e.Message, "line 1:");
            StringAssert.Contains(e.Message, "'records'");
        }

        [TestMethod]
        public void Truncated_record_values_are_rejected()
        {
            var lines = SumMethod().Take(10).ToArray(); // the 32-entry type table stops after 2 entries

            var e = ReadFails(lines);

            StringAssert.StartsWith(e.Message, "line 10:");
            StringAssert.Contains(e.Message, "unexpected end");
        }

        [TestMethod]
        public void Fewer_records_than_the_header_announces_are_rejected()
        {
            var e = ReadFails(
                "@@@ codehash 0x00000001 methodhash 0x00000002 ilSize 0x00000004 records 0x00000002",
                "MethodName: App.C.M",
                "Signature: void  ()",
                "Schema InstrumentationKind 65 ILOffset 0 Count 1 Other 0",
                "1",
                FileTrailer);

            StringAssert.StartsWith(e.Message, "line 6:");
            StringAssert.Contains(e.Message, "Schema");
        }

        [TestMethod]
        public void Schema_line_without_fields_is_a_format_error()
        {
            var e = ReadFails(
                "@@@ codehash 0x00000001 methodhash 0x00000002 ilSize 0x00000004 records 0x00000001",
                "MethodName: App.C.M",
                "Signature: void  ()",
                "Schema ");

            StringAssert.StartsWith(e.Message, "line 4:");
        }

        [TestMethod]
        public void Text_ending_after_the_header_is_rejected()
        {
            var e = ReadFails(
                FileHeader,
                "@@@ codehash 0x00000001 methodhash 0x00000002 ilSize 0x00000004 records 0x00000000");

            StringAssert.Contains(e.Message, "MethodName:");
        }
    }
}
