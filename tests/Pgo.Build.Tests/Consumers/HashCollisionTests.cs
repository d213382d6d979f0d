using System;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Mono.Cecil;
using Mono.Cecil.Cil;
using Pgo.Build.Matching;
using Pgo.Build.Metadata;
using Pgo.Build.RuntimePgo;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Consumers
{
    /// <summary>
    /// Never guessed, with a real collision: the runtime's version-resilient hash of a name mixes its even and odd
    /// bytes in two streams, and the struct names <c>S15</c> and <c>S33</c> hash alike, so <c>Filter&lt;S15&gt;</c> and
    /// <c>Filter&lt;S33&gt;</c> have the same method hash. A record carrying it cannot say which instantiation ran: it is
    /// left out and counted, while <c>Filter&lt;Other&gt;</c> in the same assembly is identified.
    /// </summary>
    [TestClass]
    public sealed class HashCollisionTests
    {
        [TestMethod]
        public void Two_instantiations_with_one_method_hash_leave_the_record_out_a_unique_one_is_identified()
        {
            Assert.AreEqual(VersionResilientHash.Name("S15"), VersionResilientHash.Name("S33"), "the colliding names this test relies on");
            Assert.AreNotEqual(VersionResilientHash.Name("S15"), VersionResilientHash.Name("Other"));
            using var dir = new TempDir();
            string path = dir.Combine("Collide.dll");
            WriteAssembly(path);
            using var assembly = AssemblySymbols.TryOpen(path)!;
            var filter = assembly.Methods().Single(m => m.MethodName == "Filter");
            var instantiations = GenericInstantiations.Of(assembly).Of(assembly.AssemblyName, filter.Token);
            int HashOf(string argument) => instantiations.Single(i => i.MethodArguments.Single().ToString() == "Collide." + argument).Hash;
            Assert.AreEqual(3, instantiations.Count, string.Join(", ", instantiations.Select(i => i.MethodArguments.Single())));
            Assert.AreEqual(HashOf("S15"), HashOf("S33"), "Filter<S15> and Filter<S33> collide");
            Assert.AreNotEqual(HashOf("S15"), HashOf("Other"));

            RuntimeRecord Count(long methodHash, long value) => new RuntimeRecord(filter.SystemName, "Collide.Program.Filter", filter.IlSize, filter.IlHash,
                methodHash, "", 0, 0, InstrumentationKind.BasicBlockIntCount, 0, 0, 0, "", value);
            var records = new[] { Count(unchecked((uint)HashOf("S15")), 7), Count(unchecked((uint)HashOf("Other")), 11) };

            var (matched, report) = RuntimeRecordMatcher.Match(assembly, records);

            Assert.AreEqual(1, report.GenericSkipped, report.ToString());
            Assert.AreEqual(1, report.GenericMatched, report.ToString());
            var only = matched.Single();
            Assert.AreEqual("Collide.Other", only.Instantiation!.MethodArguments.Single().ToString());
            Assert.AreEqual(11, only.Records.Single().Value);
            StringAssert.Contains(report.ToString(), "1 generic method instantiations left out");
        }

        /// <summary>
        /// <c>Collide.dll</c>: structs <c>S15</c>, <c>S33</c> and <c>Other</c>; <c>Program.Filter&lt;T&gt;(T[])</c> and
        /// <c>Program.Use()</c>, which calls it over each of the three (three MethodSpecs).
        /// </summary>
        private static void WriteAssembly(string path)
        {
            using var assembly = AssemblyDefinition.CreateAssembly(new AssemblyNameDefinition("Collide", new Version(1, 0, 0, 0)), "Collide", ModuleKind.Dll);
            var module = assembly.MainModule;
            var valueType = module.ImportReference(typeof(ValueType));
            var structs = new[] { "S15", "S33", "Other" }.Select(name =>
            {
                var type = new TypeDefinition("Collide", name, TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.SequentialLayout, valueType);
                module.Types.Add(type);
                return type;
            }).ToList();

            var program = new TypeDefinition("Collide", "Program", TypeAttributes.Public | TypeAttributes.Abstract | TypeAttributes.Sealed, module.TypeSystem.Object);
            module.Types.Add(program);
            var filter = new MethodDefinition("Filter", MethodAttributes.Public | MethodAttributes.Static, module.TypeSystem.Int32);
            var t = new GenericParameter("T", filter);
            filter.GenericParameters.Add(t);
            filter.Parameters.Add(new ParameterDefinition("items", ParameterAttributes.None, new ArrayType(t)));
            var il = filter.Body.GetILProcessor();
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldlen);
            il.Emit(OpCodes.Conv_I4);
            il.Emit(OpCodes.Ret);
            program.Methods.Add(filter);

            var use = new MethodDefinition("Use", MethodAttributes.Public | MethodAttributes.Static, module.TypeSystem.Int32);
            il = use.Body.GetILProcessor();
            for (int i = 0; i < structs.Count; i++)
            {
                il.Emit(OpCodes.Ldnull);
                il.Emit(OpCodes.Call, new GenericInstanceMethod(filter) { GenericArguments = { structs[i] } });
                if (i > 0)
                {
                    il.Emit(OpCodes.Add);
                }
            }

            il.Emit(OpCodes.Ret);
            program.Methods.Add(use);
            assembly.Write(path);
        }
    }
}
