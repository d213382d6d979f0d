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
    public sealed record MibcEntry(string Group, string Method, double? ExclusiveWeight, IReadOnlyList<MibcRecord> Records);

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

        private static void ReadGroup(PEReader pe, MetadataReader md, MethodDefinitionHandle group, string key, List<MibcEntry> entries)
        {
            string? method = null;
            double? weight = null;
            bool expectWeight = false;
            List<long>? data = null;
            var types = new Dictionary<long, string>();
            var records = new List<MibcRecord>();
            foreach (var ins in IlReader.Read(Body(pe, md, group)))
            {
                if (data != null && ins.OpCode != OpCodes.Ldstr)
                {
                    if (ins.OpCode == OpCodes.Ldtoken)
                    {
                        types[ins.Token] = TokenText.Of(md, MetadataTokens.EntityHandle(ins.Token));
                        data.Add(ins.Token);
                    }
                    else
                    {
                        data.Add(Constant(ins));
                    }

                    continue;
                }

                if (ins.OpCode == OpCodes.Ldtoken)
                {
                    method = TokenText.Of(md, MetadataTokens.EntityHandle(ins.Token));
                }
                else if (ins.OpCode == OpCodes.Ldstr)
                {
                    string s = md.GetUserString(MetadataTokens.UserStringHandle(ins.Token & 0xFFFFFF));
                    if (s == "InstrumentationDataStart")
                    {
                        data = new List<long>();
                    }
                    else if (s == "InstrumentationDataEnd" && data != null)
                    {
                        records.AddRange(Decode(data, types));
                        data = null;
                    }

                    expectWeight = s == "ExclusiveWeight";
                }
                else if (expectWeight && (ins.OpCode == OpCodes.Ldc_R8 || ins.OpCode.OperandType != OperandType.InlineR))
                {
                    weight = ins.OpCode == OpCodes.Ldc_R8 ? BitConverter.Int64BitsToDouble(ins.Operand) : Constant(ins);
                    expectWeight = false;
                }
                else if (ins.OpCode == OpCodes.Pop && method != null)
                {
                    entries.Add(new MibcEntry(key, method, weight, records.ToArray()));
                    method = null;
                    weight = null;
                    records.Clear();
                }
            }
        }

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
