using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text.RegularExpressions;

namespace Pgo.Build.IO
{
    /// <summary>
    /// Writes files so that readers never see half of one: a temporary file in the same directory, then a rename.
    /// A failed or cancelled write leaves the old file (or none), never a partial one. A killed process leaves its
    /// temporary file; the name says whose it is (<c>&lt;file&gt;.pgo-&lt;pid&gt;-&lt;host&gt;-&lt;random&gt;.tmp</c>), so that
    /// <see cref="SweepTemporaryFiles"/> removes it once its writer is gone, and never one a live writer is using.
    /// </summary>
    public static class AtomicFile
    {
        /// <summary>A temporary file whose writer cannot be told apart from a live one is removed after this long (writes take milliseconds).</summary>
        public static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

        private static readonly Regex OwnedName = new Regex(@"\.pgo-(?<pid>[0-9]{1,10})-(?<host>[0-9a-f]{8})-[0-9a-f]{8}\.tmp$", RegexOptions.CultureInvariant);

        /// <summary>The name earlier versions gave their temporary files (no owner): removed by age only.</summary>
        private static readonly Regex LegacyName = new Regex(@"\.[0-9a-f]{12}\.tmp$", RegexOptions.CultureInvariant);

        private static readonly Lazy<string> Host = new Lazy<string>(() => Sha256Hex.Of(Environment.MachineName).Substring(0, 8));

        private static readonly int ProcessId = CurrentProcessId();

        /// <summary>A fresh temporary path beside <paramref name="path"/>, naming this process and machine.</summary>
        public static string TemporaryPathFor(string path) =>
            string.Format(CultureInfo.InvariantCulture, "{0}.pgo-{1}-{2}-{3}.tmp", path, ProcessId, Host.Value, Guid.NewGuid().ToString("N").Substring(0, 8));

        /// <summary>
        /// Removes the temporary files an interrupted write left in <paramref name="directory"/> (whose names start
        /// with <paramref name="namePrefix"/>): those of a process of this machine that no longer runs, and any of ours
        /// older than <see cref="AbandonedAfter"/> (another machine's, a reused process id, an earlier version's).
        /// A temporary file of a live process (a build writing the same cache right now) is left alone. With
        /// <paramref name="subdirectories"/>, the directories below too. Never throws; returns how many files were removed.
        /// </summary>
        public static int SweepTemporaryFiles(string directory, string namePrefix = "", bool subdirectories = false)
        {
            int removed = 0;
            try
            {
                if (!Directory.Exists(directory))
                {
                    return 0;
                }

                DateTime abandoned = DateTime.UtcNow - AbandonedAfter;
                foreach (string file in Directory.EnumerateFiles(directory, namePrefix + "*.tmp", subdirectories ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly))
                {
                    if (IsAbandoned(file, abandoned) && TryDeleteFile(file))
                    {
                        removed++;
                    }
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                // An unreadable directory: nothing to sweep here; the writes that follow report their own trouble.
            }

            return removed;
        }

        private static bool IsAbandoned(string file, DateTime abandoned)
        {
            string name = Path.GetFileName(file);
            var owned = OwnedName.Match(name);
            if (owned.Success)
            {
                if (owned.Groups["host"].Value == Host.Value &&
                    int.TryParse(owned.Groups["pid"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) &&
                    pid != ProcessId && !IsRunning(pid))
                {
                    return true;
                }
            }
            else if (!LegacyName.IsMatch(name))
            {
                return false; // not one of ours
            }

            return File.GetLastWriteTimeUtc(file) < abandoned;
        }

        private static bool IsRunning(int pid)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                return !process.HasExited;
            }
            catch (ArgumentException)
            {
                return false; // no such process
            }
            catch (Exception e) when (e is InvalidOperationException || e is System.ComponentModel.Win32Exception || e is NotSupportedException)
            {
                return true; // cannot tell: keep the file (the age rule removes it later)
            }
        }

        private static int CurrentProcessId()
        {
            using var self = Process.GetCurrentProcess();
            return self.Id;
        }

        private static bool TryDeleteFile(string path)
        {
            try
            {
                if (!File.Exists(path))
                {
                    return false; // another build's sweep was first
                }

                File.Delete(path);
                return true;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return false;
            }
        }

        /// <summary>Writes <paramref name="content"/> unless the file already holds exactly it. Returns true when written.</summary>
        public static bool WriteIfChanged(string path, byte[] content)
        {
            if (File.Exists(path))
            {
                var info = new FileInfo(path);
                if (info.Length == content.Length && BytesEqual(File.ReadAllBytes(path), content))
                {
                    return false;
                }
            }

            Write(path, content);
            return true;
        }

        public static void Write(string path, byte[] content)
        {
            string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory!);
            }

            string temp = TemporaryPathFor(path);
            try
            {
                using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    stream.Write(content, 0, content.Length);
                    stream.Flush(flushToDisk: true);
                }

                Replace(temp, path);
            }
            finally
            {
                TryDelete(temp);
            }
        }

        public static void TryDelete(string path)
        {
            try
            {
                if (File.Exists(path))
                {
                    File.Delete(path);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        private static void Replace(string source, string destination)
        {
#if NETFRAMEWORK
            if (File.Exists(destination))
            {
                File.Replace(source, destination, null, ignoreMetadataErrors: true);
            }
            else
            {
                File.Move(source, destination);
            }
#else
            File.Move(source, destination, overwrite: true);
#endif
        }

        private static bool BytesEqual(byte[] a, byte[] b)
        {
            if (a.Length != b.Length)
            {
                return false;
            }

            for (int i = 0; i < a.Length; i++)
            {
                if (a[i] != b[i])
                {
                    return false;
                }
            }

            return true;
        }
    }
}
