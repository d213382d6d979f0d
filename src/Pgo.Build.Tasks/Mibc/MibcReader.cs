using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Pgo.Build.Metadata;

namespace Pgo.Build.Mibc
{
    /// <summary>One schema record read back from a .mibc; type handles as their names.</summary>
    public sealed record MibcRecord(int IlOffset, int Kind, int Count, int Other, IReadOnlyList<long> Numbers, IReadOnlyList<string> Types);

    /// <summary>One profiled method of a .mibc group.</summary>
    public sealed record MibcEntry(string Group, string Method, double? ExclusiveWeight, IReadOnlyList<MibcRecord> Records)
    {
        /// <summary>Its <c>WeightedCallData</c>: callee and weight, in file order.</summary>
        public IReadOnlyList<(string Callee, long Weight)> Calls { get; init; } = Array.Empty<(string, long)>();
    }

    /// <summary>
    /// Decodes a .mibc back (the reverse of <see cref="MibcWriter"/>, with the compilers' reading rules): for tests,
    /// <c>pgo mibc</c> and anyone who wants to see what a build handed to ILC or crossgen2.
    /// </summary>
    public static class MibcReader
    {
        public static IReadOnlyList<MibcEntry> Read(string path)
        {
            using var stream = File.OpenRead(path);
            using var pe = new PEReader(stream);
            var md = pe.GetMetadataReader();
            var entries = new List<MibcEntry>();
            MethodDefinitionHandle? dictionary = null;
            foreach (var handle in md.MethodDefinitions)
            {
                if (md.GetString(md.GetMethodDefinition(handle).Name) == "AssemblyDictionary")
                {
                    dictionary = handle;
                }
            }

            if (dictionary == null)
            {
                throw new BadImageFormatException("no AssemblyDictionary method: not a .mibc");
            }

            string key = "";
            foreach (var ins in IlReader.Read(Body(pe, md, dictionary.Value)))
            {
                if (ins.OpCode == OpCodes.Ldstr)
                {
                    key = md.GetUserString(MetadataTokens.UserStringHandle(ins.Token & 0xFFFFFF));
                }
                else if (ins.OpCode == OpCodes.Ldtoken && ins.Token >> 24 == 0x06)
                {
                    ReadGroup(pe, md, (MethodDefinitionHandle)MetadataTokens.EntityHandle(ins.Token), key, entries);
                }
            }

            return entries;
        }

        private enum State
        {
            None,
            Weight,
            CallCount,
            CallToken,
            CallWeight,
            Data,
        }

        /// <summary>The compilers' group grammar: <c>ldtoken method</c>, optional data introduced by a string, <c>pop</c>.</summary>
        private static void ReadGroup(PEReader pe, MetadataReader md, MethodDefinitionHandle group, string key, List<MibcEntry> entries)
        {
            string? method = null, callee = null;
            double? weight = null;
            var state = State.None;
            int remainingCalls = 0;
            var data = new List<long>();
            var types = new Dictionary<long, string>();
            var records = new List<MibcRecord>();
            var calls = new List<(string, long)>();
            foreach (var ins in IlReader.Read(Body(pe, md, group)))
            {
                if (ins.OpCode == OpCodes.Ldtoken)
                {
                    string text = TokenText.Of(md, MetadataTokens.EntityHandle(ins.Token));
                    switch (state)
                    {
                        case State.Data:
                            types[ins.Token] = text;
                            data.Add(ins.Token);
                            break;
                        case State.CallToken:
                            callee = text;
                            state = State.CallWeight;
                            break;
                        default:
                            method = text;
                            state = State.None;
                            break;
                    }
                }
                else if (ins.OpCode == OpCodes.Ldstr)
                {
                    string s = md.GetUserString(MetadataTokens.UserStringHandle(ins.Token & 0xFFFFFF));
                    state = s switch
                    {
                        "ExclusiveWeight" => State.Weight,
                        "WeightedCallData" => State.CallCount,
                        "InstrumentationDataStart" => State.Data,
                        _ => State.None,
                    };
                    if (s == "InstrumentationDataStart")
                    {
                        data.Clear();
                    }
                    else if (s == "InstrumentationDataEnd")
                    {
                        records.AddRange(Decode(data, types));
                    }
                }
                else if (ins.OpCode == OpCodes.Pop && method != null)
                {
                    entries.Add(new MibcEntry(key, method, weight, records.ToArray()) { Calls = calls.ToArray() });
                    method = null;
                    weight = null;
                    state = State.None;
                    records.Clear();
                    calls.Clear();
                }
                else if (ins.OpCode == OpCodes.Ldc_R8 || ins.OpCode == OpCodes.Ldc_R4)
                {
                    if (state == State.Weight)
                    {
                        weight = ins.OpCode == OpCodes.Ldc_R8 ? BitConverter.Int64BitsToDouble(ins.Operand) : BitConverter.ToSingle(BitConverter.GetBytes((int)ins.Operand), 0);
                    }

                    state = state == State.Data ? State.Data : State.None;
                }
                else if (IsIntegerConstant(ins))
                {
                    long value = Constant(ins);
                    switch (state)
                    {
                        case State.Data:
                            data.Add(value);
                            break;
                        case State.Weight:
                            weight = value;
                            state = State.None;
                            break;
                        case State.CallCount:
                            remainingCalls = (int)value;
                            state = remainingCalls > 0 ? State.CallToken : State.None;
                            break;
                        case State.CallWeight:
                            calls.Add((callee ?? "", value));
                            state = --remainingCalls > 0 ? State.CallToken : State.None;
                            break;
                        default:
                            state = State.None;
                            break;
                    }
                }
            }
        }

        private static bool IsIntegerConstant(IlInstruction ins) =>
            ins.OpCode == OpCodes.Ldc_I4 || ins.OpCode == OpCodes.Ldc_I4_S || ins.OpCode == OpCodes.Ldc_I8 ||
            (ins.OpCode.Value >= OpCodes.Ldc_I4_M1.Value && ins.OpCode.Value <= OpCodes.Ldc_I4_8.Value);

        /// <summary>The reader's schema stream: mask, then the masked fields, then Count values for data kinds.</summary>
        private static IEnumerable<MibcRecord> Decode(List<long> stream, Dictionary<long, string> types)
        {
            int i = 0;
            int il = 0, kind = 0, count = 0, other = 0;
            while (i < stream.Count)
            {
                long mask = stream[i++];
                if ((mask & 1) != 0) il = checked((int)stream[i++]);
                if ((mask & 2) != 0) kind = checked((int)stream[i++]);
                if ((mask & 4) != 0) count = checked((int)stream[i++]);
                if ((mask & 8) != 0) other = checked((int)stream[i++]);
                if (kind == 0)
                {
                    yield break;
                }

                var numbers = new List<long>();
                var names = new List<string>();
                int nibble = kind & 0xF;
                if (nibble != 0)
                {
                    if (i + count > stream.Count)
                    {
                        throw new BadImageFormatException("partial instrumentation data");
                    }

                    for (int k = 0; k < count; k++)
                    {
                        long v = stream[i++];
                        if (nibble >= 3)
                        {
                            names.Add(v == 0 ? "" : types.TryGetValue(v, out var n) ? n : "?" + v.ToString("x8"));
                        }
                        else
                        {
                            numbers.Add(v);
                        }
                    }
                }

                yield return new MibcRecord(il, kind, count, other, numbers, names);
            }
        }

        private static long Constant(IlInstruction ins)
        {
            short v = ins.OpCode.Value;
            if (v >= OpCodes.Ldc_I4_M1.Value && v <= OpCodes.Ldc_I4_8.Value)
            {
                return v - OpCodes.Ldc_I4_0.Value;
            }

            return ins.Operand;
        }

        private static byte[] Body(PEReader pe, MetadataReader md, MethodDefinitionHandle handle) =>
            pe.GetMethodBody(md.GetMethodDefinition(handle).RelativeVirtualAddress).GetILBytes() ?? new byte[0];
    }
}
