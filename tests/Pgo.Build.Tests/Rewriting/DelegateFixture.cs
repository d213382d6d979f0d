using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Engine;
using Pgo.Build.Tests.EndToEnd;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Rewriting
{
    /// <summary>
    /// tests/Fixtures/DelegateTarget built once (Release, with its PDB) and recorded once with 'pgo record' in its
    /// training mode, shared by the delegate-guard tests; the hint files a build derives from the recording.
    /// </summary>
    internal static class DelegateFixture
    {
        private static readonly Lazy<Recording> Lazy = new Lazy<Recording>(Create);

        public static Recording Get() => Lazy.Value;

        public static void Cleanup()
        {
            if (Lazy.IsValueCreated && Environment.GetEnvironmentVariable("PGO_KEEP_TEST_ROOTS") != "1")
            {
                try
                {
                    Directory.Delete(Lazy.Value.Root, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }

        internal sealed class Recording
        {
            public required string Root { get; init; }

            /// <summary>The compiler's output directory (never modified: tests copy it).</summary>
            public required string Output { get; init; }

            public required string SourceDirectory { get; init; }
            public required string ProfilePath { get; init; }
            public required string HintDirectory { get; init; }

            public string Assembly => Path.Combine(Output, "DelegateTarget.dll");

            /// <summary>A private copy of the hint files (the rewrite stage keeps its state and the compiler's copy beside them).</summary>
            public string CopyHints(TempDir dir)
            {
                string target = dir.Combine("pgo");
                Directory.CreateDirectory(target);
                foreach (var file in Directory.GetFiles(HintDirectory))
                {
                    File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
                }

                return target;
            }

            /// <summary>A private copy of the whole output directory (assembly, PDB, runtimeconfig), to rewrite and run.</summary>
            public string CopyOutput(TempDir dir, string name)
            {
                string target = dir.Combine(name);
                Directory.CreateDirectory(target);
                foreach (var file in Directory.GetFiles(Output))
                {
                    File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
                }

                return Path.Combine(target, "DelegateTarget.dll");
            }
        }

        private static Recording Create()
        {
            string root = Path.Combine(Path.GetTempPath(), "pgo-delegate-test-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            string project = Path.Combine(root, "DelegateTarget");
            Directory.CreateDirectory(project);
            string fixture = Path.Combine(TestData.RepoRoot, "tests", "Fixtures", "DelegateTarget");
            foreach (var file in Directory.GetFiles(fixture))
            {
                File.Copy(file, Path.Combine(project, Path.GetFileName(file)));
            }

            string output = Path.Combine(project, "out");
            var build = DotNetCli.Run(project, new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(root, "packages") },
                "build", "-c", "Release", "-nodeReuse:false", "-o", output);
            if (build.ExitCode != 0)
            {
                throw new AssertFailedException("building DelegateTarget failed:\n" + build);
            }

            string profile = Path.Combine(root, "default.pgo");
            var stderr = new StringWriter();
            int exit = Pgo.Tool.Program.Run(new[] { "record", "-o", profile, "--", "dotnet", Path.Combine(output, "DelegateTarget.dll"), "train" }, new StringWriter(), stderr);
            if (exit != 0)
            {
                throw new AssertFailedException("recording DelegateTarget failed:\n" + stderr);
            }

            string hints = Path.Combine(root, "pgo");
            PgoEngine.Run(new PgoRequest(profile, hints, Path.Combine(root, "cache")), new RecordingLog());
            return new Recording { Root = root, Output = output, SourceDirectory = project, ProfilePath = profile, HintDirectory = hints };
        }
    }
}
