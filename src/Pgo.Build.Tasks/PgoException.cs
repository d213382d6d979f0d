using System;

namespace Pgo.Build
{
    /// <summary>
    /// A failure the user must act on, carrying a stable diagnostic code (docs/errors.md).
    /// The engine throws it; a Task class turns it into an MSBuild error pointing at <see cref="File"/>.
    /// </summary>
    public sealed class PgoException : Exception
    {
        public PgoException(string code, string message, string? file = null, Exception? inner = null)
            : base(message, inner)
        {
            Code = code;
            File = file;
        }

        /// <summary>PGO001..PGO0xx (errors); see <see cref="PgoCodes"/>.</summary>
        public string Code { get; }

        /// <summary>The file the error is about (usually the profile), or null.</summary>
        public string? File { get; }
    }

    /// <summary>Stable diagnostic codes. Documented in docs/errors.md; never reuse a retired number.</summary>
    public static class PgoCodes
    {
        public const string ProfileNotFound = "PGO001";
        public const string UnreadableProfile = "PGO002";
        public const string NoUsableSampleType = "PGO003";
        public const string InvalidPgoValue = "PGO004";
        public const string InvalidSetting = "PGO005";
        public const string CacheUnavailable = "PGO006";

        public const string NoStartLines = "PGO101";
        public const string CacheWriteFailed = "PGO102";
        public const string ConsumerSkipped = "PGO103";
        public const string ProfileMismatch = "PGO104";
        public const string UnrecognizedFrameNames = "PGO105";
        public const string ReceiverTypesContradicted = "PGO106";
    }
}
