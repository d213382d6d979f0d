using System;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Engine;
using Pgo.Build.Hints;
using Pgo.Build.IO;

namespace Pgo.Build.Tests.Unit
{
    /// <summary>Up-to-date stamps follow symbolic links to the file actually read.</summary>
    [TestClass]
    public sealed class FileStampTests
    {
        private static readonly DateTime Old = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);

        [TestMethod]
        public void PlainFileIsStampedByPathSizeAndWriteTime()
        {
            using var dir = new TempDir();
            string file = dir.Write("p.pprof", new byte[] { 1, 2, 3 });
            File.SetLastWriteTimeUtc(file, Old);

            Assert.AreEqual($"{file}|3|{Old.Ticks}", FileStamp.Of(file));
            Assert.AreEqual($"{dir.Combine("none")}|-1|0", FileStamp.Of(dir.Combine("none")));
        }

        [TestMethod]
        public void LinkIsStampedByItsTargetAndATargetRewrittenInPlaceChangesTheStamp()
        {
            using var dir = new TempDir();
            string target = dir.Write("profiles/real.pprof", new byte[] { 1, 2, 3 });
            File.SetLastWriteTimeUtc(target, Old);
            string link = dir.Combine("app", "default.pgo");
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            File.CreateSymbolicLink(link, "../profiles/real.pprof");

            string before = FileStamp.Of(link);
            File.WriteAllBytes(target, new byte[] { 4, 5, 6, 7 });
            File.SetLastWriteTimeUtc(target, Old.AddSeconds(1));
            string after = FileStamp.Of(link);

            Assert.AreEqual($"{link}->{target}|3|{Old.Ticks}", before);
            Assert.AreEqual($"{link}->{target}|4|{Old.AddSeconds(1).Ticks}", after);
        }

        /// <summary>A Kubernetes ConfigMap volume swaps a directory link (<c>..data</c>): same file name, same size and time, another file.</summary>
        [TestMethod]
        public void RepointedDirectoryLinkChangesTheStampEvenWithEqualSizeAndTime()
        {
            using var dir = new TempDir();
            string v1 = dir.Write("v1/default.pgo", new byte[] { 1, 2, 3 });
            string v2 = dir.Write("v2/default.pgo", new byte[] { 7, 8, 9 });
            File.SetLastWriteTimeUtc(v1, Old);
            File.SetLastWriteTimeUtc(v2, Old);
            string data = dir.Combine("data");
            Directory.CreateSymbolicLink(data, "v1");
            string path = dir.Combine("data", "default.pgo");

            string before = FileStamp.Of(path);
            Directory.Delete(data);
            Directory.CreateSymbolicLink(data, dir.Combine("v2"));
            string after = FileStamp.Of(path);

            Assert.AreEqual($"{path}->{v1}|3|{Old.Ticks}", before);
            Assert.AreEqual($"{path}->{v2}|3|{Old.Ticks}", after);
        }

        [TestMethod]
        public void ChainsDotDotAfterALinkDanglingLinksAndLoopsResolveAsTheSystemDoes()
        {
            using var dir = new TempDir();
            string real = dir.Write("x/y/real.pprof", new byte[] { 1 });
            string upper = dir.Write("x/up.pprof", new byte[] { 2 });
            File.CreateSymbolicLink(dir.Combine("second"), "x/y/real.pprof");
            File.CreateSymbolicLink(dir.Combine("first"), dir.Combine("second"));
            Directory.CreateSymbolicLink(dir.Combine("d"), "x/y");
            File.CreateSymbolicLink(dir.Combine("dangling"), "x/missing.pprof");
            File.CreateSymbolicLink(dir.Combine("loop1"), "loop2");
            File.CreateSymbolicLink(dir.Combine("loop2"), "loop1");

            Assert.AreEqual(real, FileStamp.ResolveLinks(dir.Combine("first")));
            // x/y/rel -> ../up.pprof reached through d (-> x/y): ".." goes up from x/y, the link's real directory.
            File.CreateSymbolicLink(dir.Combine("x", "y", "rel"), "../up.pprof");
            Assert.AreEqual(upper, FileStamp.ResolveLinks(dir.Combine("d", "rel")));
            CollectionAssert.AreEqual(new byte[] { 2 }, File.ReadAllBytes(dir.Combine("d", "rel")), "the system opens the same file");
            Assert.AreEqual(dir.Combine("x", "missing.pprof"), FileStamp.ResolveLinks(dir.Combine("dangling")));
            StringAssert.EndsWith(FileStamp.Of(dir.Combine("dangling")), "|-1|0");
            Assert.IsNull(FileStamp.ResolveLinks(dir.Combine("loop1")));
            StringAssert.StartsWith(FileStamp.Of(dir.Combine("loop1")), dir.Combine("loop1") + "|", "a loop is stamped as the link itself (reading it then fails with PGO002)");
        }

        /// <summary>
        /// The defect: a default.pgo link whose target is rewritten in place stayed "up to date" (the stamp took the
        /// link's own size and time), so the old hints survived. Now the next run reads the new bytes.
        /// </summary>
        [TestMethod]
        public void ProfileThroughALinkWhoseTargetIsRewrittenInPlaceIsNotUpToDate()
        {
            using var dir = new TempDir();
            string target = dir.Copy(TestData.InlineHot, "profiles/current.pprof");
            string link = dir.Combine("app", "default.pgo");
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            File.CreateSymbolicLink(link, target);
            var request = new PgoRequest(link, dir.Combine("out"), dir.Combine("cache"));
            var first = PgoEngine.RunIncremental(request, new RecordingLog());
            Assert.IsTrue(PgoEngine.RunIncremental(request, new RecordingLog()).UpToDate);

            File.WriteAllBytes(target, File.ReadAllBytes(TestData.Devirt));
            var second = PgoEngine.RunIncremental(request, new RecordingLog());

            Assert.IsFalse(second.UpToDate, "the link's target changed");
            Assert.AreNotEqual(first.State.ProfileSha256, second.State.ProfileSha256);
            Assert.AreEqual(Sha256Hex.Of(File.ReadAllBytes(TestData.Devirt)), second.State.ProfileSha256);
            Assert.AreEqual("default.pgo", second.State.ProfileFileName);
            Assert.AreEqual(second.State.ProfileSha256, StateFile.TryRead(dir.Combine("out", HintFileNames.State))!.ProfileSha256);
            Assert.IsTrue(PgoEngine.RunIncremental(request, new RecordingLog()).UpToDate);
        }
    }
}
