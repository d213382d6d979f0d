using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.IO;

namespace Pgo.Build.Tests.EndToEnd
{
    /// <summary>
    /// What a build leaves that PGO decides: every file of the hint directory (hint files, .mibc, state files without
    /// their input stamps) by content hash, the assembly's <c>Pgo.*</c> metadata and its bytes, and any temporary
    /// file of an interrupted write under the project or the cache. Two builds that must agree compare equal.
    /// </summary>
    internal sealed class PgoSnapshot
    {
        private PgoSnapshot(SortedDictionary<string, string> files, string? profile, string? profileSha256, string assemblySha256, IReadOnlyList<string> temporaryFiles)
        {
            Files = files;
            Profile = profile;
            ProfileSha256 = profileSha256;
            AssemblySha256 = assemblySha256;
            TemporaryFiles = temporaryFiles;
        }

        private static readonly string[] IgnoredStateLines = { "# stamp: ", "# mvid: ", "# output-sha256: " };

        public SortedDictionary<string, string> Files { get; }
        public string? Profile { get; }
        public string? ProfileSha256 { get; }
        public string AssemblySha256 { get; }
        public IReadOnlyList<string> TemporaryFiles { get; }

        /// <summary>The snapshot of one project; its directory is written <c>&lt;project&gt;</c> in state files, so projects elsewhere compare equal.</summary>
        public static PgoSnapshot Take(string projectDirectory, string pgoDirectory, string assembly, params string[] temporaryRoots)
        {
            var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
            if (Directory.Exists(pgoDirectory))
            {
                foreach (var file in Directory.GetFiles(pgoDirectory))
                {
                    byte[] bytes = File.ReadAllBytes(file);
                    if (file.EndsWith(".state", StringComparison.Ordinal))
                    {
                        // A stamp names input write times, an mvid or output hash the compiler's or the rewrite's output
                        // (which depend on the project's path; the assembly's bytes are compared on their own); everything
                        // else in a state file must agree.
                        var lines = Encoding.UTF8.GetString(bytes).Split('\n').Where(l => !IgnoredStateLines.Any(p => l.StartsWith(p, StringComparison.Ordinal)));
                        bytes = Encoding.UTF8.GetBytes(string.Join("\n", lines).Replace(projectDirectory, "<project>"));
                    }

                    files[Path.GetFileName(file)] = Sha256Hex.Of(bytes).Substring(0, 16);
                }
            }

            var metadata = Scenario.AssemblyMetadata(assembly);
            var temporary = temporaryRoots.Where(Directory.Exists)
                .SelectMany(root => Directory.GetFiles(root, "*.tmp", SearchOption.AllDirectories))
                .OrderBy(f => f, StringComparer.Ordinal).ToList();
            return new PgoSnapshot(
                files,
                metadata.TryGetValue("Pgo.Profile", out var p) ? p : null,
                metadata.TryGetValue("Pgo.ProfileSha256", out var sha) ? sha : null,
                Sha256Hex.Of(File.ReadAllBytes(assembly)).Substring(0, 16),
                temporary);
        }

        /// <summary>Fails with every difference when <paramref name="actual"/> is not what <paramref name="expected"/> (a from-scratch build) says.</summary>
        public static void AssertSame(PgoSnapshot expected, PgoSnapshot actual, string step, bool assemblyBytes = true, string log = "")
        {
            var problems = new List<string>();
            foreach (var name in expected.Files.Keys.Union(actual.Files.Keys).OrderBy(n => n, StringComparer.Ordinal))
            {
                expected.Files.TryGetValue(name, out var e);
                actual.Files.TryGetValue(name, out var a);
                if (e != a)
                {
                    problems.Add($"  {name}: expected {e ?? "(absent)"}, found {a ?? "(absent)"}");
                }
            }

            if (expected.Profile != actual.Profile || expected.ProfileSha256 != actual.ProfileSha256)
            {
                problems.Add($"  Pgo.Profile/Pgo.ProfileSha256: expected {expected.Profile}/{expected.ProfileSha256}, found {actual.Profile}/{actual.ProfileSha256}");
            }

            if (assemblyBytes && expected.AssemblySha256 != actual.AssemblySha256)
            {
                problems.Add($"  assembly bytes: expected {expected.AssemblySha256}, found {actual.AssemblySha256}");
            }

            foreach (var t in actual.TemporaryFiles)
            {
                problems.Add("  temporary file left: " + t);
            }

            if (problems.Count > 0)
            {
                Assert.Fail($"{step}: not what a from-scratch build gives:\n{string.Join("\n", problems)}\n{log}");
            }
        }

        public override string ToString() =>
            string.Join(", ", Files.Select(kv => kv.Key + "=" + kv.Value)) + $"; Pgo.ProfileSha256={ProfileSha256}; assembly={AssemblySha256}";
    }
}
