using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Engine;
using Pgo.Build.Tasks;
using Pgo.Build.Tests.Tool;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Consumers
{
    /// <summary>The after-compilation tasks never fail a build because of matching: problems are PGO103 warnings.</summary>
    [TestClass]
    public sealed class ConsumerTaskTests
    {
        [TestMethod]
        public void Mibc_task_on_an_unreadable_assembly_warns_PGO103_removes_stale_files_and_succeeds()
        {
            using var dir = new TempDir();
            string hints = HintsOfTheRecording(dir);
            File.WriteAllBytes(Path.Combine(hints, "App.0123456789abcdef.mibc"), new byte[] { 1 });
            string assembly = dir.Combine("App.dll");
            File.WriteAllText(assembly, "not a PE file");
            var engine = new FakeBuildEngine();
            var task = new WritePgoMibc { BuildEngine = engine, Assembly = assembly, HintDirectory = hints };

            Assert.IsTrue(task.Execute());

            Assert.AreEqual(0, engine.Errors.Count);
            Assert.AreEqual("PGO103", engine.Warnings.Single().Code);
            Assert.AreEqual("", task.MibcFile);
            Assert.AreEqual(0, Directory.GetFiles(hints, "*.mibc").Length);
        }

        [TestMethod]
        public void Mibc_task_on_the_recorded_program_reports_what_it_wrote()
        {
            var r = RecordedFixture.Get();
            using var dir = new TempDir();
            string hints = HintsOfTheRecording(dir);
            var engine = new FakeBuildEngine();
            var task = new WritePgoMibc { BuildEngine = engine, Assembly = r.Assembly, HintDirectory = hints };

            Assert.IsTrue(task.Execute());

            Assert.AreEqual(0, engine.Warnings.Count + engine.Errors.Count);
            Assert.IsTrue(File.Exists(task.MibcFile));
            StringAssert.StartsWith(engine.Messages.Single(m => m.Message!.StartsWith("PGO: RecordTarget:", System.StringComparison.Ordinal)).Message, "PGO: RecordTarget: .mibc for ");
        }

        [TestMethod]
        public void Rewrite_task_rejects_a_bad_budget_with_PGO005_and_survives_a_bad_assembly_with_PGO103()
        {
            using var dir = new TempDir();
            string assembly = dir.Combine("App.dll");
            File.WriteAllText(assembly, "not a PE file");
            var engine = new FakeBuildEngine();

            Assert.IsFalse(new RewritePgoAssembly { BuildEngine = engine, Assembly = assembly, HintDirectory = dir.Path, Inlining = true, IlBudget = "-3" }.Execute());
            Assert.AreEqual("PGO005", engine.Errors.Single().Code);

            var second = new FakeBuildEngine();
            Assert.IsTrue(new RewritePgoAssembly { BuildEngine = second, Assembly = assembly, HintDirectory = dir.Path, Delegates = true, Inlining = true }.Execute());
            Assert.AreEqual("PGO103", second.Warnings.Single().Code);
            Assert.AreEqual("not a PE file", File.ReadAllText(assembly));
        }

        private static string HintsOfTheRecording(TempDir dir)
        {
            string output = dir.Combine("pgo");
            PgoEngine.Run(new PgoRequest(RecordedFixture.Get().ProfilePath, output, dir.Combine("cache")), new RecordingLog());
            return output;
        }
    }
}
