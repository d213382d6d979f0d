using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Profiles;
using Pgo.Build.Tests.EndToEnd;

namespace Pgo.Build.Tests.Tool
{
    /// <summary>
    /// A program of tests/Fixtures (RecordTarget unless named) built once in a temp root and recorded once with
    /// 'pgo record' (in process), shared by the tests that assert on the recorded profile.
    /// </summary>
    internal static class RecordedFixture
    {
        private static readonly ConcurrentDictionary<string, Lazy<Recording>> Recordings = new ConcurrentDictionary<string, Lazy<Recording>>(StringComparer.Ordinal);

        /// <summary>One recording at a time: two at once on a small machine would shift where each one's samples land.</summary>
        private static readonly object RecordingLock = new object();

        /// <param name="arguments">The program's arguments while it is recorded (default: <c>1500</c>, RecordTarget's milliseconds).</param>
        public static Recording Get(string fixture = "RecordTarget", params string[] arguments) =>
            Recordings.GetOrAdd(fixture + " " + string.Join(" ", arguments), _ => new Lazy<Recording>(() =>
            {
                lock (RecordingLock)
                {
                    return Create(fixture, arguments.Length == 0 ? new[] { "1500" } : arguments);
                }
            })).Value;

        public static void Cleanup()
        {
            if (Environment.GetEnvironmentVariable("PGO_KEEP_TEST_ROOTS") == "1")
            {
                return;
            }

            foreach (var recording in Recordings.Values)
            {
                if (!recording.IsValueCreated)
                {
                    continue;
                }

                try
                {
                    Directory.Delete(recording.Value.Root, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }

        internal sealed class Recording
        {
            public required string Root { get; init; }
            public required string Assembly { get; init; }
            public required string SourceFile { get; init; }
            public required string ProfilePath { get; init; }
            public required ProfileData Profile { get; init; }
            public required string Stderr { get; init; }
            public required int ExitCode { get; init; }

            /// <summary>The 1-based line carrying <c>// MARK name</c> in the fixture's Program.cs.</summary>
            public int Line(string mark)
            {
                var lines = File.ReadAllLines(SourceFile);
                for (int i = 0; i < lines.Length; i++)
                {
                    if (lines[i].TrimEnd().EndsWith("// MARK " + mark, StringComparison.Ordinal))
                    {
                        return i + 1;
                    }
                }

                throw new AssertFailedException("no MARK " + mark);
            }
        }

        private static Recording Create(string name, string[] arguments)
        {
            string root = Path.Combine(Path.GetTempPath(), "pgo-record-test-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            string project = Path.Combine(root, name);
            Directory.CreateDirectory(project);
            string fixture = Path.Combine(TestData.RepoRoot, "tests", "Fixtures", name);
            foreach (var file in Directory.GetFiles(fixture))
            {
                File.Copy(file, Path.Combine(project, Path.GetFileName(file)));
            }

            var build = DotNetCli.Run(project, new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(root, "packages") },
                "build", "-c", "Release", "-nodeReuse:false", "-o", Path.Combine(project, "out"));
            if (build.ExitCode != 0)
            {
                throw new AssertFailedException($"building {name} failed:\n" + build);
            }

            string assembly = Path.Combine(project, "out", name + ".dll");
            string profile = Path.Combine(root, "default.pgo");
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var command = new List<string> { "record", "-o", profile, "--", "dotnet", assembly };
            command.AddRange(arguments);
            int exit = Pgo.Tool.Program.Run(command.ToArray(), stdout, stderr);
            return new Recording
            {
                Root = root,
                Assembly = assembly,
                SourceFile = Path.Combine(project, "Program.cs"),
                ProfilePath = profile,
                Profile = exit == 0 ? ProfileDecoder.Decode(File.ReadAllBytes(profile)) : ProfileData.Empty,
                Stderr = stderr.ToString(),
                ExitCode = exit,
            };
        }
    }
}
