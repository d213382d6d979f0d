using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Metadata;
using Pgo.Build.Rewriting;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Rewriting
{
    /// <summary>
    /// References rewritten for ILC (NativeAOT): a package-like reference with hot delegate calls gets a private copy
    /// under pgo/references/ and is never written itself; framework assemblies are left alone; an unchanged publish
    /// rewrites nothing; copies no longer needed go.
    /// </summary>
    [TestClass]
    public sealed class ReferenceRewriteTests
    {
        private static readonly RewriteOptions Both = new RewriteOptions(Delegates: true, Inlining: true, 120);

        [TestMethod]
        public void A_reference_gets_a_private_rewritten_copy_and_stays_as_it_was()
        {
            var r = DelegateFixture.Get();
            using var dir = new TempDir();
            string hints = r.CopyHints(dir);
            string package = dir.Copy(r.Assembly, "nuget/delegatetarget/1.0.0/lib/net10.0/DelegateTarget.dll");
            dir.Copy(System.IO.Path.ChangeExtension(r.Assembly, ".pdb"), "nuget/delegatetarget/1.0.0/lib/net10.0/DelegateTarget.pdb");
            string framework = dir.Copy(r.Assembly, "packs/System.Delegates.dll");
            byte[] before = File.ReadAllBytes(package);

            var outcome = ReferenceRewriteStage.Run("App", new[] { package, framework }, hints, Both);

            var copy = outcome.Rewritten.Single();
            Assert.AreEqual(package, copy.Source);
            Assert.AreEqual(Path.Combine(hints, ReferenceRewriteStage.DirectoryName, "DelegateTarget.dll"), copy.Output);
            Assert.AreEqual(4, copy.Guarded, outcome.Summary);
            StringAssert.Contains(outcome.Summary, "DelegateTarget (4 delegate calls guarded");
            Assert.AreEqual(1, outcome.Examined, "a framework assembly was examined");
            CollectionAssert.AreEqual(before, File.ReadAllBytes(package), "the resolved reference was written");
            using (var original = AssemblySymbols.TryOpen(package)!)
            using (var rewritten = AssemblySymbols.TryOpen(copy.Output)!)
            {
                var fingerprints = original.Methods().ToDictionary(m => m.SystemName, m => m.IlHash);
                Assert.IsTrue(rewritten.Methods().Where(m => fingerprints.ContainsKey(m.SystemName)).All(m => fingerprints[m.SystemName] == m.IlHash),
                    "the whole-program .mibc matches the copy by fingerprint: it must be the original's");
                Assert.IsTrue(rewritten.HasPdb);
            }

            var written = File.GetLastWriteTimeUtc(copy.Output);
            var again = ReferenceRewriteStage.Run("App", new[] { package, framework }, hints, Both);
            Assert.AreEqual(copy, again.Rewritten.Single());
            Assert.AreEqual(written, File.GetLastWriteTimeUtc(copy.Output), "an unchanged publish rewrote the copy");

            var off = ReferenceRewriteStage.Run("App", new[] { package }, hints, RewriteOptions.None);
            Assert.AreEqual(0, off.Rewritten.Count);
            Assert.IsFalse(File.Exists(copy.Output), "a copy no longer needed stayed");
        }
    }
}
