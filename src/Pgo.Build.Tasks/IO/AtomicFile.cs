using System;
using System.IO;

namespace Pgo.Build.IO
{
    /// <summary>
    /// Writes files so that readers never see half of one: a temporary file in the same directory, then a rename.
    /// A failed or cancelled write leaves the old file (or none), never a partial one.
    /// </summary>
    public static class AtomicFile
    {
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

            string temp = path + "." + Guid.NewGuid().ToString("N").Substring(0, 12) + ".tmp";
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
