using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Settings;

namespace Pgo.Build.Tests.Unit
{
    [TestClass]
    public sealed class SettingsTests
    {
        private const string Hint = ". Use Pgo=off, Pgo=auto or Pgo=<path of a profile>.";

        [TestMethod]
        [DataRow(null)]
        [DataRow("")]
        [DataRow("   ")]
        [DataRow("auto")]
        [DataRow("AUTO")]
        [DataRow(" Auto ")]
        public void ParseAuto(string? value)
        {
            var s = PgoSetting.Parse(value, "/base");

            Assert.AreEqual(PgoMode.Auto, s.Mode);
            Assert.AreEqual("auto", s.Value);
        }

        [TestMethod]
        [DataRow("off")]
        [DataRow("Off")]
        [DataRow("OFF")]
        [DataRow(" off ")]
        [DataRow("\toff\n")]
        public void ParseOff(string value)
        {
            var s = PgoSetting.Parse(value, "/base");

            Assert.AreEqual(PgoMode.Off, s.Mode);
            Assert.AreEqual("off", s.Value);
        }

        [TestMethod]
        [DataRow("cpu.pprof", "cpu.pprof")]
        [DataRow(" profiles/cpu.pprof ", "profiles/cpu.pprof")]
        [DataRow("/abs/default.pgo", "/abs/default.pgo")]
        [DataRow("../up.pgo", "../up.pgo")]
        [DataRow("onward.pprof", "onward.pprof")]
        public void ParsePath(string value, string expected)
        {
            using var dir = new TempDir();

            var s = PgoSetting.Parse(value, dir.Path);

            Assert.AreEqual(PgoMode.Path, s.Mode);
            Assert.AreEqual(expected, s.Value);
        }

        [TestMethod]
        [DataRow("on")]
        [DataRow("true")]
        [DataRow("false")]
        [DataRow("ON")]
        [DataRow("yes")]
        [DataRow("1")]
        [DataRow("default")]
        public void SwitchWordsAreRejectedAsPgo004(string value)
        {
            using var dir = new TempDir();

            var e = Assert.ThrowsExactly<PgoException>(() => PgoSetting.Parse(value, dir.Path));

            Assert.AreEqual("PGO004", e.Code);
            Assert.IsNull(e.File);
            Assert.AreEqual($"invalid Pgo value '{value}': it is neither 'off' nor 'auto', and no profile file of that name exists" + Hint, e.Message);
        }

        [TestMethod]
        public void SwitchWordIsAPathWhenSuchAFileExists()
        {
            using var dir = new TempDir();
            string on = dir.Write("on", new byte[0]);

            var s = PgoSetting.Parse("on", dir.Path);

            Assert.AreEqual(PgoMode.Path, s.Mode);
            Assert.AreEqual("on", s.Value);
            Assert.AreEqual(on, s.ResolveProfile(true, dir.Combine("elsewhere"), dir.Path));
        }

        [TestMethod]
        public void ExistingDirectoryIsPgo004()
        {
            using var dir = new TempDir();
            Directory.CreateDirectory(dir.Combine("profiles"));

            var e = Assert.ThrowsExactly<PgoException>(() => PgoSetting.Parse("profiles", dir.Path));

            Assert.AreEqual("PGO004", e.Code);
            Assert.AreEqual($"invalid Pgo value 'profiles': '{dir.Combine("profiles")}' is a directory, not a profile file" + Hint, e.Message);
        }

        [TestMethod]
        [DataRow("missing/")]
        [DataRow("missing\\")]
        public void TrailingSeparatorIsPgo004(string value)
        {
            using var dir = new TempDir();

            var e = Assert.ThrowsExactly<PgoException>(() => PgoSetting.Parse(value, dir.Path));

            Assert.AreEqual("PGO004", e.Code);
            StringAssert.StartsWith(e.Message, $"invalid Pgo value '{value}': '{dir.Path}");
            StringAssert.EndsWith(e.Message, "' is a directory, not a profile file" + Hint);
        }

        [TestMethod]
        public void NulCharacterIsPgo004()
        {
            var e = Assert.ThrowsExactly<PgoException>(() => PgoSetting.Parse("a\0b", "/base"));

            Assert.AreEqual("PGO004", e.Code);
            Assert.AreEqual("invalid Pgo value 'a\0b': it contains characters that cannot appear in a path" + Hint, e.Message);
        }

        [TestMethod]
        public void AutoForAnExecutableFindsDefaultPgo()
        {
            using var dir = new TempDir();
            string project = dir.Combine("app");
            string profile = dir.Write("app/default.pgo", new byte[0]);

            Assert.AreEqual(profile, PgoSetting.Parse("auto", dir.Path).ResolveProfile(true, project, dir.Combine("other")));
        }

        [TestMethod]
        public void AutoForAnExecutableWithoutDefaultPgoIsNone()
        {
            using var dir = new TempDir();

            Assert.IsNull(PgoSetting.Parse("", dir.Path).ResolveProfile(true, dir.Path, dir.Path));
        }

        [TestMethod]
        public void AutoForALibraryIsNoneEvenWithDefaultPgo()
        {
            using var dir = new TempDir();
            dir.Write("default.pgo", new byte[0]);

            Assert.IsNull(PgoSetting.Parse("auto", dir.Path).ResolveProfile(false, dir.Path, dir.Path));
        }

        [TestMethod]
        public void OffIsNoneEvenWithDefaultPgo()
        {
            using var dir = new TempDir();
            dir.Write("default.pgo", new byte[0]);

            Assert.IsNull(PgoSetting.Parse("off", dir.Path).ResolveProfile(true, dir.Path, dir.Path));
        }

        [TestMethod]
        [DataRow("Exe", true)]
        [DataRow("WinExe", true)]
        [DataRow("exe", true)]
        [DataRow("WINEXE", true)]
        [DataRow("Library", false)]
        [DataRow("Module", false)]
        [DataRow("AppContainerExe", false)]
        [DataRow("", false)]
        [DataRow(null, false)]
        public void IsExecutable(string? outputType, bool expected)
        {
            Assert.AreEqual(expected, PgoSetting.IsExecutable(outputType));
        }

        [TestMethod]
        public void ExplicitRelativePathResolvesAgainstTheBaseDirectoryNotTheProject()
        {
            using var dir = new TempDir();
            string profile = dir.Write("start/profiles/cpu.pprof", new byte[0]);
            dir.Write("project/profiles/cpu.pprof", new byte[0]);

            var resolved = PgoSetting.Parse("profiles/cpu.pprof", dir.Combine("start")).ResolveProfile(true, dir.Combine("project"), dir.Combine("start"));

            Assert.AreEqual(profile, resolved);
        }

        [TestMethod]
        public void ExplicitPathIsNormalizedAndUsedForLibrariesToo()
        {
            using var dir = new TempDir();
            string profile = dir.Write("cpu.pprof", new byte[0]);

            var resolved = PgoSetting.Parse("../cpu.pprof", dir.Combine("sub")).ResolveProfile(false, dir.Path, dir.Combine("sub"));

            Assert.AreEqual(profile, resolved);
        }

        [TestMethod]
        public void MissingExplicitProfileIsPgo001WithTheAbsolutePath()
        {
            using var dir = new TempDir();
            string full = dir.Combine("profiles", "missing.pprof");

            var e = Assert.ThrowsExactly<PgoException>(() => PgoSetting.Parse("profiles/missing.pprof", dir.Path).ResolveProfile(true, dir.Path, dir.Path));

            Assert.AreEqual("PGO001", e.Code);
            Assert.AreEqual(full, e.File);
            Assert.AreEqual($"error opening profile: open {full}: no such file or directory (from Pgo='profiles/missing.pprof')", e.Message);
        }
    }
}
