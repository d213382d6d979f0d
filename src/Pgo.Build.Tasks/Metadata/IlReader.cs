using System;
using System.Collections.Generic;
using System.Reflection.Emit;

namespace Pgo.Build.Metadata
{
    /// <summary>
    /// One IL instruction: its offset, opcode and the raw operand (a token for token operands, the target count
    /// for <c>switch</c>).
    /// </summary>
    public readonly record struct IlInstruction(int Offset, OpCode OpCode, long Operand)
    {
        public bool HasToken => IlReader.IsTokenOperand(OpCode.OperandType);
        public int Token => (int)Operand;

        /// <summary>Bytes of opcode and operand; for <c>switch</c> its jump table included.</summary>
        public int Size => OpCode.Size + IlReader.OperandSize(OpCode.OperandType, OpCode.OperandType == OperandType.InlineSwitch ? (int)Operand : 0);
    }

    /// <summary>Walks a method body's IL instruction by instruction (ECMA-335 III).</summary>
    public static class IlReader
    {
        private static readonly OpCode[] OneByte = new OpCode[0x100];
        private static readonly OpCode[] TwoByte = new OpCode[0x100];
        private static readonly bool[] HasOneByte = new bool[0x100];
        private static readonly bool[] HasTwoByte = new bool[0x100];

        static IlReader()
        {
            foreach (var field in typeof(OpCodes).GetFields())
            {
                if (field.GetValue(null) is OpCode op)
                {
                    ushort value = unchecked((ushort)op.Value);
                    if (op.Size == 1)
                    {
                        OneByte[value] = op;
                        HasOneByte[value] = true;
                    }
                    else
                    {
                        TwoByte[value & 0xff] = op;
                        HasTwoByte[value & 0xff] = true;
                    }
                }
            }
        }

        public static bool IsTokenOperand(OperandType type) =>
            type == OperandType.InlineMethod || type == OperandType.InlineField || type == OperandType.InlineType ||
            type == OperandType.InlineTok || type == OperandType.InlineString || type == OperandType.InlineSig;

        /// <summary>Operand size in bytes; for <c>switch</c> the size depends on the target count.</summary>
        public static int OperandSize(OperandType type, int switchTargets) => type switch
        {
            OperandType.InlineNone => 0,
            OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
            OperandType.InlineVar => 2,
            OperandType.InlineI8 or OperandType.InlineR => 8,
            OperandType.InlineSwitch => 4 + 4 * switchTargets,
            _ => 4,
        };

        /// <summary>Decodes the instructions of <paramref name="il"/>. Throws <see cref="BadImageFormatException"/> on malformed IL.</summary>
        public static IEnumerable<IlInstruction> Read(byte[] il)
        {
            int pos = 0;
            while (pos < il.Length)
            {
                int offset = pos;
                OpCode op;
                byte b = il[pos++];
                if (b == 0xfe)
                {
                    if (pos >= il.Length || !HasTwoByte[il[pos]])
                    {
                        throw new BadImageFormatException($"invalid IL opcode at offset {offset}");
                    }

                    op = TwoByte[il[pos++]];
                }
                else
                {
                    if (!HasOneByte[b])
                    {
                        throw new BadImageFormatException($"invalid IL opcode 0x{b:x2} at offset {offset}");
                    }

                    op = OneByte[b];
                }

                long operand = 0;
                int size;
                if (op.OperandType == OperandType.InlineSwitch)
                {
                    int count = (int)ReadInt(il, pos, 4, offset);
                    if (count < 0 || count > (il.Length - pos) / 4)
                    {
                        throw new BadImageFormatException($"invalid switch at offset {offset}");
                    }

                    operand = count;
                    size = OperandSize(op.OperandType, count);
                }
                else
                {
                    size = OperandSize(op.OperandType, 0);
                    operand = size == 0 ? 0 : ReadInt(il, pos, size, offset);
                }

                if (pos + size > il.Length)
                {
                    throw new BadImageFormatException($"truncated IL operand at offset {offset}");
                }

                pos += size;
                yield return new IlInstruction(offset, op, operand);
            }
        }

        private static long ReadInt(byte[] il, int pos, int size, int offset)
        {
            if (pos + size > il.Length)
            {
                throw new BadImageFormatException($"truncated IL operand at offset {offset}");
            }

            long value = 0;
            for (int i = size - 1; i >= 0; i--)
            {
                value = (value << 8) | il[pos + i];
            }

            return size == 1 ? (sbyte)value : size == 2 ? (short)value : size == 4 ? (int)value : value;
        }
    }
}
