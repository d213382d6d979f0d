using System;
using System.Threading;

namespace Pgo.Build.Profiles
{
    /// <summary>
    /// Decodes pprof bytes (raw protobuf, gzip, zstd or LZ4 frame, told apart by magic bytes, never by file name) into a
    /// validated <see cref="ProfileData"/>, with the checks of Go's <c>internal/profile.Parse</c>.
    /// Every failure is a <see cref="ProfileFormatException"/> whose message follows Go's wording
    /// ("decompressing profile: ...", "parsing profile: ...", "malformed profile: ..."): whatever the bytes, the result
    /// is a profile or that exception (or <see cref="OperationCanceledException"/>), within time and memory bounded by
    /// <see cref="ProfileLimits"/>, which are checked while reading (<see cref="ProfileParser"/>).
    /// </summary>
    public static class ProfileDecoder
    {
        public static ProfileData Decode(byte[] bytes, ProfileLimits? limits = null, CancellationToken cancellation = default)
        {
            if (bytes == null)
            {
                throw new ArgumentNullException(nameof(bytes));
            }

            limits ??= ProfileLimits.Default;
            var compression = Sniff(bytes);
            if (compression == ProfileCompression.None && bytes.Length > limits.MaxDecodedBytes)
            {
                throw new ProfileFormatException($"parsing profile: {bytes.Length} bytes exceed the limit of {limits.MaxDecodedBytes} bytes");
            }

            var parser = new ProfileParser(limits, cancellation);
            long decoded;
            using (var stream = DecompressingStream.Open(bytes, compression, limits.MaxDecodedBytes, cancellation))
            {
                var input = new ProtoStream(stream);
                try
                {
                    parser.ReadFields(input);
                }
                catch (ProfileFormatException) when (compression == ProfileCompression.Gzip && input.Ended)
                {
                    // The data ended inside a field: a cut gzip file is reported as Go does, as a decompression error.
                    GzipTrailer.Check(bytes, stream.Produced, cancellation);
                    throw;
                }

                decoded = stream.Produced;
            }

            if (compression == ProfileCompression.Gzip)
            {
                GzipTrailer.Check(bytes, decoded, cancellation);
            }

            if (decoded == 0)
            {
                // Go: ErrNoData; an empty profile is accepted and means "no PGO data".
                return ProfileData.Empty;
            }

            return parser.Build(decoded);
        }

        /// <summary>The compression a profile's first bytes announce.</summary>
        public static ProfileCompression Sniff(byte[] bytes)
        {
            if (bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
            {
                return ProfileCompression.Gzip;
            }

            if (bytes.Length >= 4 && bytes[0] == 0x28 && bytes[1] == 0xb5 && bytes[2] == 0x2f && bytes[3] == 0xfd)
            {
                return ProfileCompression.Zstd;
            }

            if (bytes.Length >= 4 && bytes[0] == 0x04 && bytes[1] == 0x22 && bytes[2] == 0x4d && bytes[3] == 0x18)
            {
                return ProfileCompression.Lz4;
            }

            return ProfileCompression.None;
        }
    }

    public enum ProfileCompression
    {
        None,
        Gzip,
        Zstd,
        Lz4,
    }

    /// <summary>The bytes are not a readable pprof profile (PGO002). The message is the decoder's reason.</summary>
    public sealed class ProfileFormatException : Exception
    {
        public ProfileFormatException(string message, Exception? inner = null)
            : base(message, inner)
        {
        }
    }
}
