using Pgo.Build.IO;

namespace Pgo.Build.Hints
{
    /// <summary>
    /// <c>profile.state</c>: what the last successful hint run applied (profile file name, SHA-256, summary),
    /// read back by the build when the hint target is up to date and skipped.
    /// </summary>
    public sealed class StateFile
    {
        public const string FormatName = "PGO-STATE V1";

        public StateFile(string profileFileName, string profileSha256, string summary)
        {
            ProfileFileName = profileFileName;
            ProfileSha256 = profileSha256;
            Summary = summary;
        }

        public string ProfileFileName { get; }
        public string ProfileSha256 { get; }

        /// <summary>The summary line without the cache status.</summary>
        public string Summary { get; }

        public byte[] ToBytes() =>
            new TextTable(FormatName)
                .Meta("profile-file", ProfileFileName)
                .Meta("profile-sha256", ProfileSha256)
                .Meta("summary", Summary)
                .ToBytes();

        public static StateFile Read(string path)
        {
            var table = TextTable.Read(path, FormatName);
            return new StateFile(table.Get("profile-file") ?? "", table.Get("profile-sha256") ?? "", table.Get("summary") ?? "");
        }
    }
}
