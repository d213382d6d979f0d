using System;
using System.Runtime.CompilerServices;
using System.Text;

namespace Pgo.Build.Profiles
{
    /// <summary>A growing buffer of protobuf fields (proto3: a zero number is not written).</summary>
    internal sealed class ProtoWriter
    {
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false);

        public ProtoWriter(int capacity)
        {
            Buffer = new byte[capacity];
        }

        public byte[] Buffer { get; private set; }

        public int Length { get; private set; }

        public void Clear() => Length = 0;

        public byte[] ToArray()
        {
            var result = new byte[Length];
            System.Buffer.BlockCopy(Buffer, 0, result, 0, Length);
            return result;
        }

        /// <summary>A varint field, left out when 0.</summary>
        public void Varint(int field, ulong value)
        {
            if (value != 0)
            {
                RawVarint((ulong)field << 3);
                RawVarint(value);
            }
        }

        /// <summary>A length-delimited field holding what <paramref name="body"/> has (written even when empty).</summary>
        public void Bytes(int field, ProtoWriter body)
        {
            RawVarint(((ulong)field << 3) | 2);
            RawVarint((ulong)body.Length);
            Reserve(body.Length);
            System.Buffer.BlockCopy(body.Buffer, 0, Buffer, Length, body.Length);
            Length += body.Length;
        }

        /// <summary>A string field (written even when empty: an element of a repeated field).</summary>
        public void String(int field, string value)
        {
            RawVarint(((ulong)field << 3) | 2);
            int bytes = Utf8.GetByteCount(value);
            RawVarint((ulong)bytes);
            Reserve(bytes);
            Utf8.GetBytes(value, 0, value.Length, Buffer, Length);
            Length += bytes;
        }

        [MethodImpl(Jit.Optimized)]
        public void RawVarint(ulong value)
        {
            Reserve(10);
            var buffer = Buffer;
            int pos = Length;
            while (value >= 0x80)
            {
                buffer[pos++] = (byte)(value | 0x80);
                value >>= 7;
            }

            buffer[pos++] = (byte)value;
            Length = pos;
        }

        private void Reserve(int count)
        {
            if (Length + count > Buffer.Length)
            {
                long size = Math.Max((long)Length + count, (long)Buffer.Length * 2);
                if (size > int.MaxValue - 64)
                {
                    throw new InvalidOperationException("the profile is too large to encode (over 2 GiB)");
                }

                var bigger = new byte[size];
                System.Buffer.BlockCopy(Buffer, 0, bigger, 0, Length);
                Buffer = bigger;
            }
        }
    }
}
