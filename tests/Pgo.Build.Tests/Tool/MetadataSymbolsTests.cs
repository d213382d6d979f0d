using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Metadata;
using Pgo.Build.Tests.Tool.Samples;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Tool.Samples
{
    // Methods the metadata tests open in this very assembly. Their lines are found by the "// @name" markers:
    // move them freely, but keep each marker on the line of its method's first sequence point.
    public class Outer<T>
    {
        public class Inner<U>
        {
            public V Get<V>(T t, U u, V v, int[] a, ref string s) => v; // @get
        }

        public class Plain
        {
            public List<T> Wrap(Dictionary<string, T[]> d, int[,] grid, out int n) => (n = grid.Rank + d.Count) > 0 ? new List<T>() : new List<T>(); // @wrap
        }
    }

    public static class Overloads
    {
        public static int Over(int x) => x + 1; // @over-int

        public static int Over(string s) => s.Length; // @over-string
    }

    public static class Bodies
    {
        public static int A1(int x) => x * 3 + 1;

        public static int A2(int x) => x * 3 + 1;

        public static int A3(int x) => x * 3 + 2;

        public static int B1(int x) => Math.Abs(x);

        public static int B2(int x) => Math.Sign(x);

        public static int Guarded(string text)
        { // @guarded-open
            try
            {
                return int.Parse(text, CultureInfo.InvariantCulture); // @guarded-parse
            }
            catch (FormatException)
            {
                return -1; // @guarded-catch
            }
        }

        public static string Classify(int k)
        {
            switch (k)
            {
                case 0: return "zero";
                case 1: return "one";
                case 2: return "two";
                case 3: return "three";
                case 4: return "four";
                default: return "many";
            }
        }

        public static Func<int, int> MakeAdder(int k) => x => x + k; // @adder

        public static Func<int, int> Doubler() => x => x * 2; // @doubler
    }

    public abstract class AbstractSample
    {
        public abstract int M();
    }
}

namespace Pgo.Build.Tests.Tool
{
    /// <summary>
    /// Method symbols from metadata and the portable PDB, read from this test assembly itself against what
    /// reflection and this source file say.
    /// </summary>
    [TestClass]
    public sealed class MetadataSymbolsTests
    {
        private static readonly string AssemblyPath = typeof(MetadataSymbolsTests).Assembly.Location;

        private static readonly Lazy<string[]> SourceLines = new Lazy<string[]>(() => File.ReadAllLines(
            Path.Combine(TestData.RepoRoot, "tests", "Pgo.Build.Tests", "Tool", "MetadataSymbolsTests.cs")));

        private static string ThisFile([CallerFilePath] string path = "") => path;

        /// <summary>1-based line of the unique "// @marker" comment in this file.</summary>
        private static int Line(string marker)
        {
            string tag = "// @" + marker;
            var hits = SourceLines.Value.Select((text, i) => (text, i))
                .Where(x => x.text.EndsWith(tag, StringComparison.Ordinal)).Select(x => x.i + 1).ToArray();
            Assert.AreEqual(1, hits.Length, "marker " + tag);
            return hits[0];
        }

        private static AssemblySymbols Open()
        {
            var symbols = AssemblySymbols.TryOpen(AssemblyPath);
            Assert.IsNotNull(symbols, "cannot open " + AssemblyPath);
            return symbols;
        }

        private static MethodSymbol Symbol(AssemblySymbols symbols, MethodBase method)
        {
            var symbol = symbols.GetMethod(method.MetadataToken);
            Assert.IsNotNull(symbol, method.Name);
            Assert.AreEqual(method.MetadataToken, symbol.Token);
            return symbol;
        }

        private static MethodInfo Method(Type type, string name, params Type[] parameters) =>
            (parameters.Length == 0 ? type.GetMethod(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                : type.GetMethod(name, parameters)) ?? throw new InvalidOperationException(type + "." + name);

        /// <summary>The lambda method the compiler made for <paramref name="containing"/>, in its closure or cache class.</summary>
        private static MethodInfo Lambda(string containing, out Type closure)
        {
            foreach (var nested in typeof(Bodies).GetNestedTypes(BindingFlags.NonPublic))
            {
                foreach (var m in nested.GetMethods(BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
                {
                    if (m.Name.StartsWith("<" + containing + ">b__", StringComparison.Ordinal))
                    {
                        closure = nested;
                        return m;
                    }
                }
            }

            throw new InvalidOperationException("no lambda in " + containing);
        }

        [TestMethod]
        public void Opens_this_assembly_with_its_portable_pdb()
        {
            using var symbols = Open();

            Assert.AreEqual("Pgo.Build.Tests", symbols.AssemblyName);
            Assert.AreEqual(AssemblyPath, symbols.Path);
            Assert.IsTrue(symbols.HasPdb);
            Assert.AreEqual(Path.ChangeExtension(AssemblyPath, ".pdb"), symbols.PdbPath);
        }

        [TestMethod]
        public void Nested_generic_method_names_system_name_and_source()
        {
            using var symbols = Open();
            var get = Symbol(symbols, Method(typeof(Outer<>.Inner<>), "Get"));

            Assert.AreEqual("Pgo.Build.Tests.Tool.Samples.Outer<T>.Inner<U>.Get<V>", get.Name);
            Assert.AreEqual("Pgo.Build.Tests!Pgo.Build.Tests.Tool.Samples.Outer`1+Inner`1::Get``1(!0,!1,!!0,int32[],string&)", get.SystemName);
            Assert.AreEqual(get.SystemName, get.ToString());
            Assert.AreEqual("Pgo.Build.Tests.Tool.Samples.Outer`1+Inner`1", get.TypeFullName);
            Assert.AreEqual(typeof(Outer<>.Inner<>).FullName, get.TypeFullName, "the metadata type name is reflection's");
            Assert.AreEqual("Get", get.MethodName);
            Assert.AreEqual(5, get.ParameterCount);
            Assert.AreEqual(ThisFile(), get.FileName);
            Assert.IsTrue(get.HasLines);
            Assert.AreEqual(Line("get"), get.StartLine);
        }

        [TestMethod]
        public void Constructor_of_a_nested_generic_type()
        {
            using var symbols = Open();
            var ctor = Symbol(symbols, typeof(Outer<>.Inner<>).GetConstructor(Type.EmptyTypes)!);

            Assert.AreEqual("Pgo.Build.Tests.Tool.Samples.Outer<T>.Inner<U>..ctor", ctor.Name);
            Assert.AreEqual("Pgo.Build.Tests!Pgo.Build.Tests.Tool.Samples.Outer`1+Inner`1::.ctor()", ctor.SystemName);
            Assert.AreEqual(".ctor", ctor.MethodName);
            Assert.AreEqual(0, ctor.ParameterCount);
        }

        [TestMethod]
        public void Generic_instantiations_multi_dimensional_arrays_and_out_parameters_in_signatures()
        {
            using var symbols = Open();
            var wrap = Symbol(symbols, Method(typeof(Outer<>.Plain), "Wrap"));

            Assert.AreEqual("Pgo.Build.Tests.Tool.Samples.Outer<T>.Plain.Wrap", wrap.Name, "Plain's inherited T is Outer's, not its own");
            Assert.AreEqual(
                "Pgo.Build.Tests!Pgo.Build.Tests.Tool.Samples.Outer`1+Plain::Wrap(System.Collections.Generic.Dictionary`2<string,!0[]>,int32[,],int32&)",
                wrap.SystemName);
            Assert.AreEqual(Line("wrap"), wrap.StartLine);
        }

        [TestMethod]
        public void Overloads_share_the_readable_name_but_not_the_system_name()
        {
            using var symbols = Open();
            var byInt = Symbol(symbols, Method(typeof(Overloads), "Over", typeof(int)));
            var byString = Symbol(symbols, Method(typeof(Overloads), "Over", typeof(string)));

            Assert.AreEqual("Pgo.Build.Tests.Tool.Samples.Overloads.Over", byInt.Name);
            Assert.AreEqual(byInt.Name, byString.Name);
            Assert.AreEqual("Pgo.Build.Tests!Pgo.Build.Tests.Tool.Samples.Overloads::Over(int32)", byInt.SystemName);
            Assert.AreEqual("Pgo.Build.Tests!Pgo.Build.Tests.Tool.Samples.Overloads::Over(string)", byString.SystemName);
            Assert.AreEqual(Line("over-int"), byInt.StartLine);
            Assert.AreEqual(Line("over-string"), byString.StartLine);
            Assert.AreNotEqual(byInt.IlHash, byString.IlHash);
        }

        [TestMethod]
        public void Capturing_lambda_lives_in_its_closure_class_on_its_source_line()
        {
            using var symbols = Open();
            var method = Lambda("MakeAdder", out var closure);
            var lambda = Symbol(symbols, method);

            StringAssert.StartsWith(closure.Name, "<>c__DisplayClass");
            Assert.AreEqual("Pgo.Build.Tests.Tool.Samples.Bodies." + closure.Name + "." + method.Name, lambda.Name);
            Assert.AreEqual("Pgo.Build.Tests!Pgo.Build.Tests.Tool.Samples.Bodies+" + closure.Name + "::" + method.Name + "(int32)", lambda.SystemName);
            Assert.AreEqual(ThisFile(), lambda.FileName);
            Assert.AreEqual(Line("adder"), lambda.StartLine);
        }

        [TestMethod]
        public void Non_capturing_lambda_lives_in_the_cache_class()
        {
            using var symbols = Open();
            var method = Lambda("Doubler", out var closure);
            var lambda = Symbol(symbols, method);

            Assert.AreEqual("<>c", closure.Name);
            Assert.AreEqual("Pgo.Build.Tests.Tool.Samples.Bodies.<>c." + method.Name, lambda.Name);
            Assert.AreEqual("Pgo.Build.Tests!Pgo.Build.Tests.Tool.Samples.Bodies+<>c::" + method.Name + "(int32)", lambda.SystemName);
            Assert.AreEqual(Line("doubler"), lambda.StartLine);
        }

        [TestMethod]
        public void Il_size_and_bytes_match_reflection()
        {
            using var symbols = Open();
            foreach (var method in new MethodBase[]
            {
                Method(typeof(Outer<>.Inner<>), "Get"),
                Method(typeof(Bodies), "A1"),
                Method(typeof(Bodies), "Guarded"),
                Method(typeof(Bodies), "Classify"),
                typeof(Outer<>.Inner<>).GetConstructor(Type.EmptyTypes)!,
            })
            {
                byte[] il = method.GetMethodBody()!.GetILAsByteArray()!;
                var symbol = Symbol(symbols, method);

                Assert.AreEqual(il.Length, symbol.IlSize, method.Name);
                CollectionAssert.AreEqual(il, symbols.GetIl(method.MetadataToken), method.Name);
            }
        }

        [TestMethod]
        public void Il_hash_is_equal_for_equal_bodies_and_differs_otherwise()
        {
            using var symbols = Open();
            long a1 = Symbol(symbols, Method(typeof(Bodies), "A1")).IlHash;
            long a2 = Symbol(symbols, Method(typeof(Bodies), "A2")).IlHash;
            long a3 = Symbol(symbols, Method(typeof(Bodies), "A3")).IlHash;
            long b1 = Symbol(symbols, Method(typeof(Bodies), "B1")).IlHash;
            long b2 = Symbol(symbols, Method(typeof(Bodies), "B2")).IlHash;

            CollectionAssert.AreEqual(
                Method(typeof(Bodies), "A1").GetMethodBody()!.GetILAsByteArray(),
                Method(typeof(Bodies), "A2").GetMethodBody()!.GetILAsByteArray(),
                "precondition: A1 and A2 compile to the same IL");
            Assert.AreEqual(a1, a2);
            Assert.AreNotEqual(a1, a3, "a different constant");
            Assert.AreNotEqual(b1, b2, "the same IL shape calling different methods");
            Assert.AreEqual(
                Method(typeof(Bodies), "B1").GetMethodBody()!.GetILAsByteArray()!.Length,
                Method(typeof(Bodies), "B2").GetMethodBody()!.GetILAsByteArray()!.Length,
                "precondition: B1 and B2 differ only in the called method's token");
            foreach (long h in new[] { a1, a3, b1, b2 })
            {
                Assert.IsTrue(h > 0, "a 63-bit positive fingerprint: " + h);
            }
        }

        [TestMethod]
        public void Il_hash_is_deterministic_across_readers()
        {
            Dictionary<int, long> Hashes()
            {
                using var symbols = Open();
                return symbols.Methods().ToDictionary(m => m.Token, m => m.IlHash);
            }

            var first = Hashes();
            var second = Hashes();

            Assert.AreEqual(first.Count, second.Count);
            foreach (var kv in first)
            {
                Assert.AreEqual(kv.Value, second[kv.Key]);
            }
        }

        [TestMethod]
        public void Line_at_maps_il_offsets_to_statements()
        {
            using var symbols = Open();
            var method = Method(typeof(Bodies), "Guarded");
            var guarded = Symbol(symbols, method);
            var instructions = IlReader.Read(symbols.GetIl(method.MetadataToken)).ToList();
            var parse = instructions.Single(i => i.OpCode == OpCodes.Call &&
                TokenText.Of(symbols.Reader, MetadataTokens.Handle(i.Token)) == "System.Int32::Parse(string,System.IFormatProvider)");
            var minusOne = instructions.Single(i => i.OpCode == OpCodes.Ldc_I4_M1);

#if DEBUG
            Assert.AreEqual(Line("guarded-open"), guarded.StartLine, "Debug code has a sequence point on the opening brace");
#else
            Assert.AreEqual(Line("guarded-parse"), guarded.StartLine);
#endif
            Assert.AreEqual(guarded.StartLine, guarded.LineAt(0));
            Assert.AreEqual(Line("guarded-parse"), guarded.LineAt(parse.Offset));
            Assert.AreEqual(Line("guarded-catch"), guarded.LineAt(minusOne.Offset));
            Assert.AreEqual(0, guarded.LineAt(-1), "before the first sequence point");
            var points = guarded.SequencePoints.ToList();
            Assert.AreEqual((points[0].Offset, guarded.StartLine), points[0]);
            CollectionAssert.AreEqual(points.Select(p => p.Offset).OrderBy(o => o).ToList(), points.Select(p => p.Offset).ToList(), "in IL order");
            foreach (var (offset, line) in points)
            {
                Assert.AreEqual(line, guarded.LineAt(offset));
            }

            Assert.AreEqual(points[points.Count - 1].Line, guarded.LineAt(guarded.IlSize + 100), "after the last point: its line");
        }

        [TestMethod]
        public void Abstract_method_has_no_body_no_hash_and_no_lines()
        {
            using var symbols = Open();
            var m = Symbol(symbols, Method(typeof(AbstractSample), "M"));

            Assert.AreEqual("Pgo.Build.Tests.Tool.Samples.AbstractSample.M", m.Name);
            Assert.AreEqual("Pgo.Build.Tests!Pgo.Build.Tests.Tool.Samples.AbstractSample::M()", m.SystemName);
            Assert.AreEqual(0, m.IlSize);
            Assert.AreEqual(0L, m.IlHash);
            Assert.AreEqual("", m.FileName);
            Assert.AreEqual(0, m.StartLine);
            Assert.IsFalse(m.HasLines);
            Assert.AreEqual(0, m.LineAt(0));
            Assert.AreEqual(0, symbols.GetIl(m.Token).Length);
        }

        [TestMethod]
        public void Tokens_that_are_not_method_definitions_give_null()
        {
            using var symbols = Open();

            Assert.IsNull(symbols.GetMethod(typeof(Bodies).MetadataToken), "a TypeDef token");
            Assert.IsNull(symbols.GetMethod(0x06000000));
            Assert.IsNull(symbols.GetMethod(0x06000000 | (symbols.Reader.MethodDefinitions.Count + 1)));
            Assert.IsNotNull(symbols.GetMethod(0x06000000 | symbols.Reader.MethodDefinitions.Count));
            Assert.AreSame(symbols.GetMethod(0x06000001), symbols.GetMethod(0x06000001), "built once, then cached");
        }

        [TestMethod]
        public void Every_method_of_this_assembly_has_a_symbol_in_token_order()
        {
            using var symbols = Open();

            var methods = symbols.Methods().ToList();

            Assert.AreEqual(symbols.Reader.MethodDefinitions.Count, methods.Count);
            CollectionAssert.AreEqual(Enumerable.Range(1, methods.Count).Select(i => 0x06000000 | i).ToList(), methods.Select(m => m.Token).ToList());
            Assert.IsTrue(methods.All(m => m.SystemName.StartsWith("Pgo.Build.Tests!", StringComparison.Ordinal)));
            Assert.IsTrue(methods.Where(m => m.IlSize > 0 && m.HasLines).All(m => m.FileName.EndsWith(".cs", StringComparison.Ordinal)));
            Assert.AreEqual(methods.Count, methods.Select(m => m.SystemName).Distinct().Count(), "system names are unambiguous");
        }

        [TestMethod]
        public void Il_reader_decodes_every_body_of_this_assembly_into_instructions_that_tile_it()
        {
            using var symbols = Open();
            int bodies = 0;
            int switches = 0;
            foreach (var handle in symbols.Reader.MethodDefinitions)
            {
                int token = MetadataTokens.GetToken(handle);
                byte[] il = symbols.GetIl(token);
                if (il.Length == 0)
                {
                    continue;
                }

                bodies++;
                int next = 0;
                foreach (var ins in IlReader.Read(il))
                {
                    Assert.AreEqual(next, ins.Offset, $"method 0x{token:x8}");
                    Assert.IsTrue(ins.Size >= ins.OpCode.Size, $"method 0x{token:x8} offset {ins.Offset}");
                    if (ins.HasToken)
                    {
                        string text = TokenText.Of(symbols.Reader, MetadataTokens.Handle(ins.Token));
                        Assert.IsFalse(text.StartsWith("?", StringComparison.Ordinal), $"method 0x{token:x8} offset {ins.Offset}: token {ins.Token:x8}");
                    }

                    if (ins.OpCode == OpCodes.Switch)
                    {
                        switches++;
                    }

                    next = ins.Offset + ins.Size;
                }

                Assert.AreEqual(il.Length, next, $"method 0x{token:x8}: the instructions must cover the body exactly");
            }

            Assert.IsTrue(bodies > 100, "bodies: " + bodies);
            Assert.IsTrue(switches >= 1, "Bodies.Classify compiles to a switch");
        }

        [TestMethod]
        public void Il_reader_decodes_operands()
        {
            byte[] il =
            {
                0x00,                                     // nop
                0x1F, 0xFF,                               // ldc.i4.s -1
                0x20, 0x78, 0x56, 0x34, 0x12,             // ldc.i4 0x12345678
                0x21, 1, 0, 0, 0, 0, 0, 0, 0x80,          // ldc.i8 0x8000000000000001
                0x45, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, // switch (2 targets)
                0xFE, 0x01,                               // ceq
                0xFE, 0x0C, 0x03, 0x00,                   // ldloc 3
                0x28, 0x01, 0x00, 0x00, 0x0A,             // call 0x0A000001
                0x2A,                                     // ret
            };

            var ins = IlReader.Read(il).ToList();

            CollectionAssert.AreEqual(
                new[] { OpCodes.Nop, OpCodes.Ldc_I4_S, OpCodes.Ldc_I4, OpCodes.Ldc_I8, OpCodes.Switch, OpCodes.Ceq, OpCodes.Ldloc, OpCodes.Call, OpCodes.Ret },
                ins.Select(i => i.OpCode).ToArray());
            CollectionAssert.AreEqual(new[] { 0, 1, 3, 8, 17, 30, 32, 36, 41 }, ins.Select(i => i.Offset).ToArray());
            CollectionAssert.AreEqual(new[] { 1, 2, 5, 9, 13, 2, 4, 5, 1 }, ins.Select(i => i.Size).ToArray());
            Assert.AreEqual(-1L, ins[1].Operand);
            Assert.AreEqual(0x12345678L, ins[2].Operand);
            Assert.AreEqual(unchecked((long)0x8000000000000001UL), ins[3].Operand);
            Assert.AreEqual(2L, ins[4].Operand, "switch: the target count");
            Assert.AreEqual(3L, ins[6].Operand);
            Assert.IsTrue(ins[7].HasToken);
            Assert.AreEqual(0x0A000001, ins[7].Token);
            Assert.IsFalse(ins[2].HasToken);
        }

        [TestMethod]
        [DataRow(new byte[] { 0xA6 }, DisplayName = "undefined opcode")]
        [DataRow(new byte[] { 0x00, 0xFE }, DisplayName = "two-byte prefix at the end")]
        [DataRow(new byte[] { 0xFE, 0xFF }, DisplayName = "undefined two-byte opcode")]
        [DataRow(new byte[] { 0x20, 0x01, 0x02 }, DisplayName = "truncated ldc.i4")]
        [DataRow(new byte[] { 0x1F }, DisplayName = "truncated ldc.i4.s")]
        [DataRow(new byte[] { 0x45, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00 }, DisplayName = "truncated switch table")]
        [DataRow(new byte[] { 0x45, 0xFF, 0xFF, 0xFF, 0xFF }, DisplayName = "negative switch count")]
        public void Il_reader_rejects_malformed_il(byte[] il)
        {
            Assert.ThrowsExactly<BadImageFormatException>(() => IlReader.Read(il).ToList());
        }

        [TestMethod]
        public void Operand_sizes()
        {
            Assert.AreEqual(0, IlReader.OperandSize(OperandType.InlineNone, 0));
            Assert.AreEqual(1, IlReader.OperandSize(OperandType.ShortInlineBrTarget, 0));
            Assert.AreEqual(2, IlReader.OperandSize(OperandType.InlineVar, 0));
            Assert.AreEqual(4, IlReader.OperandSize(OperandType.InlineMethod, 0));
            Assert.AreEqual(4, IlReader.OperandSize(OperandType.ShortInlineR, 0));
            Assert.AreEqual(8, IlReader.OperandSize(OperandType.InlineR, 0));
            Assert.AreEqual(8, IlReader.OperandSize(OperandType.InlineI8, 0));
            Assert.AreEqual(4 + 4 * 5, IlReader.OperandSize(OperandType.InlineSwitch, 5));
        }

        [TestMethod]
        public void Type_names_in_both_spellings()
        {
            using var symbols = Open();
            var reader = symbols.Reader;
            TypeDefinitionHandle Def(Type t) => (TypeDefinitionHandle)MetadataTokens.EntityHandle(t.MetadataToken);

            Assert.AreEqual("Pgo.Build.Tests.Tool.Samples.Outer`1+Inner`1", MetadataNames.TypeFullName(reader, Def(typeof(Outer<>.Inner<>))));
            Assert.AreEqual("Pgo.Build.Tests.Tool.Samples.Outer<T>.Inner<U>", MetadataNames.TypeReadableName(reader, Def(typeof(Outer<>.Inner<>))));
            Assert.AreEqual("Pgo.Build.Tests.Tool.Samples.Outer`1+Plain", MetadataNames.TypeFullName(reader, Def(typeof(Outer<>.Plain))));
            Assert.AreEqual("Pgo.Build.Tests.Tool.Samples.Outer<T>.Plain", MetadataNames.TypeReadableName(reader, Def(typeof(Outer<>.Plain))));
            Assert.AreEqual("Pgo.Build.Tests.Tool.Samples.Bodies", MetadataNames.TypeReadableName(reader, Def(typeof(Bodies))));
            Assert.AreEqual(
                "Pgo.Build.Tests.Tool.Samples.Outer<T>.Inner<U>.Get<V>",
                MetadataNames.MethodReadableName(reader, (MethodDefinitionHandle)MetadataTokens.EntityHandle(Method(typeof(Outer<>.Inner<>), "Get").MetadataToken)));
        }

        [TestMethod]
        [DataRow("List`1", "List")]
        [DataRow("Dictionary`2", "Dictionary")]
        [DataRow("Outer`12", "Outer")]
        [DataRow("Plain", "Plain")]
        [DataRow("Tick`", "Tick`")]
        [DataRow("Odd`1x", "Odd`1x")]
        [DataRow("`1", "`1")]
        public void Strip_arity(string name, string expected)
        {
            Assert.AreEqual(expected, MetadataNames.StripArity(name));
        }

        [TestMethod]
        public void Try_open_gives_null_for_a_text_file_a_missing_path_and_a_directory()
        {
            using var dir = new TempDir();
            string text = dir.Write("notes.dll", Encoding.UTF8.GetBytes("this is not a portable executable\n"));
            string empty = dir.Write("empty.dll", new byte[0]);

            Assert.IsNull(AssemblySymbols.TryOpen(text));
            Assert.IsNull(AssemblySymbols.TryOpen(empty));
            Assert.IsNull(AssemblySymbols.TryOpen(dir.Combine("missing.dll")));
            Assert.IsNull(AssemblySymbols.TryOpen(dir.Combine("no-such-dir", "a.dll")));
            Assert.IsNull(AssemblySymbols.TryOpen(dir.Path));
        }

        [TestMethod]
        public void Assembly_without_a_pdb_has_names_but_no_lines()
        {
            using var dir = new TempDir();
            string copy = dir.Copy(AssemblyPath, "Copy.dll");

            using var symbols = AssemblySymbols.TryOpen(copy);

            Assert.IsNotNull(symbols);
            Assert.IsFalse(symbols.HasPdb, "a PDB is looked up beside the assembly only: " + symbols.PdbPath);
            Assert.IsNull(symbols.PdbPath);
            var get = Symbol(symbols, Method(typeof(Outer<>.Inner<>), "Get"));
            Assert.AreEqual("Pgo.Build.Tests!Pgo.Build.Tests.Tool.Samples.Outer`1+Inner`1::Get``1(!0,!1,!!0,int32[],string&)", get.SystemName);
            Assert.AreEqual("", get.FileName);
            Assert.AreEqual(0, get.StartLine);
            Assert.IsFalse(get.HasLines);
            Assert.AreNotEqual(0L, get.IlHash);
        }
    }
}
