using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.RuntimePgo;

namespace Pgo.Build.Tests.Tool
{
    [TestClass]
    public sealed class RuntimeHandlesTests
    {
        private const string Generic = "System.Collections.Generic.GenericEqualityComparer`1[[System.Int32, System.Private.CoreLib, Version=10.0.0.0, Culture=neutral, PublicKeyToken=7cec85d7bea7798e]], System.Private.CoreLib, Version=10.0.0.0, Culture=neutral, PublicKeyToken=7cec85d7bea7798e";

        [TestMethod]
        [DataRow("RecordTarget.Square, RecordTarget, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null", "RecordTarget.Square", "RecordTarget", false)]
        [DataRow("Ns.Outer+Inner, App", "Ns.Outer+Inner", "App", false)]
        [DataRow(Generic, "System.Collections.Generic.GenericEqualityComparer`1[[System.Int32, System.Private.CoreLib, Version=10.0.0.0, Culture=neutral, PublicKeyToken=7cec85d7bea7798e]]", "System.Private.CoreLib", true)]
        [DataRow("NoAssembly", "NoAssembly", "", false)]
        public void Type_and_assembly_parts_split_outside_brackets(string handle, string type, string assembly, bool generic)
        {
            Assert.AreEqual(type, RuntimeHandles.TypePart(handle));
            Assert.AreEqual(assembly, RuntimeHandles.AssemblyPart(handle));
            Assert.AreEqual(generic, RuntimeHandles.IsGenericInstantiation(handle));
        }

        [TestMethod]
        public void Display_names_of_types_and_delegate_targets()
        {
            Assert.AreEqual("RecordTarget.Square", RuntimeHandles.DisplayName("RecordTarget.Square, RecordTarget, Version=1.0.0.0"));
            Assert.AreEqual("System.OrdinalCaseSensitiveComparer.Compare",
                RuntimeHandles.DisplayName("Compare|@|System.OrdinalCaseSensitiveComparer, System.Private.CoreLib, Version=10.0.0.0, Culture=neutral, PublicKeyToken=7cec85d7bea7798e"));
        }
    }
}
