using System;
using System.Diagnostics;
using System.IO;

namespace Pgo.Build.Tests.Unit
{
    /// <summary>
    /// Makes a directory tree read-only for this process until disposed: write permission removed (enough for an
    /// ordinary user) and, when the process can still write (root ignores permissions, as on CI here), the
    /// immutable attribute (<c>chattr +i</c>), which binds root too, like a read-only mount.
    /// </summary>
    internal sealed class ReadOnlyDirectory : IDisposable
    {
        private readonly string _path;
        private readonly bool _immutable;

        public ReadOnlyDirectory(string path)
        {
            _path = path;
            Run("chmod", "-R", "a-w", path);
            if (CanWrite(path))
            {
                Run("chattr", "-R", "+i", path);
                _immutable = true;
                if (CanWrite(path))
                {
                    throw new InvalidOperationException($"cannot make {path} read-only for this process (chmod and chattr +i had no effect)");
                }
            }
        }

        public void Dispose()
        {
            if (_immutable)
            {
                Run("chattr", "-R", "-i", _path);
            }

            Run("chmod", "-R", "u+w", _path);
        }

        private static bool CanWrite(string directory)
        {
            string probe = Path.Combine(directory, "probe-" + Guid.NewGuid().ToString("N"));
            try
            {
                File.WriteAllBytes(probe, new byte[] { 1 });
                File.Delete(probe);
                return true;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return false;
            }
        }

        private static void Run(string program, params string[] args)
        {
            var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args)
            {
                start.ArgumentList.Add(a);
            }

            using var process = Process.Start(start)!;
            string error = process.StandardError.ReadToEnd();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{program} {string.Join(" ", args)} failed: {error}");
            }
        }
    }
}
