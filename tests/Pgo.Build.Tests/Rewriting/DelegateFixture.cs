using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Engine;
using Pgo.Build.Tests.Tool;
using Pgo.Build.Tests.Unit;

namespace Pgo.Build.Tests.Rewriting
{
    /// <summary>
    /// tests/Fixtures/DelegateTarget built once and recorded once in its training mode (<see cref="RecordedFixture"/>),
    /// and the hint files a build derives from the recording, for the delegate-guard tests.
    /// </summary>
    internal static class DelegateFixture
    {
        private static readonly System.Lazy<Recording> Lazy = new System.Lazy<Recording>(Create);

        public static Recording Get() => Lazy.Value;

        internal sealed class Recording
        {
            public required RecordedFixture.Recording Recorded { get; init; }
            public required string HintDirectory { get; init; }

            /// <summary>The compiler's output directory (never modified: tests copy it).</summary>
            public string Output => Path.GetDirectoryName(Recorded.Assembly)!;

            public string Assembly => Recorded.Assembly;

            public string SourceDirectory => Path.GetDirectoryName(Recorded.SourceFile)!;

            public string ProfilePath => Recorded.ProfilePath;

            /// <summary>A private copy of the hint files (the rewrite stage keeps its state and the compiler's copy beside them).</summary>
            public string CopyHints(TempDir dir) => CopyDirectory(HintDirectory, dir.Combine("pgo"));

            /// <summary>A private copy of the whole output directory (assembly, PDB, runtimeconfig), to rewrite and run.</summary>
            public string CopyOutput(TempDir dir, string name) => Path.Combine(CopyDirectory(Output, dir.Combine(name)), "DelegateTarget.dll");

            private static string CopyDirectory(string source, string target)
            {
                Directory.CreateDirectory(target);
                foreach (var file in Directory.GetFiles(source))
                {
                    File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
                }

                return target;
            }
        }

        private static Recording Create()
        {
            var recorded = RecordedFixture.Get("DelegateTarget", "train");
            if (recorded.ExitCode != 0)
            {
                throw new AssertFailedException("recording DelegateTarget failed:\n" + recorded.Stderr);
            }

            string hints = Path.Combine(recorded.Root, "pgo");
            PgoEngine.Run(new PgoRequest(recorded.ProfilePath, hints, Path.Combine(recorded.Root, "cache")), new RecordingLog());
            return new Recording { Recorded = recorded, HintDirectory = hints };
        }
    }
}
