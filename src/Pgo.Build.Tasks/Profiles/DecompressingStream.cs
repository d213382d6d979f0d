using System;
using System.IO;
using System.IO.Compression;
using System.Threading;

namespace Pgo.Build.Profiles
{
    /// <summary>
    /// The decompressed bytes of a profile as a stream, under the decoder's contract: at most
    /// <see cref="ProfileLimits.MaxDecodedBytes"/> bytes are produced (then "decompressed size exceeds the limit"),
    /// cancellation is checked on every read, and whatever a decompressor throws (<c>InvalidDataException</c> from
    /// gzip, <c>ZstdException</c> from zstd, anything else) becomes a <see cref="ProfileFormatException"/>
    /// ("decompressing profile: ..."). Nothing is buffered beyond the decompressor's own window.
    /// </summary>
    internal sealed class DecompressingStream : Stream
    {
        /// <summary>Largest zstd window accepted (2^27 = 128 MiB, zstd's own default limit); a frame asking more is PGO002.</summary>
        public const int ZstdWindowLogMax = 27;

        private readonly Stream _inner;
        private readonly long _max;
        private readonly CancellationToken _cancellation;

        private DecompressingStream(Stream inner, long max, CancellationToken cancellation)
        {
            _inner = inner;
            _max = max;
            _cancellation = cancellation;
        }

        /// <summary>Bytes produced so far.</summary>
        public long Produced { get; private set; }

        public static DecompressingStream Open(byte[] bytes, ProfileCompression compression, long maxDecodedBytes, CancellationToken cancellation)
        {
            Stream inner;
            try
            {
                var input = new MemoryStream(bytes, writable: false);
                switch (compression)
                {
                    case ProfileCompression.Gzip:
                        inner = new GZipStream(input, CompressionMode.Decompress);
                        break;
                    case ProfileCompression.Zstd:
                        var decompressor = new ZstdSharp.Decompressor();
                        decompressor.SetParameter(ZstdSharp.Unsafe.ZSTD_dParameter.ZSTD_d_windowLogMax, ZstdWindowLogMax);
                        inner = new ZstdSharp.DecompressionStream(input, decompressor, 64 << 10, checkEndOfStream: true, preserveDecompressor: false, leaveOpen: false);
                        break;
                    case ProfileCompression.Lz4:
                        inner = new Lz4FrameStream(bytes);
                        break;
                    default:
                        inner = input;
                        break;
                }
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                throw new ProfileFormatException("decompressing profile: " + e.Message, e);
            }

            return new DecompressingStream(inner, maxDecodedBytes, cancellation);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Produced; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            _cancellation.ThrowIfCancellationRequested();
            int read;
            try
            {
                read = _inner.Read(buffer, offset, count);
            }
            catch (ProfileFormatException)
            {
                throw;
            }
            catch (EndOfStreamException e)
            {
                throw new ProfileFormatException("decompressing profile: unexpected EOF", e);
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                // Any decompressor failure (damaged data, a window too large, a bug in a port) is the profile's fault.
                throw new ProfileFormatException("decompressing profile: " + e.Message, e);
            }

            Produced += read;
            if (Produced > _max)
            {
                throw new ProfileFormatException($"decompressing profile: decompressed size exceeds the limit of {_max} bytes");
            }

            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                try
                {
                    _inner.Dispose();
                }
                catch (Exception e) when (!(e is OperationCanceledException))
                {
                    // A decompressor that fails to clean up after damaged input has nothing more to say.
                }
            }

            base.Dispose(disposing);
        }
    }
}
