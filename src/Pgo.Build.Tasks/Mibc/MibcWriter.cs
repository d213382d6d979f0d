using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using Pgo.Build.Matching;
using Pgo.Build.Metadata;
using Pgo.Build.RuntimePgo;

namespace Pgo.Build.Mibc
{
    /// <summary>What a written .mibc holds (for the build summary and tests).</summary>
    public sealed record MibcWriteResult(byte[] Bytes, int Methods, int Records, int TypeHistograms, int SkippedMethods, int DroppedTypeSlots)
    {
        public bool IsEmpty => Methods == 0;

        /// <summary>Methods written with an <c>ExclusiveWeight</c> (their CPU-sample weight).</summary>
        public int Weighted { get; init; }

        /// <summary>Call edges written as <c>WeightedCallData</c>.</summary>
        public int CallEdges { get; init; }
    }

    /// <summary>
    /// Writes a .NET static-PGO file (.mibc: an ECMA-335 assembly whose global methods encode profile data in IL,
    /// the format ILC and crossgen2 read with <c>--mibc</c>) from the runtime records matched to one assembly.
    /// Only entries that resolve are written: the compilers' reader drops the entry after an unresolvable one.
    /// Layout: <c>&lt;Module&gt;</c> is the only type; <c>AssemblyDictionary</c> maps the group key
    /// <c>"&lt;assembly&gt;;"</c> to one group method holding, per method, <c>ldtoken method</c>, optionally
    /// <c>"ExclusiveWeight"</c> + <c>ldc.r8</c> and <c>"WeightedCallData"</c> + count + (<c>ldtoken callee</c>,
    /// <c>ldc.i4</c> weight) pairs, then <c>"InstrumentationDataStart"</c>, the schema records as constants (mask 15,
    /// IL offset, kind, count, other, data), <c>"InstrumentationDataEnd"</c>, <c>pop</c>.
    /// </summary>
    public static class MibcWriter
    {
        public static MibcWriteResult Write(AssemblySymbols assembly, IReadOnlyList<MatchedMethod> methods, string mibcName,
            Func<string, string, TypeModel?>? definitions = null) =>
            Write(new[] { (assembly, methods) }, mibcName, definitions);

        /// <summary>
        /// One group per assembly (key <c>"&lt;assembly&gt;;"</c>, the methods of that assembly): a whole program's
        /// .mibc for NativeAOT, whose compiler reads every group.
        /// </summary>
        /// <param name="definitions">
        /// The open definition of a type by (assembly simple name, metadata full name), for receiver types that are
        /// generic instantiations (<c>List`1+Enumerator[[...]]</c>, LINQ's iterators): written as TypeSpecs. Without it,
        /// or when a part of the instantiation is unknown, such slots are left out.
        /// </param>
        public static MibcWriteResult Write(IReadOnlyList<(AssemblySymbols Assembly, IReadOnlyList<MatchedMethod> Methods)> groups, string mibcName,
            Func<string, string, TypeModel?>? definitions = null)
        {
            var metadata = new MetadataBuilder();
            var references = new MibcReferences(metadata);
            var il = new BlobBuilder();
            var bodies = new MethodBodyStreamEncoder(il);
            var dataStart = metadata.GetOrAddUserString("InstrumentationDataStart");
            var dataEnd = metadata.GetOrAddUserString("InstrumentationDataEnd");
            int written = 0, records = 0, histograms = 0, skipped = 0, droppedSlots = 0, weighted = 0, callEdges = 0;
            var exclusiveWeight = metadata.GetOrAddUserString("ExclusiveWeight");
            var weightedCallData = metadata.GetOrAddUserString("WeightedCallData");

            // <Module> must be TypeDef row 1 and the only type; its methods are the global methods below.
            var voidSignature = new BlobBuilder();
            new BlobEncoder(voidSignature).MethodSignature().Parameters(0, r => r.Void(), p => { });
            var signature = metadata.GetOrAddBlob(voidSignature);
            var dictionary = new InstructionEncoder(new BlobBuilder());
            foreach (var (assembly, methods) in groups.OrderBy(g => g.Assembly.AssemblyName, StringComparer.Ordinal))
            {
                int groupWritten = 0;
                var reader = assembly.Reader;
                var groupCode = new InstructionEncoder(new BlobBuilder());
                var receivers = new ReceiverCheck(assembly);
                var typesByName = new Lazy<Dictionary<string, TypeDefinitionHandle>>(() => reader.TypeDefinitions
                    .GroupBy(t => MetadataNames.TypeFullName(reader, t), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal));
                foreach (var matched in methods.OrderBy(m => m.Method.SystemName, StringComparer.Ordinal))
                {
                    var handle = (MethodDefinitionHandle)MetadataTokens.EntityHandle(matched.Method.Token);
                    var definition = reader.GetMethodDefinition(handle);
                    if (definition.GetGenericParameters().Count > 0
                        ? matched.Instantiation == null
                        : matched.Instantiation == null && IsOfGenericType(reader, definition) != (matched.TypeArguments.Count > 0))
                    {
                        skipped++; // a generic method needs the instantiation the matcher identified; a generic type's method its type's
                        continue;
                    }

                    int token = matched.Method.Token;
                    List<SchemaRecord> schema;
                    EntityHandle member;
                    var calls = new List<(MemberReferenceHandle Callee, long Weight)>();
                    try
                    {
                        schema = Schema(matched.Records, handle => TypeToken(handle, references, definitions), (il, type) => receivers.MayReceive(token, il, type), ref droppedSlots);
                        if (schema.Count == 0 && !matched.ExclusiveWeight.HasValue && matched.Calls.Count == 0)
                        {
                            continue;
                        }

                        var parent = matched.Instantiation != null ? references.TypeOf(matched.Instantiation.OwningType)
                            : matched.TypeArguments.Count == 0
                            ? references.TypeOf(reader, assembly.AssemblyName, definition.GetDeclaringType())
                            : references.Instantiated(reader, assembly.AssemblyName, definition.GetDeclaringType(), matched.TypeArguments, typesByName.Value)
                              ?? throw new NotSupportedException("an instantiation argument this writer cannot express");
                        member = metadata.AddMemberReference(parent, metadata.GetOrAddString(reader.GetString(definition.Name)),
                            references.MethodSignature(reader, assembly.AssemblyName, definition.Signature));
                        if (matched.Instantiation != null)
                        {
                            member = references.MethodSpec(member, matched.Instantiation.MethodArguments);
                        }
                        foreach (var (callee, weight) in matched.Calls)
                        {
                            var calleeDefinition = reader.GetMethodDefinition((MethodDefinitionHandle)MetadataTokens.EntityHandle(callee.Token));
                            calls.Add((metadata.AddMemberReference(references.TypeOf(reader, assembly.AssemblyName, calleeDefinition.GetDeclaringType()),
                                metadata.GetOrAddString(reader.GetString(calleeDefinition.Name)), references.MethodSignature(reader, assembly.AssemblyName, calleeDefinition.Signature)), weight));
                        }
                    }
                    catch (Exception e) when (e is NotSupportedException || e is BadImageFormatException)
                    {
                        skipped++; // a signature or scope this writer cannot express: leave the method out rather than guess
                        continue;
                    }

                    groupCode.OpCode(ILOpCode.Ldtoken);
                    groupCode.Token(member);
                    if (matched.ExclusiveWeight is long exclusive)
                    {
                        groupCode.LoadString(exclusiveWeight);
                        groupCode.LoadConstantR8(exclusive);
                        weighted++;
                    }

                    if (calls.Count > 0)
                    {
                        // The reader adds each callee to a dictionary: callees are distinct (one edge per callee method).
                        groupCode.LoadString(weightedCallData);
                        groupCode.LoadConstantI4(calls.Count);
                        foreach (var (callee, weight) in calls)
                        {
                            groupCode.OpCode(ILOpCode.Ldtoken);
                            groupCode.Token(callee);
                            groupCode.LoadConstantI4((int)Math.Min(int.MaxValue, weight));
                        }

                        callEdges += calls.Count;
                    }

                    if (schema.Count == 0)
                    {
                        groupCode.OpCode(ILOpCode.Pop);
                        written++;
                        groupWritten++;
                        continue;
                    }

                    groupCode.LoadString(dataStart);
                    foreach (var record in schema)
                    {
                        groupCode.LoadConstantI4(15);
                        groupCode.LoadConstantI4(record.IlOffset);
                        groupCode.LoadConstantI4(record.Kind);
                        groupCode.LoadConstantI4(record.Count);
                        groupCode.LoadConstantI4(unchecked((int)record.Other));
                        foreach (var value in record.Values)
                        {
                            if (value.Token.HasValue)
                            {
                                groupCode.OpCode(ILOpCode.Ldtoken);
                                groupCode.Token(value.Token.Value);
                            }
                            else if ((record.Kind & 0xF) == 2)
                            {
                                groupCode.LoadConstantI8(value.Number);
                            }
                            else
                            {
                                groupCode.LoadConstantI4((int)Math.Max(int.MinValue, Math.Min(int.MaxValue, value.Number)));
                            }
                        }

                        records++;
                        if (record.Kind == InstrumentationKind.HandleHistogramTypes)
                        {
                            histograms++;
                        }
                    }

                    groupCode.LoadString(dataEnd);
                    groupCode.OpCode(ILOpCode.Pop);
                    written++;
                    groupWritten++;
                }

                if (groupWritten == 0)
                {
                    continue;
                }

                groupCode.OpCode(ILOpCode.Ret);
                var group = metadata.AddMethodDefinition(
                    MethodAttributes.Public | MethodAttributes.Static, MethodImplAttributes.IL,
                    metadata.GetOrAddString("Assemblies_" + assembly.AssemblyName + "_0"), signature, bodies.AddMethodBody(groupCode, 8), default);
                dictionary.LoadString(metadata.GetOrAddUserString(assembly.AssemblyName + ";"));
                dictionary.OpCode(ILOpCode.Ldtoken);
                dictionary.Token(group);
                dictionary.OpCode(ILOpCode.Pop);
            }

            dictionary.OpCode(ILOpCode.Ret);
            metadata.AddMethodDefinition(
                MethodAttributes.Public | MethodAttributes.Static, MethodImplAttributes.IL,
                metadata.GetOrAddString("AssemblyDictionary"), signature, bodies.AddMethodBody(dictionary, 8), default);

            var name = metadata.GetOrAddString(mibcName);
            metadata.AddModule(0, name, metadata.GetOrAddGuid(default), default, default);
            metadata.AddAssembly(name, new Version(0, 0, 0, 0), default, default, 0, AssemblyHashAlgorithm.None);
            metadata.AddTypeDefinition(0, default, metadata.GetOrAddString("<Module>"), default,
                MetadataTokens.FieldDefinitionHandle(1), MetadataTokens.MethodDefinitionHandle(1));

            var pe = new ManagedPEBuilder(
                PEHeaderBuilder.CreateLibraryHeader(), new MetadataRootBuilder(metadata), il,
                deterministicIdProvider: content => DeterministicId(content));
            var output = new BlobBuilder();
            pe.Serialize(output);
            return new MibcWriteResult(output.ToArray(), written, records, histograms, skipped, droppedSlots) { Weighted = weighted, CallEdges = callEdges };
        }

        private static BlobContentId DeterministicId(IEnumerable<Blob> content)
        {
            using var sha = SHA256.Create();
            foreach (var blob in content)
            {
                var segment = blob.GetBytes();
                sha.TransformBlock(segment.Array!, segment.Offset, segment.Count, null, 0);
            }

            sha.TransformFinalBlock(new byte[0], 0, 0);
            return BlobContentId.FromHash(sha.Hash!);
        }

        /// <summary>Whether the method's declaring type, or a type it is nested in, is generic (its MemberRef needs an instantiation).</summary>
        internal static bool IsOfGenericType(MetadataReader reader, MethodDefinition method)
        {
            for (var type = method.GetDeclaringType(); !type.IsNil; type = reader.GetTypeDefinition(type).GetDeclaringType())
            {
                if (reader.GetTypeDefinition(type).GetGenericParameters().Count > 0)
                {
                    return true;
                }
            }

            return false;
        }

        private readonly record struct SchemaValue(long Number, EntityHandle? Token);

        private sealed record SchemaRecord(int IlOffset, int Kind, int Count, long Other, IReadOnlyList<SchemaValue> Values);

        /// <summary>The runtime's schema rebuilt from the records, in IL order; what cannot be encoded is left out.</summary>
        private static List<SchemaRecord> Schema(
            IReadOnlyList<RuntimeRecord> records, Func<string, EntityHandle?> typeToken, Func<int, string, bool> mayReceive, ref int droppedSlots)
        {
            var result = new List<SchemaRecord>();
            var delegateSites = new HashSet<int>(records.Where(r => r.Kind == InstrumentationKind.HandleHistogramMethods).Select(r => r.IlOffset));
            var groups = records
                .GroupBy(r => (r.IlOffset, r.Kind, r.Other))
                .OrderBy(g => g.Key.IlOffset).ThenBy(g => g.Key.Kind).ThenBy(g => g.Key.Other);
            SchemaRecord? pendingCount = null;
            foreach (var g in groups)
            {
                int kind = g.Key.Kind;
                bool isCount = kind == InstrumentationKind.HandleHistogramIntCount || kind == InstrumentationKind.HandleHistogramLongCount;
                if (pendingCount != null && !(kind == InstrumentationKind.HandleHistogramTypes && g.Key.IlOffset == pendingCount.IlOffset))
                {
                    pendingCount = null; // a histogram count is only written together with its type table
                }

                if (kind == InstrumentationKind.HandleHistogramMethods || kind == InstrumentationKind.GetLikelyClass || kind == InstrumentationKind.GetLikelyMethod ||
                    (isCount && delegateSites.Contains(g.Key.IlOffset)))
                {
                    continue; // delegate targets: static compilers never read method histograms (docs)
                }

                if (kind == InstrumentationKind.HandleHistogramTypes)
                {
                    var slots = new List<SchemaValue>();
                    foreach (var entry in g.OrderByDescending(r => r.Value).ThenBy(r => r.Handle, StringComparer.Ordinal))
                    {
                        var token = mayReceive(entry.IlOffset, entry.Handle) ? typeToken(entry.Handle) : null;
                        if (token == null)
                        {
                            droppedSlots += (int)Math.Min(int.MaxValue, entry.Value);
                            continue;
                        }

                        for (long i = 0; i < entry.Value && slots.Count < 4096; i++)
                        {
                            slots.Add(new SchemaValue(0, token));
                        }
                    }

                    if (pendingCount != null && slots.Count > 0)
                    {
                        result.Add(pendingCount);
                        result.Add(new SchemaRecord(g.Key.IlOffset, kind, slots.Count, g.Key.Other, slots));
                    }

                    pendingCount = null;
                    continue;
                }

                var values = g.OrderBy(r => r.Index).Select(r => new SchemaValue(r.Value, null)).ToList();
                if ((kind & 0xF) == 0)
                {
                    result.Add(new SchemaRecord(g.Key.IlOffset, kind, 1, g.Key.Other, Array.Empty<SchemaValue>()));
                    continue;
                }

                if ((kind & 0xF) > 2)
                {
                    continue; // other handle kinds
                }

                var record = new SchemaRecord(g.Key.IlOffset, kind, values.Count, g.Key.Other, values);
                if (isCount)
                {
                    pendingCount = record;
                    continue;
                }

                result.Add(record);
            }

            return result;
        }

        /// <summary>A TypeRef for an assembly-qualified, non-generic type name; null when it cannot be encoded.</summary>
        private static EntityHandle? TypeToken(string assemblyQualified, MibcReferences references, Func<string, string, TypeModel?>? definitions)
        {
            if (assemblyQualified.IndexOf('\\') >= 0)
            {
                return null; // escaped names are not encoded
            }

            if (RuntimeHandles.IsGenericInstantiation(assemblyQualified))
            {
                // The exact instantiation the runtime saw, as a TypeSpec: GENERICINST(definition, arguments).
                var model = definitions == null ? null : QualifiedTypeName.Parse(assemblyQualified)?.ToModel(definitions);
                return model == null || model.Arguments.Count == 0 ? null : references.TypeOf(model);
            }

            string assemblyName = RuntimeHandles.AssemblyPart(assemblyQualified);
            var nested = RuntimeHandles.TypePart(assemblyQualified).Trim().Split('+');
            if (assemblyName.Length == 0 || nested.Any(n => n.Length == 0))
            {
                return null;
            }

            int dot = nested[0].LastIndexOf('.');
            EntityHandle scope = references.Type(
                references.Assembly(assemblyName),
                dot < 0 ? "" : nested[0].Substring(0, dot),
                dot < 0 ? nested[0] : nested[0].Substring(dot + 1));
            for (int i = 1; i < nested.Length; i++)
            {
                scope = references.Type(scope, "", nested[i]);
            }

            return scope;
        }
    }
}
