using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Hints;

namespace Pgo.Build.Tests.EndToEnd
{
    /// <summary>Real <c>dotnet build</c>s of temporary projects against the packed Pgo.Sdk.</summary>
    [TestClass]
    public sealed class BuildTests
    {
        private const string InlineHotSha = "f021feb8375fc3ace6eddf03a91a80cfdd8a85bdb2db7d4ae4149e91944012ff";

        [TestMethod]
        public void ExeWithDefaultPgoGetsHintsMetadataAndSummary_ThenUpToDate_ThenOffRemovesThem_ThenCleanRemovesThem()
        {
            var s = Scenario.Create("exe-default-pgo");
            var project = s.AddProject("app");
            s.Copy(TestData.InlineHot, "app/default.pgo");

            var first = s.Build(project);

            Scenario.AssertSucceeded(first);
            var summary = Scenario.SummaryLines(first).Single();
            StringAssert.Contains(summary, s.Path_("app/default.pgo"));
            StringAssert.Contains(summary, "(sha256 f021feb8): 37 samples, 4 edges, 3 hot call sites, 2 hot functions (cache miss: profile decoded)");
            string pgo = s.PgoDirectory("app");
            var hints = InlineHintsFile.Read(Path.Combine(pgo, HintFileNames.InlineHints));
            Assert.AreEqual(3, hints.Count);
            Assert.AreEqual("example.com/pgo/inline.A", hints[0].Caller);
            Assert.AreEqual(7L, hints[0].Offset);
            Assert.AreEqual(2, HotFunctionsFile.Read(Path.Combine(pgo, HintFileNames.HotFunctions)).Count);
            var metadata = Scenario.AssemblyMetadata(s.Assembly("app"));
            Assert.AreEqual("default.pgo", metadata["Pgo.Profile"]);
            Assert.AreEqual(InlineHotSha, metadata["Pgo.ProfileSha256"]);
            var hintTimes = Directory.GetFiles(pgo).ToDictionary(f => f, File.GetLastWriteTimeUtc);

            var second = s.Build(project);

            Scenario.AssertSucceeded(second);
            StringAssert.EndsWith(Scenario.SummaryLines(second).Single(), "(up to date)");
            foreach (var kv in hintTimes)
            {
                Assert.AreEqual(kv.Value, File.GetLastWriteTimeUtc(kv.Key), "an up-to-date build rewrote " + kv.Key);
            }

            var off = s.Build(project, "-p:Pgo=off");

            Scenario.AssertSucceeded(off);
            Assert.AreEqual(0, Scenario.SummaryLines(off).Length);
            Assert.AreEqual(0, Directory.GetFiles(pgo).Length, "Pgo=off left hint files to be consumed");
            Assert.IsFalse(Scenario.AssemblyMetadata(s.Assembly("app")).ContainsKey("Pgo.ProfileSha256"));

            Scenario.AssertSucceeded(s.Build(project, "-p:Pgo=AUTO"));
            CollectionAssert.AreEquivalent(
                HintFileNames.All.Append(Pgo.Build.Mibc.MibcState.FileName).ToList(),
                Directory.GetFiles(pgo).Select(Path.GetFileName).ToList(),
                "the hint files and the .mibc stage's state (Go's profile has no runtime data: no .mibc)");

            Scenario.AssertSucceeded(s.Dotnet("clean", project, new string[0]));
            Assert.AreEqual(0, Directory.GetFiles(pgo).Length, "dotnet clean did not remove the hint files");
        }

        [TestMethod]
        public void ExeWithoutDefaultPgoIsSilent()
        {
            var s = Scenario.Create("exe-no-profile");
            var project = s.AddProject("app");

            var result = s.Build(project);

            Scenario.AssertSucceeded(result);
            // No build line ("PGO: ...") and no diagnostic (PGO001...); a bare "PGO" can occur inside the restore's
            // base64 package hash ("...u07PGOO36...": failed a clean-clone run once).
            Assert.IsFalse(Regex.IsMatch(result.Output, @"\bPGO(:|\d{3}\b)"), result.ToString());
            Assert.IsFalse(Directory.Exists(s.PgoDirectory("app")) && Directory.GetFiles(s.PgoDirectory("app")).Length > 0);
            Assert.IsFalse(Scenario.AssemblyMetadata(s.Assembly("app")).ContainsKey("Pgo.Profile"));
        }

        [TestMethod]
        public void LibraryIgnoresDefaultPgoUnderAuto()
        {
            var s = Scenario.Create("library-auto");
            var project = s.AddProject("lib", outputType: "Library");
            s.Copy(TestData.InlineHot, "lib/default.pgo");

            var result = s.Build(project);

            Scenario.AssertSucceeded(result);
            Assert.AreEqual(0, Scenario.SummaryLines(result).Length, result.ToString());
            Assert.IsFalse(File.Exists(Path.Combine(s.PgoDirectory("lib"), HintFileNames.InlineHints)));
        }

        [TestMethod]
        public void ExplicitPathAppliesToEveryProjectOfASolution()
        {
            var s = Scenario.Create("solution-explicit");
            s.Write("Directory.Build.props", $@"<Project>
  <ItemGroup>
    <PackageReference Include=""Pgo.Sdk"" Version=""{PackageFeed.Version}"" PrivateAssets=""all"" />
  </ItemGroup>
</Project>
");
            s.AddProject("lib", outputType: "Library", packageReference: false);
            s.AddProject("app", packageReference: false, extra: "\n  <ItemGroup><ProjectReference Include=\"../lib/lib.csproj\" /></ItemGroup>");
            string profile = s.Copy(TestData.Devirt, "profiles/devirt.pprof");
            Scenario.AssertSucceeded(s.Raw("new", "sln", "-n", "all", "--format", "sln"));
            Scenario.AssertSucceeded(s.Raw("sln", "all.sln", "add", "app/app.csproj", "lib/lib.csproj"));

            var result = s.Build("all.sln", "-p:Pgo=" + profile);

            Scenario.AssertSucceeded(result);
            Assert.AreEqual(2, Scenario.SummaryLines(result).Distinct().Count(), result.ToString());
            foreach (var dir in new[] { "app", "lib" })
            {
                var hints = InlineHintsFile.Read(Path.Combine(s.PgoDirectory(dir), HintFileNames.InlineHints));
                Assert.IsTrue(hints.Count > 0, dir);
                Assert.AreEqual("devirt.pprof", Scenario.AssemblyMetadata(s.Assembly(dir))["Pgo.Profile"]);
            }

            StringAssert.Contains(result.Output, "cache hit", "the second project should reuse the first one's preprocessed profile");
        }

        [TestMethod]
        public void RelativePathOnTheCommandLineResolvesAgainstTheStartupDirectory()
        {
            var s = Scenario.Create("relative-cli");
            var project = s.AddProject("src/app");
            s.Copy(TestData.InlineHot, "profiles/x.pprof");

            var result = s.Dotnet("build", "src/app/app.csproj", new[] { "-p:Pgo=profiles/x.pprof" }, workingDirectory: s.Root);

            Scenario.AssertSucceeded(result);
            StringAssert.Contains(Scenario.SummaryLines(result).Single(), s.Path_("profiles/x.pprof"));
        }

        [TestMethod]
        public void RelativePathInTheProjectFileResolvesAgainstTheProjectDirectory()
        {
            var s = Scenario.Create("relative-project");
            var project = s.AddProject("app", extra: "\n  <PropertyGroup><Pgo>prof/x.pprof</Pgo></PropertyGroup>");
            s.Copy(TestData.InlineHot, "app/prof/x.pprof");

            var result = s.Build(project);

            Scenario.AssertSucceeded(result);
            StringAssert.Contains(Scenario.SummaryLines(result).Single(), s.Path_("app/prof/x.pprof"));
        }

        [TestMethod]
        public void MissingExplicitProfileFailsWithPgo001NamingTheAbsolutePath()
        {
            var s = Scenario.Create("missing");
            var project = s.AddProject("app");

            var result = s.Build(project, "-p:Pgo=nope/missing.pprof");

            Scenario.AssertFailedWith(result, "PGO001");
            StringAssert.Contains(result.Output, s.Path_("nope/missing.pprof"));
        }

        [TestMethod]
        public void GarbageProfileFailsWithPgo002AndLeavesNothingBehind()
        {
            var s = Scenario.Create("garbage");
            var project = s.AddProject("app");
            s.Copy(TestData.InlineHot, "app/default.pgo");
            Scenario.AssertSucceeded(s.Build(project));
            File.WriteAllBytes(s.Path_("app/default.pgo"), new byte[] { 0x0b, 0xff, 0xff, 0xff, 0xff, 0x13, 0x00, 0x42 });

            var result = s.Build(project);

            Scenario.AssertFailedWith(result, "PGO002");
            StringAssert.Contains(result.Output, "parsing profile:");
            Assert.AreEqual(0, Directory.GetFiles(s.PgoDirectory("app")).Length, "stale hint files survived a bad profile");
            Assert.AreEqual(1, Directory.GetFiles(Path.Combine(s.CacheDirectory, "graphs")).Length, "a bad profile created a cache entry");
        }

        [TestMethod]
        public void ProfileWithoutCpuSampleTypeFailsWithPgo003()
        {
            var s = Scenario.Create("no-sample-type");
            var project = s.AddProject("app");
            s.Copy(TestData.Path_("pprof", "internal", "driver", "testdata", "go.nomappings.crash"), "app/default.pgo");

            var result = s.Build(project);

            Scenario.AssertFailedWith(result, "PGO003");
            StringAssert.Contains(result.Output, "alloc_objects/count");
        }

        [TestMethod]
        public void InvalidPgoValueFailsWithPgo004()
        {
            var s = Scenario.Create("invalid-value");
            var project = s.AddProject("app");

            var result = s.Build(project, "-p:Pgo=on");

            Scenario.AssertFailedWith(result, "PGO004");
        }

        [TestMethod]
        public void SameContentElsewhereIsACacheHit_ChangedBytesRecompute_ThresholdChangeReevaluates()
        {
            var s = Scenario.Create("cache");
            var one = s.AddProject("one");
            var two = s.AddProject("two");
            s.Copy(TestData.InlineHot, "one/default.pgo");
            s.Copy(TestData.InlineHot, "two/default.pgo");

            StringAssert.Contains(Scenario.SummaryLines(s.Build(one)).Single(), "(cache miss: profile decoded)");
            var hit = s.Build(two);

            Scenario.AssertSucceeded(hit);
            StringAssert.Contains(Scenario.SummaryLines(hit).Single(), "(cache hit)");
            StringAssert.Contains(hit.Output, "PGO: cache hit for sha256 f021feb8");

            // The same profile, stored uncompressed: other bytes, other hash, decoded again, same hints.
            using (var gz = new GZipStream(File.OpenRead(TestData.InlineHot), CompressionMode.Decompress))
            using (var raw = File.Create(s.Path_("two/default.pgo")))
            {
                gz.CopyTo(raw);
            }

            var changed = s.Build(two);

            Scenario.AssertSucceeded(changed);
            var line = Scenario.SummaryLines(changed).Single();
            StringAssert.Contains(line, "(cache miss: profile decoded)");
            Assert.IsFalse(line.Contains("f021feb8"), line);
            Assert.AreEqual(3, InlineHintsFile.Read(Path.Combine(s.PgoDirectory("two"), HintFileNames.InlineHints)).Count);

            var strict = s.Build(two, "-p:PgoHotCallsiteThreshold=90");

            Scenario.AssertSucceeded(strict);
            StringAssert.Contains(Scenario.SummaryLines(strict).Single(), "1 hot call sites");
            Assert.AreEqual(1, InlineHintsFile.Read(Path.Combine(s.PgoDirectory("two"), HintFileNames.InlineHints)).Count);
        }

        [TestMethod]
        public void PathsWithSpacesAndNonAsciiCharacters()
        {
            var s = Scenario.Create("spaces-ünïcode");
            var project = s.AddProject("My App ü");
            string profile = s.Copy(TestData.InlineHot, "prof files ß/x y ü.pprof");

            var result = s.Build(project, "-p:Pgo=" + profile);

            Scenario.AssertSucceeded(result);
            StringAssert.Contains(Scenario.SummaryLines(result).Single(), profile);
            Assert.AreEqual("x y ü.pprof", Scenario.AssemblyMetadata(s.Assembly("My App ü"))["Pgo.Profile"]);
        }

        [TestMethod]
        public void SdkFormWorksAndImportsOnceWithAPackageReference()
        {
            var s = Scenario.Create("sdk-form");
            var sdkOnly = s.AddProject("sdkonly", sdkForm: true, packageReference: false);
            var both = s.AddProject("both", sdkForm: true, packageReference: true);
            s.Copy(TestData.InlineHot, "sdkonly/default.pgo");
            s.Copy(TestData.InlineHot, "both/default.pgo");

            foreach (var project in new[] { sdkOnly, both })
            {
                var result = s.Build(project);

                Scenario.AssertSucceeded(result);
                Assert.AreEqual(1, Scenario.SummaryLines(result).Length, result.ToString());
                Assert.IsFalse(result.Output.Contains("MSB4011"), "imported twice:\n" + result);
                // Go's profile on a .NET project: PGO105 (no .NET frames) and PGO104 (none of this program's code) say
                // so; nothing else may warn.
                Assert.IsFalse(result.Output.Split('\n').Any(l => l.Contains("warning") && !l.Contains("warning PGO105") && !l.Contains("warning PGO104")), result.ToString());
                StringAssert.Contains(result.Output, "warning PGO104: the profile may not belong to this program: 0.0% of its CPU samples have a method of");
                StringAssert.Contains(result.Output, "warning PGO105: the profile may not belong to a .NET program: frame names: Go;");
            }
        }

        [TestMethod]
        public void DesignTimeBuildDoesNoPgoWork()
        {
            var s = Scenario.Create("design-time");
            var project = s.AddProject("app");
            s.Copy(TestData.InlineHot, "app/default.pgo");
            Scenario.AssertSucceeded(s.Dotnet("restore", project, new string[0]));

            var result = s.Dotnet("msbuild", project, new[] { "-t:Compile", "-p:DesignTimeBuild=true", "-p:BuildingProject=false" });

            Scenario.AssertSucceeded(result);
            Assert.AreEqual(0, Scenario.SummaryLines(result).Length, result.ToString());
            Assert.IsFalse(File.Exists(Path.Combine(s.PgoDirectory("app"), HintFileNames.State)));
        }
    }
}
