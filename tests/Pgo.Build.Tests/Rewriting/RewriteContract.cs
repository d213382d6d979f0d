using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Metadata;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Rewriting
{
    /// <summary>The contract every IL consumer keeps, checked the same way for each (DelegateRewriteTests, EnumeratorRewriteTests).</summary>
    internal static class RewriteContract
    {
        /// <summary>
        /// Two rewrites of the same input give the same bytes and PDB; every method of the compiler's output keeps its IL
        /// fingerprint (recorded data still applies), size and sequence points, and the rewritten PDB opens. Methods of the
        /// type the consumer adds (<paramref name="addedType"/>) are not compared; the methods named <paramref name="moved"/> are
        /// checked through their IlMoves (offsets translated).
        /// </summary>
        public static void AssertKept(string original, string first, string second, string addedType, params string[] moved)
        {
            CollectionAssert.AreEqual(File.ReadAllBytes(first), File.ReadAllBytes(second), "two rewrites of the same input differ");
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.ChangeExtension(first, ".pdb")), File.ReadAllBytes(Path.ChangeExtension(second, ".pdb")));
            CollectionAssert.AreNotEqual(File.ReadAllBytes(original), File.ReadAllBytes(first), "nothing was rewritten");

            using var before = AssemblySymbols.TryOpen(original)!;
            using var after = AssemblySymbols.TryOpen(first)!;
            Assert.IsTrue(after.HasPdb, "the rewritten assembly's PDB does not open (id mismatch?)");
            var methods = before.Methods().ToDictionary(m => m.SystemName);
            int compared = 0;
            foreach (var m in after.Methods().Where(m => !m.SystemName.Contains(addedType)))
            {
                var o = methods[m.SystemName];
                Assert.AreEqual(o.IlHash, m.IlHash, m.SystemName + ": the fingerprint changed, so recorded data would no longer apply");
                Assert.AreEqual(o.IlSize, m.IlSize, m.SystemName);
                if (moved.Any(name => m.SystemName.Contains(name)))
                {
                    // A method whose rewrite moves its IL offsets: the compiler's identity comes from its IlMoves; the PDB
                    // has the same lines at the moved offsets.
                    Assert.IsNotNull(m.Moves, m.SystemName + ": no IlMoves");
                    CollectionAssert.AreEqual(o.SequencePoints.Select(p => (m.Moves!.ToCurrent(p.Offset), p.Line)).ToList(), m.SequencePoints.ToList(), m.SystemName + ": sequence points");
                    compared++;
                    continue;
                }

                Assert.IsNull(m.Moves, m.SystemName);
                CollectionAssert.AreEqual(o.SequencePoints.ToList(), m.SequencePoints.ToList(), m.SystemName + ": sequence points moved");
                compared++;
            }

            Assert.AreEqual(methods.Count, compared, "a method of the compiler's output is missing");
        }

        /// <summary>
        /// The fixture's compiler output and a copy rewritten with <paramref name="options"/>, each run in
        /// <paramref name="mode"/> (both must exit 0): the outputs a behaviour test compares.
        /// </summary>
        public static (string Expected, string Actual) RunBoth(DelegateFixture.Recording r, TempDir dir, global::Pgo.Build.Rewriting.RewriteOptions options, string mode)
        {
            string rewritten = r.CopyOutput(dir, "out");
            global::Pgo.Build.Rewriting.RewriteStage.Run(rewritten, r.CopyHints(dir), options);
            var expected = EndToEnd.DotNetCli.RunProgram(dir.Path, "dotnet", r.Assembly, mode);
            var actual = EndToEnd.DotNetCli.RunProgram(dir.Path, "dotnet", rewritten, mode);
            Assert.AreEqual(0, expected.ExitCode, expected.ToString());
            Assert.AreEqual(0, actual.ExitCode, actual.ToString());
            return (expected.Output, actual.Output);
        }

        /// <summary>
        /// Records the rewritten program's training run with <c>pgo record</c> and runs the engine on it: the hint
        /// directory the next build would read (Go's iterative stability).
        /// </summary>
        public static string RecordRewritten(TempDir dir, string rewritten)
        {
            string profile = dir.Combine("rewritten.pgo");
            var stderr = new StringWriter();
            Assert.AreEqual(0, global::Pgo.Tool.Program.Run(new[] { "record", "-o", profile, "--", "dotnet", rewritten, "train" }, new StringWriter(), stderr), stderr.ToString());
            string hints = dir.Combine("iterated");
            global::Pgo.Build.Engine.PgoEngine.Run(new global::Pgo.Build.Engine.PgoRequest(profile, hints, dir.Combine("cache")), new RecordingLog());
            return hints;
        }
    }
}
