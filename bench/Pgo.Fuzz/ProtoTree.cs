using System;
using System.Collections.Generic;
using System.IO;

namespace Pgo.Fuzz
{
    /// <summary>A protobuf message as a list of fields, nested messages parsed where the field holds one.</summary>
    internal sealed class ProtoField
    {
        public int Number;
        public int Wire;
        public ulong Value;          // varint, fixed64, fixed32
        public byte[] Bytes = Array.Empty<byte>(); // wire type 2 when not a message
        public List<ProtoField>? Message; // wire type 2 parsed as a message

        public ProtoField Clone() => new ProtoField
        {
            Number = Number, Wire = Wire, Value = Value, Bytes = Bytes,
            Message = Message == null ? null : Message.ConvertAll(f => f.Clone()),
        };
    }

    internal static class ProtoTree
    {
        /// <summary>Which fields of which message (by path of field numbers) are messages in profile.proto.</summary>
        private static bool IsMessage(int depth, int parent, int number) => depth switch
        {
            0 => number is 1 or 2 or 3 or 4 or 5 or 11,
            1 => (parent == 2 && number == 3) || (parent == 4 && number == 4),
            _ => false,
        };

        public static List<ProtoField>? TryParse(byte[] data) => TryParse(data, 0, data.Length, 0, 0);

        private static List<ProtoField>? TryParse(byte[] d, int pos, int end, int depth, int parent)
        {
            var fields = new List<ProtoField>();
            while (pos < end)
            {
                if (!Varint(d, ref pos, end, out ulong tag))
                {
                    return null;
                }

                var f = new ProtoField { Number = (int)(tag >> 3), Wire = (int)(tag & 7) };
                switch (f.Wire)
                {
                    case 0:
                        if (!Varint(d, ref pos, end, out f.Value)) return null;
                        break;
                    case 1:
                        if (end - pos < 8) return null;
                        f.Value = BitConverter.ToUInt64(d, pos);
                        pos += 8;
                        break;
                    case 5:
                        if (end - pos < 4) return null;
                        f.Value = BitConverter.ToUInt32(d, pos);
                        pos += 4;
                        break;
                    case 2:
                        if (!Varint(d, ref pos, end, out ulong len) || len > (ulong)(end - pos)) return null;
                        int start = pos;
                        pos += (int)len;
                        if (IsMessage(depth, parent, f.Number))
                        {
                            f.Message = TryParse(d, start, pos, depth + 1, f.Number);
                        }

                        if (f.Message == null)
                        {
                            f.Bytes = new byte[len];
                            Buffer.BlockCopy(d, start, f.Bytes, 0, (int)len);
                        }

                        break;
                    default:
                        return null;
                }

                fields.Add(f);
            }

            return fields;
        }

        public static byte[] Write(List<ProtoField> fields)
        {
            var ms = new MemoryStream();
            Write(ms, fields);
            return ms.ToArray();
        }

        private static void Write(MemoryStream ms, List<ProtoField> fields)
        {
            foreach (var f in fields)
            {
                WriteVarint(ms, ((ulong)(uint)f.Number << 3) | (uint)f.Wire);
                switch (f.Wire)
                {
                    case 0: WriteVarint(ms, f.Value); break;
                    case 1: ms.Write(BitConverter.GetBytes(f.Value), 0, 8); break;
                    case 5: ms.Write(BitConverter.GetBytes((uint)f.Value), 0, 4); break;
                    default:
                        if (f.Message != null)
                        {
                            var inner = Write(f.Message);
                            WriteVarint(ms, (ulong)inner.Length);
                            ms.Write(inner, 0, inner.Length);
                        }
                        else
                        {
                            WriteVarint(ms, (ulong)f.Bytes.Length);
                            ms.Write(f.Bytes, 0, f.Bytes.Length);
                        }

                        break;
                }
            }
        }

        public static void WriteVarint(Stream s, ulong v)
        {
            while (v >= 0x80)
            {
                s.WriteByte((byte)(v | 0x80));
                v >>= 7;
            }

            s.WriteByte((byte)v);
        }

        public static byte[] Packed(IEnumerable<ulong> values)
        {
            var ms = new MemoryStream();
            foreach (var v in values)
            {
                WriteVarint(ms, v);
            }

            return ms.ToArray();
        }

        private static bool Varint(byte[] d, ref int pos, int end, out ulong value)
        {
            value = 0;
            for (int shift = 0; shift < 70; shift += 7)
            {
                if (pos >= end) return false;
                byte b = d[pos++];
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80) return true;
            }

            return false;
        }

        public static ProtoField V(int number, ulong value) => new ProtoField { Number = number, Wire = 0, Value = value };

        public static ProtoField B(int number, byte[] bytes) => new ProtoField { Number = number, Wire = 2, Bytes = bytes };

        public static ProtoField M(int number, params ProtoField[] fields) => new ProtoField { Number = number, Wire = 2, Message = new List<ProtoField>(fields) };

        public static ProtoField S(string s) => B(6, System.Text.Encoding.UTF8.GetBytes(s));
    }
}
