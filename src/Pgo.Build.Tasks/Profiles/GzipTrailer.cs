using System;
using System.IO;
using System.IO.Compression;
using System.Threading;

namespace Pgo.Build.Profiles
{
    /// <summary>
    /// GZipStream ends silently where truncated input ends (Go: "unexpected EOF"). A complete stream ends with the
    /// CRC-32 and size of its last member's data; GZipStream checks a trailer it reads, so what is left to check is
    /// that the last eight bytes are one: their size must be that of the output's last bytes (the whole output for
    /// one member), and for several members the CRC-32 of those bytes, computed on a second decompression.
    /// </summary>
    internal static class GzipTrailer
    {
        private static readonly uint[] Table = MakeTable();

        public static void Check(byte[] gzip, long decoded, CancellationToken cancellation)
        {
            int n = gzip.Length;
            if (n >= 18)
            {
                uint crc = (uint)(gzip[n - 8] | gzip[n - 7] << 8 | gzip[n - 6] << 16 | gzip[n - 5] << 24);
                uint size = (uint)(gzip[n - 4] | gzip[n - 3] << 8 | gzip[n - 2] << 16 | gzip[n - 1] << 24);
                if (size == (uint)decoded && decoded <= uint.MaxValue)
                {
                    return; // one member: GZipStream has checked its CRC-32
                }

                if (size <= decoded && SuffixCrc(gzip, decoded - size, cancellation) == crc)
                {
                    return;
                }
            }

            throw new ProfileFormatException("decompressing profile: unexpected EOF");
        }

        /// <summary>CRC-32 of the decompressed bytes from <paramref name="from"/> on.</summary>
        private static uint SuffixCrc(byte[] gzip, long from, CancellationToken cancellation)
        {
            try
            {
                using var stream = new GZipStream(new MemoryStream(gzip, writable: false), CompressionMode.Decompress);
                var buffer = new byte[81920];
                long position = 0;
                uint crc = 0xFFFFFFFF;
                int read;
                while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
                {
                    cancellation.ThrowIfCancellationRequested();
                    int start = (int)Math.Max(0, Math.Min(read, from - position));
                    for (int i = start; i < read; i++)
                    {
                        crc = Table[(crc ^ buffer[i]) & 0xff] ^ (crc >> 8);
                    }

                    position += read;
                }

                return ~crc;
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                throw new ProfileFormatException("decompressing profile: " + e.Message, e);
            }
        }

        private static uint[] MakeTable()
        {
            var table = new uint[256];
            for (uint i = 0; i < 256; i++)
            {
                uint c = i;
                for (int k = 0; k < 8; k++)
                {
                    c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
                }

                table[i] = c;
            }

            return table;
        }
    }
}
