using System;
using System.Collections.Generic;

namespace Pgo.Build.Profiles
{
    /// <summary>
    /// The undecoded bytes of a profile's samples between the decoder's two passes, in chunks (64 KiB growing to 1 MiB)
    /// that each hold whole samples (no copy of everything into one growing array).
    /// </summary>
    internal sealed class SampleStore
    {
        private const int ChunkSize = 1 << 20;
        private readonly List<Chunk> _chunks = new List<Chunk>();

        public int Count { get; private set; }

        /// <summary>Copies the next <paramref name="length"/> bytes of <paramref name="input"/> (one sample's body).</summary>
        public void Add(ProtoStream input, int length)
        {
            var chunk = _chunks.Count == 0 ? null : _chunks[_chunks.Count - 1];
            if (length > ChunkSize)
            {
                // A body longer than a chunk gets a chunk of its own, grown as its bytes arrive (a length that lies
                // about the bytes that follow costs no more than those bytes).
                var buffer = new byte[ChunkSize];
                int have = 0;
                while (have < length)
                {
                    if (have == buffer.Length)
                    {
                        Array.Resize(ref buffer, (int)Math.Min(length, (long)buffer.Length * 2));
                    }

                    int n = buffer.Length - have;
                    input.ReadExactly(buffer, have, n);
                    have += n;
                }

                chunk = new Chunk(buffer);
                _chunks.Add(chunk);
            }
            else
            {
                if (chunk == null || chunk.Buffer.Length - chunk.Used < length)
                {
                    int size = chunk == null ? 64 << 10 : (int)Math.Min(ChunkSize, (long)chunk.Buffer.Length * 2);
                    chunk = new Chunk(new byte[Math.Max(size, length)]);
                    _chunks.Add(chunk);
                }

                input.ReadExactly(chunk.Buffer, chunk.Used, length);
            }

            chunk.Ends.Add(chunk.Used + length);
            chunk.Used += length;
            Count++;
        }

        /// <summary>Each kept body as (buffer, start, end), in the order they were added.</summary>
        public IEnumerable<(byte[] Buffer, int Start, int End)> Bodies()
        {
            foreach (var chunk in _chunks)
            {
                int start = 0;
                foreach (int end in chunk.Ends)
                {
                    yield return (chunk.Buffer, start, end);
                    start = end;
                }
            }
        }

        public void Clear()
        {
            _chunks.Clear();
            Count = 0;
        }

        private sealed class Chunk
        {
            public Chunk(byte[] buffer)
            {
                Buffer = buffer;
            }

            public byte[] Buffer { get; }

            public int Used { get; set; }

            public List<int> Ends { get; } = new List<int>();
        }
    }
}
