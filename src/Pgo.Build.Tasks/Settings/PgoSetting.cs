using System;
using System.IO;

namespace Pgo.Build.Settings
{
    public enum PgoMode
    {
        Off,
        Auto,
        Path,
    }

    /// <summary>
    /// The <c>Pgo</c> property, like Go's <c>-pgo</c> flag: <c>off</c>, <c>auto</c> (the default when empty) or the
    /// path of a profile. <c>off</c>/<c>auto</c> are case-insensitive.
    /// </summary>
    public sealed class PgoSetting
    {
        public const string DefaultProfileName = "default.pgo";

        private static readonly string[] LooksLikeASwitch = { "on", "true", "false", "yes", "no", "1", "0", "enable", "enabled", "disable", "disabled", "none", "default" };

        private PgoSetting(PgoMode mode, string value)
        {
            Mode = mode;
            Value = value;
        }

        public PgoMode Mode { get; }

        /// <summary>The path as written, for <see cref="PgoMode.Path"/>.</summary>
        public string Value { get; }

        /// <summary>Parses the property value; throws PGO004 for values that cannot be a profile path.</summary>
        /// <param name="baseDirectory">Directory a relative path resolves against (used to tell a file named "on" from a typo).</param>
        public static PgoSetting Parse(string? value, string baseDirectory)
        {
            string text = (value ?? "").Trim();
            if (text.Length == 0 || text.Equals("auto", StringComparison.OrdinalIgnoreCase))
            {
                return new PgoSetting(PgoMode.Auto, "auto");
            }

            if (text.Equals("off", StringComparison.OrdinalIgnoreCase))
            {
                return new PgoSetting(PgoMode.Off, "off");
            }

            if (text.IndexOfAny(Path.GetInvalidPathChars()) >= 0 || text.IndexOf('\0') >= 0)
            {
                throw Invalid(text, "it contains characters that cannot appear in a path");
            }

            string full = Path.GetFullPath(Path.Combine(baseDirectory, text));
            foreach (var word in LooksLikeASwitch)
            {
                if (text.Equals(word, StringComparison.OrdinalIgnoreCase) && !File.Exists(full))
                {
                    throw Invalid(text, "it is neither 'off' nor 'auto', and no profile file of that name exists");
                }
            }

            if (Directory.Exists(full) || text.EndsWith("/", StringComparison.Ordinal) || text.EndsWith("\\", StringComparison.Ordinal))
            {
                throw Invalid(text, $"'{full}' is a directory, not a profile file");
            }

            return new PgoSetting(PgoMode.Path, text);
        }

        /// <summary>
        /// The profile a project builds with, or null for none. <c>auto</c>: <c>default.pgo</c> in the directory of an
        /// executable project, if it exists (silently none otherwise; libraries never). A path: made absolute against
        /// <paramref name="baseDirectory"/>; a missing file is PGO001.
        /// </summary>
        public string? ResolveProfile(bool isExecutable, string projectDirectory, string baseDirectory)
        {
            switch (Mode)
            {
                case PgoMode.Off:
                    return null;
                case PgoMode.Auto:
                    if (!isExecutable)
                    {
                        return null;
                    }

                    string candidate = System.IO.Path.Combine(projectDirectory, DefaultProfileName);
                    return File.Exists(candidate) ? System.IO.Path.GetFullPath(candidate) : null;
                default:
                    string full = System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDirectory, Value));
                    if (!File.Exists(full))
                    {
                        throw new PgoException(PgoCodes.ProfileNotFound, $"error opening profile: open {full}: no such file or directory (from Pgo='{Value}')", full);
                    }

                    return full;
            }
        }

        /// <summary>True for OutputType Exe and WinExe (Go: main packages).</summary>
        public static bool IsExecutable(string? outputType) =>
            string.Equals(outputType, "Exe", StringComparison.OrdinalIgnoreCase) || string.Equals(outputType, "WinExe", StringComparison.OrdinalIgnoreCase);

        private static PgoException Invalid(string text, string why) =>
            new PgoException(PgoCodes.InvalidPgoValue, $"invalid Pgo value '{text}': {why}. Use Pgo=off, Pgo=auto or Pgo=<path of a profile>.");
    }
}
