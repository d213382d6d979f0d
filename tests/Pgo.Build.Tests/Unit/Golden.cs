using System;
using System.IO;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Pgo.Build.Tests.Unit
{
    /// <summary>
    /// Golden-file check: compares text to <c>tests/Pgo.Build.Tests/Golden/&lt;name&gt;.verified.txt</c> in the source
    /// tree, byte for byte (UTF-8, no BOM). On a mismatch, or when the file is missing, it writes
    /// <c>&lt;name&gt;.received.txt</c> beside it and fails. With <c>PGO_ACCEPT_GOLDEN=1</c> it overwrites the verified
    /// file instead (then inspect the diff before committing).
    /// </summary>
    internal static class Golden
    {
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false);

        public static string Directory { get; } = Path.Combine(TestData.RepoRoot, "tests", "Pgo.Build.Tests", "Golden");

        public static void Verify(string name, string actual)
        {
            string verified = Path.Combine(Directory, name + ".verified.txt");
            string received = Path.Combine(Directory, name + ".received.txt");
            byte[] actualBytes = Utf8.GetBytes(actual);

            if (Environment.GetEnvironmentVariable("PGO_ACCEPT_GOLDEN") == "1")
            {
                System.IO.Directory.CreateDirectory(Directory);
                File.WriteAllBytes(verified, actualBytes);
                File.Delete(received);
                return;
            }

            byte[]? expectedBytes = File.Exists(verified) ? File.ReadAllBytes(verified) : null;
            if (expectedBytes != null && expectedBytes.AsSpan().SequenceEqual(actualBytes))
            {
                File.Delete(received);
                return;
            }

            File.WriteAllBytes(received, actualBytes);
            string why = expectedBytes == null
                ? $"golden file {verified} does not exist."
                : $"output differs from {verified} {FirstDifference(Utf8.GetString(expectedBytes), actual)}.";
            Assert.Fail($"{why} Received: {received}. Compare with: diff -u '{verified}' '{received}'. " +
                "If the new output is right, rerun with PGO_ACCEPT_GOLDEN=1 and review the change.");
        }

        private static string FirstDifference(string expected, string actual)
        {
            string[] e = expected.Split('\n');
            string[] a = actual.Split('\n');
            for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
            {
                string? el = i < e.Length ? e[i] : null;
                string? al = i < a.Length ? a[i] : null;
                if (el != al)
                {
                    return $"at line {i + 1}: expected '{el ?? "<end of file>"}', received '{al ?? "<end of file>"}'";
                }
            }

            return "(line ends or encoding only)";
        }
    }
}
