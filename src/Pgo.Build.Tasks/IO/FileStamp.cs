using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace Pgo.Build.IO
{
    /// <summary>
    /// The identity of the bytes a reader of a path gets, for up-to-date checks: the file actually read (every
    /// symbolic link on the way resolved, the last component and the directories alike), its size and its write
    /// time. A link's own size and time say nothing about its target: a profile reached through a link whose target
    /// is rewritten in place (or re-pointed, as a Kubernetes ConfigMap volume does with its <c>..data</c> link) gets
    /// a new stamp.
    /// </summary>
    public static class FileStamp
    {
        /// <summary>More links than this on one path is a loop (Linux gives up at 40 too).</summary>
        private const int MaxLinks = 40;

        /// <summary><c>path[->target]|size|ticks</c>; size -1 and ticks 0 when there is no such file.</summary>
        public static string Of(string path)
        {
            string full = Path.GetFullPath(path);
            string target = ResolveLinks(full) ?? full;
            var info = new FileInfo(target);
            bool exists = info.Exists;
            string stamp = string.Format(
                CultureInfo.InvariantCulture,
                "{0}{1}|{2}|{3}",
                full,
                target == full ? "" : "->" + target,
                exists ? info.Length : -1,
                exists ? info.LastWriteTimeUtc.Ticks : 0);
#if NETFRAMEWORK
            // No way to read a link's target here: a link (reparse point) is stamped by the content it leads to.
            if (exists && (info.Attributes & FileAttributes.ReparsePoint) != 0)
            {
                try
                {
                    stamp += "|sha256=" + Sha256Hex.Of(File.ReadAllBytes(full));
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    stamp += "|unreadable"; // the run that follows reports why
                }
            }
#endif
            return stamp;
        }

        /// <summary>
        /// The path with every symbolic link resolved (as the system resolves it when opening the file: a <c>..</c>
        /// after a link goes up from the link's target); null when a link cannot be followed (a loop, an unreadable
        /// link). Components that do not exist are kept as they are.
        /// </summary>
        public static string? ResolveLinks(string fullPath)
        {
#if NETFRAMEWORK
            // .NET Framework has no API to read a link's target (see Of).
            return fullPath;
#else
            try
            {
                string root = Path.GetPathRoot(fullPath) ?? "";
                var pending = new List<string>(Split(fullPath.Substring(root.Length)));
                string current = root;
                int links = 0;
                while (pending.Count > 0)
                {
                    string part = pending[0];
                    pending.RemoveAt(0);
                    if (part == ".")
                    {
                        continue;
                    }

                    if (part == "..")
                    {
                        current = Path.GetDirectoryName(current) ?? current;
                        continue;
                    }

                    string next = Path.Combine(current, part);
                    string? link = LinkTarget(next);
                    if (link == null)
                    {
                        current = next;
                        continue;
                    }

                    if (++links > MaxLinks)
                    {
                        return null;
                    }

                    // The link's target replaces it; a relative target is relative to the link's directory.
                    if (Path.IsPathRooted(link))
                    {
                        current = Path.GetPathRoot(link) ?? root;
                        link = link.Substring(current.Length);
                    }

                    pending.InsertRange(0, Split(link));
                }

                return current;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is ArgumentException || e is NotSupportedException)
            {
                return null;
            }
#endif
        }

#if !NETFRAMEWORK
        /// <summary>The target a link names (as written in the link), or null when the path is no link or does not exist.</summary>
        private static string? LinkTarget(string path) => new FileInfo(path).LinkTarget;

#endif
        private static string[] Split(string relative) =>
            relative.Split(new[] { Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar }, StringSplitOptions.RemoveEmptyEntries);
    }
}
