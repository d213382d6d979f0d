using System;
using System.Collections.Generic;
using System.IO;
using Pgo.Build.IO;

namespace Pgo.Build.Hints
{
    /// <summary>A warning a hint run logged, kept in <see cref="StateFile"/> to be logged again by up-to-date builds.</summary>
    public sealed record StateWarning(string Code, string Text, string? File);

    /// <summary>
    /// <c>profile.state</c>: what the last successful hint run used and produced. Its <see cref="Stamp"/> (the path,
    /// size and write time of the profile file actually read, symbolic links followed, plus the settings) makes the next build skip the profile entirely when nothing
    /// changed, like Go's file-hash cache; any difference re-hashes the profile (and a new hash re-preprocesses it).
    /// </summary>
    public sealed class StateFile
    {
        public const string FormatName = "PGO-STATE V2";

        public StateFile(string stamp, string profileFileName, string profileSha256, string summary, IReadOnlyList<StateWarning>? warnings = null)
        {
            Stamp = stamp;
            ProfileFileName = profileFileName;
            ProfileSha256 = profileSha256;
            Summary = summary;
            Warnings = warnings ?? Array.Empty<StateWarning>();
        }

        public string Stamp { get; }
        public string ProfileFileName { get; }
        public string ProfileSha256 { get; }

        /// <summary>The summary line without the cache status.</summary>
        public string Summary { get; }

        /// <summary>
        /// The warnings the run logged about the profile (PGO101, PGO105, PGO106): an up-to-date build logs them again,
        /// so that a warning stays visible, and a warning turned into an error keeps failing, until the profile or
        /// the settings change.
        /// </summary>
        public IReadOnlyList<StateWarning> Warnings { get; }

        /// <summary>
        /// Identity of a profile file and the settings it is used with; changes when either does. The file is the one
        /// actually read: through symbolic links, its target's path, size and write time (<see cref="FileStamp"/>).
        /// </summary>
        public static string StampFor(string profilePath, string settings) => FileStamp.Of(profilePath) + "|" + settings;

        public byte[] ToBytes()
        {
            var table = new TextTable(FormatName)
                .Meta("stamp", Sha256Hex.Of(Stamp))
                .Meta("profile-file", ProfileFileName)
                .Meta("profile-sha256", ProfileSha256)
                .Meta("summary", Summary);
            foreach (var w in Warnings)
            {
                table.Row("warning", w.Code, w.File ?? "", w.Text);
            }

            return table.ToBytes();
        }

        /// <summary>The state of an output directory, or null when there is none or it is unreadable.</summary>
        public static StateFile? TryRead(string path)
        {
            try
            {
                if (!File.Exists(path))
                {
                    return null;
                }

                var table = TextTable.Read(path, FormatName);
                var warnings = new List<StateWarning>();
                foreach (var row in table.Rows)
                {
                    if (row.Length != 4 || row[0] != "warning")
                    {
                        throw new FormatException("a state row that is not a warning");
                    }

                    warnings.Add(new StateWarning(row[1], row[3], row[2].Length == 0 ? null : row[2]));
                }

                return new StateFile(table.Get("stamp") ?? "", table.Get("profile-file") ?? "", table.Get("profile-sha256") ?? "", table.Get("summary") ?? "", warnings);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is FormatException)
            {
                return null;
            }
        }

        public bool Matches(string stamp) => Stamp == Sha256Hex.Of(stamp);
    }
}
