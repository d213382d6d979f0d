using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Metadata;

namespace Pgo.Build.Tests.Unit
{
    /// <summary>
    /// The runtime's version-resilient hash, checked against the runtime itself: CoreCLR computes a type's hash in its
    /// VM (<c>GetVersionResilientTypeHashCode</c>), which System.Private.CoreLib reaches through the internal
    /// <c>Internal.VersionResilientHashCode.TypeHashCode(RuntimeType)</c>. Method hashes are checked against the ones the
    /// runtime wrote in a real recording (GenericMethodTests).
    /// </summary>
    [TestClass]
    public sealed class VersionResilientHashTests
    {
        [TestMethod]
        public void The_array_seed_is_the_hash_of_System_Array_1()
        {
            // typehashingalgorithms.h asserts this identity for rank-1 arrays.
            Assert.AreEqual(unchecked((int)0xd5313557), VersionResilientHash.Name("System.Array`1"));
            Assert.AreEqual(0, VersionResilientHash.Name(""));
            Assert.AreEqual(VersionResilientHash.Name("Int32"), VersionResilientHash.TypeName("", "Int32"));
        }

        [TestMethod]
        [DataRow(typeof(int))]
        [DataRow(typeof(string))]
        [DataRow(typeof(Dictionary<string, int>))]
        [DataRow(typeof(Dictionary<string, int>.KeyCollection))]
        [DataRow(typeof(KeyValuePair<Guid, List<string>>))]
        [DataRow(typeof(ValueTuple<int, string, double>))]
        [DataRow(typeof(Environment.SpecialFolder))]
        [DataRow(typeof(int[]))]
        [DataRow(typeof(string[,]))]
        [DataRow(typeof(List<int>[]))]
        [DataRow(typeof(Größe))]
        [DataRow(typeof(Hülle<long>.Ärmel))]
        [DataRow(typeof(Hülle<Größe>.Ärmel[]))]
        [DataRow(typeof(TopLevelWithoutNamespace))]
        public void Type_hash_equals_the_runtimes(Type type)
        {
            Assert.AreEqual(RuntimeTypeHash(type), Model(type).Hash(), type.FullName);
        }

        [TestMethod]
        public void Pointer_and_byref_hashes_equal_the_runtimes()
        {
            foreach (var type in new[] { typeof(int*), typeof(int).MakeByRefType(), typeof(Hülle<Größe>.Ärmel).MakePointerType(), typeof(int*[]) })
            {
                Assert.AreEqual(RuntimeTypeHash(type), Model(type).Hash(), type.ToString());
            }
        }

        [TestMethod]
        public void Method_hash_is_the_owning_type_xor_the_name_instantiated_over_the_method_arguments()
        {
            var owning = Model(typeof(Enumerable));
            int plain = TypeModel.MethodHash(owning, "Select", Array.Empty<TypeModel>());
            Assert.AreEqual(owning.Hash() ^ VersionResilientHash.Name("Select"), plain);
            var canon = TypeModel.MethodHash(owning, "Select", new[] { TypeModel.Canon, TypeModel.Canon });
            var mixed = TypeModel.MethodHash(owning, "Select", new[] { TypeModel.Canon, Model(typeof(int)) });
            var swapped = TypeModel.MethodHash(owning, "Select", new[] { Model(typeof(int)), TypeModel.Canon });
            Assert.AreEqual(owning.Hash() ^ VersionResilientHash.GenericInstance(VersionResilientHash.Name("Select"), new[] { TypeModel.Canon.Hash(), Model(typeof(int)).Hash() }), mixed);
            Assert.AreEqual(4, new[] { plain, canon, mixed, swapped }.Distinct().Count(), "the instantiation and its order are part of the hash");
        }

        [TestMethod]
        public void Canonical_forms_share_reference_types_and_keep_value_types()
        {
            Assert.AreEqual("System.__Canon", Model(typeof(string)).Canonical().ToString());
            Assert.AreEqual("System.__Canon", Model(typeof(int[])).Canonical().ToString());
            Assert.AreEqual("System.__Canon", Model(typeof(List<int>)).Canonical().ToString());
            Assert.AreEqual("System.Int32", Model(typeof(int)).Canonical().ToString());
            Assert.AreEqual("System.Collections.Generic.KeyValuePair`2[System.__Canon,System.Int64]", Model(typeof(KeyValuePair<string, long>)).Canonical().ToString());
            Assert.AreEqual("Pgo.Build.Tests.Unit.Hülle`1+Ärmel[System.Int64]", Model(typeof(Hülle<long>.Ärmel)).ToString());
            Assert.AreEqual(Model(typeof(Guid?)).Key, Model(typeof(Guid?)).Canonical().Key);
        }

        [TestMethod]
        public void Variables_are_bound_by_substitution()
        {
            var open = Model(typeof(KeyValuePair<,>)).Instantiate(new[] { TypeModel.Variable(0, true), TypeModel.Variable(0, false) })!;
            Assert.IsTrue(open.HasVariables);
            var bound = open.Substitute(new[] { Model(typeof(int)) }, new[] { Model(typeof(string)) })!;
            Assert.AreEqual("System.Collections.Generic.KeyValuePair`2[System.String,System.Int32]", bound.ToString());
            Assert.AreEqual("System.Collections.Generic.KeyValuePair`2[System.__Canon,System.Int32]", bound.Canonical().ToString());
            Assert.IsNull(open.Substitute(Array.Empty<TypeModel>(), new[] { Model(typeof(string)) }), "an unbound !0 cannot be substituted");
        }

        /// <summary>The runtime VM's own hash of a type (a QCall behind an internal CoreLib method).</summary>
        internal static int RuntimeTypeHash(Type type)
        {
            var hasher = typeof(object).Assembly.GetType("Internal.VersionResilientHashCode")
                ?? throw new AssertFailedException("this runtime has no Internal.VersionResilientHashCode: update the oracle of this test");
            var runtimeType = typeof(Type).Assembly.GetType("System.RuntimeType")!;
            var method = hasher.GetMethod("TypeHashCode", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic, null, new[] { runtimeType }, null)
                ?? throw new AssertFailedException("Internal.VersionResilientHashCode.TypeHashCode(RuntimeType) is gone: update the oracle of this test");
            return (int)method.Invoke(null, new object[] { type })!;
        }

        /// <summary>A reflection type as a <see cref="TypeModel"/> (what the build reads from metadata).</summary>
        internal static TypeModel Model(Type type)
        {
            if (type.IsArray)
            {
                return TypeModel.Array(Model(type.GetElementType()!), type.GetArrayRank(), type.IsSZArray);
            }

            if (type.IsPointer)
            {
                return TypeModel.Pointer(Model(type.GetElementType()!));
            }

            if (type.IsByRef)
            {
                return TypeModel.ByRef(Model(type.GetElementType()!));
            }

            var definition = Definition(type.IsGenericType ? type.GetGenericTypeDefinition() : type);
            return type.IsConstructedGenericType ? definition.Instantiate(type.GetGenericArguments().Select(Model).ToList())! : definition;
        }

        private static TypeModel Definition(Type definition) => TypeModel.Named(
            definition.Assembly.GetName().Name!, definition.IsNested ? "" : definition.Namespace ?? "", definition.Name,
            definition.IsNested ? Definition(definition.DeclaringType!) : null, definition.IsValueType);
    }

    /// <summary>A name outside ASCII: the runtime hashes its UTF-8 bytes as signed values.</summary>
    public sealed class Größe
    {
    }

    public sealed class Hülle<T>
    {
        public struct Ärmel
        {
        }
    }
}

/// <summary>A type without a namespace.</summary>
public sealed class TopLevelWithoutNamespace
{
}
