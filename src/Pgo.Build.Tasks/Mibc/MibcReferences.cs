using System;
using System.Collections.Generic;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using Pgo.Build.Metadata;
using Pgo.Build.RuntimePgo;

namespace Pgo.Build.Mibc
{
    /// <summary>
    /// The references a .mibc holds, built in its own metadata: AssemblyRefs by simple name (the compilers resolve
    /// by name only), TypeRefs (nested ones scoped to their enclosing TypeRef), TypeSpecs and MemberRefs whose
    /// signatures are copied from the compiled assembly with every type token remapped.
    /// </summary>
    internal sealed class MibcReferences
    {
        private readonly MetadataBuilder _builder;
        private readonly Dictionary<string, AssemblyReferenceHandle> _assemblies = new Dictionary<string, AssemblyReferenceHandle>(StringComparer.Ordinal);
        private readonly Dictionary<(EntityHandle Scope, string Namespace, string Name), TypeReferenceHandle> _types = new Dictionary<(EntityHandle, string, string), TypeReferenceHandle>();
        private readonly Dictionary<string, TypeSpecificationHandle> _specs = new Dictionary<string, TypeSpecificationHandle>(StringComparer.Ordinal);

        public MibcReferences(MetadataBuilder builder)
        {
            _builder = builder;
        }

        public AssemblyReferenceHandle Assembly(string simpleName)
        {
            if (!_assemblies.TryGetValue(simpleName, out var handle))
            {
                handle = _builder.AddAssemblyReference(_builder.GetOrAddString(simpleName), new Version(0, 0, 0, 0), default, default, 0, default);
                _assemblies.Add(simpleName, handle);
            }

            return handle;
        }

        public TypeReferenceHandle Type(EntityHandle scope, string ns, string name)
        {
            var key = (scope, ns, name);
            if (!_types.TryGetValue(key, out var handle))
            {
                handle = _builder.AddTypeReference(scope, ns.Length == 0 ? default : _builder.GetOrAddString(ns), _builder.GetOrAddString(name));
                _types.Add(key, handle);
            }

            return handle;
        }

        /// <summary>A TypeRef for a type definition of <paramref name="reader"/> (an assembly named <paramref name="assemblyName"/>).</summary>
        public EntityHandle TypeOf(MetadataReader reader, string assemblyName, TypeDefinitionHandle definition)
        {
            var type = reader.GetTypeDefinition(definition);
            var declaring = type.GetDeclaringType();
            EntityHandle scope = declaring.IsNil ? Assembly(assemblyName) : TypeOf(reader, assemblyName, declaring);
            return Type(scope, declaring.IsNil ? reader.GetString(type.Namespace) : "", reader.GetString(type.Name));
        }

        /// <summary>The same reference, rebuilt in the .mibc, for a TypeDef/TypeRef/TypeSpec handle of <paramref name="reader"/>.</summary>
        public EntityHandle Remap(MetadataReader reader, string assemblyName, EntityHandle handle)
        {
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    return TypeOf(reader, assemblyName, (TypeDefinitionHandle)handle);
                case HandleKind.TypeReference:
                {
                    var reference = reader.GetTypeReference((TypeReferenceHandle)handle);
                    EntityHandle scope;
                    switch (reference.ResolutionScope.Kind)
                    {
                        case HandleKind.AssemblyReference:
                            scope = Assembly(reader.GetString(reader.GetAssemblyReference((AssemblyReferenceHandle)reference.ResolutionScope).Name));
                            break;
                        case HandleKind.TypeReference:
                            scope = Remap(reader, assemblyName, (TypeReferenceHandle)reference.ResolutionScope);
                            break;
                        case HandleKind.ModuleDefinition:
                            scope = Assembly(assemblyName);
                            break;
                        default:
                            throw new NotSupportedException("type reference scoped to " + reference.ResolutionScope.Kind);
                    }

                    return Type(scope, reader.GetString(reference.Namespace), reader.GetString(reference.Name));
                }

                case HandleKind.TypeSpecification:
                {
                    var blob = reader.GetBlobReader(reader.GetTypeSpecification((TypeSpecificationHandle)handle).Signature);
                    var encoded = new BlobBuilder();
                    CopyType(ref blob, encoded, reader, assemblyName);
                    return Spec(encoded);
                }

                default:
                    throw new NotSupportedException("type handle " + handle.Kind);
            }
        }

        public TypeSpecificationHandle Spec(BlobBuilder signature)
        {
            string key = Convert.ToBase64String(signature.ToArray());
            if (!_specs.TryGetValue(key, out var handle))
            {
                handle = _builder.AddTypeSpecification(_builder.GetOrAddBlob(signature));
                _specs.Add(key, handle);
            }

            return handle;
        }

        /// <summary>
        /// A reference to a type of the program's model: a TypeRef (nested ones scoped to their enclosing TypeRef) for a
        /// plain named type, a TypeSpec for anything else (<c>System.__Canon</c> as <see cref="CanonReference"/>).
        /// </summary>
        public EntityHandle TypeOf(TypeModel type)
        {
            if (type.Kind == TypeModel.Kinds.Named && type.Arguments.Count == 0)
            {
                return NamedReference(type);
            }

            var blob = new BlobBuilder();
            WriteType(blob, type);
            return Spec(blob);
        }

        /// <summary>The MethodSpec <c>method&lt;arguments&gt;</c> (ECMA-335 II.23.2.15).</summary>
        public MethodSpecificationHandle MethodSpec(EntityHandle method, IReadOnlyList<TypeModel> arguments)
        {
            var blob = new BlobBuilder();
            blob.WriteByte(0x0A); // GENERICINST
            blob.WriteCompressedInteger(arguments.Count);
            foreach (var argument in arguments)
            {
                WriteType(blob, argument);
            }

            return _builder.AddMethodSpecification(method, _builder.GetOrAddBlob(blob));
        }

        /// <summary>The TypeRef the compilers map to their canonical type (research/mibc.md): <c>System.__Canon</c> of the assembly <c>System.Private.Canon</c>.</summary>
        private TypeReferenceHandle CanonReference() => Type(Assembly("System.Private.Canon"), "System", "__Canon");

        private TypeReferenceHandle NamedReference(TypeModel type) => type.Enclosing is TypeModel enclosing
            ? Type(NamedReference(enclosing), "", type.Name)
            : Type(Assembly(type.AssemblyName ?? ""), type.Namespace, type.Name);

        /// <summary>One type of a signature blob (ECMA-335 II.23.2.12); an unbound parameter or a byref cannot be an argument.</summary>
        private void WriteType(BlobBuilder blob, TypeModel type)
        {
            switch (type.Kind)
            {
                case TypeModel.Kinds.Canon:
                    blob.WriteByte(0x12);
                    blob.WriteCompressedInteger(CodedIndex.TypeDefOrRefOrSpec(CanonReference()));
                    return;
                case TypeModel.Kinds.Named:
                    if (type.Enclosing == null && type.Arguments.Count == 0 && type.Namespace == "System" && SignaturePrimitives.TryGetValue(type.Name, out byte code))
                    {
                        blob.WriteByte(code);
                        return;
                    }

                    if (type.Arguments.Count > 0)
                    {
                        blob.WriteByte(0x15); // GENERICINST
                    }

                    blob.WriteByte(type.IsValueType ? (byte)0x11 : (byte)0x12);
                    blob.WriteCompressedInteger(CodedIndex.TypeDefOrRefOrSpec(NamedReference(type)));
                    if (type.Arguments.Count > 0)
                    {
                        blob.WriteCompressedInteger(type.Arguments.Count);
                        foreach (var argument in type.Arguments)
                        {
                            WriteType(blob, argument);
                        }
                    }

                    return;
                case TypeModel.Kinds.Array:
                    var (rank, isVector) = type.ArrayShape;
                    blob.WriteByte(isVector ? (byte)0x1D : (byte)0x14);
                    WriteType(blob, type.Element!);
                    if (!isVector)
                    {
                        blob.WriteCompressedInteger(rank);
                        blob.WriteCompressedInteger(0); // no sizes
                        blob.WriteCompressedInteger(0); // no lower bounds
                    }

                    return;
                case TypeModel.Kinds.Pointer:
                    blob.WriteByte(0x0F);
                    WriteType(blob, type.Element!);
                    return;
                default:
                    throw new NotSupportedException($"{type} cannot be a generic argument in a .mibc");
            }
        }

        /// <summary>Types with their own element type code, by name in namespace System.</summary>
        private static readonly Dictionary<string, byte> SignaturePrimitives = new Dictionary<string, byte>(StringComparer.Ordinal)
        {
            ["Boolean"] = 0x02, ["Char"] = 0x03, ["SByte"] = 0x04, ["Byte"] = 0x05, ["Int16"] = 0x06, ["UInt16"] = 0x07,
            ["Int32"] = 0x08, ["UInt32"] = 0x09, ["Int64"] = 0x0A, ["UInt64"] = 0x0B, ["Single"] = 0x0C, ["Double"] = 0x0D,
            ["String"] = 0x0E, ["TypedReference"] = 0x16, ["IntPtr"] = 0x18, ["UIntPtr"] = 0x19, ["Object"] = 0x1C,
        };

        /// <summary>Copies a method signature blob (ECMA-335 II.23.2.1), remapping type tokens into the .mibc.</summary>
        public BlobHandle MethodSignature(MetadataReader reader, string assemblyName, BlobHandle signature)
        {
            var blob = reader.GetBlobReader(signature);
            var output = new BlobBuilder();
            CopyMethodSignature(ref blob, output, reader, assemblyName);
            return _builder.GetOrAddBlob(output);
        }

        /// <summary>
        /// The TypeSpec <c>GENERICINST(definition, args)</c> of a generic type of <paramref name="reader"/> instantiated
        /// as the runtime names it (<c>System.__Canon</c> for shared code, value types exactly); null when an argument
        /// cannot be expressed (a type neither primitive, canonical nor defined in this assembly).
        /// </summary>
        public EntityHandle? Instantiated(MetadataReader reader, string assemblyName, TypeDefinitionHandle definition, IReadOnlyList<string> arguments,
            IReadOnlyDictionary<string, TypeDefinitionHandle> typesByName)
        {
            var blob = new BlobBuilder();
            if (!WriteGenericInstance(blob, reader, assemblyName, definition, arguments, typesByName))
            {
                return null;
            }

            return Spec(blob);
        }

        private bool WriteGenericInstance(BlobBuilder blob, MetadataReader reader, string assemblyName, TypeDefinitionHandle definition,
            IReadOnlyList<string> arguments, IReadOnlyDictionary<string, TypeDefinitionHandle> typesByName)
        {
            if (reader.GetTypeDefinition(definition).GetGenericParameters().Count != arguments.Count)
            {
                return false;
            }

            blob.WriteByte(0x15); // GENERICINST
            blob.WriteByte(MetadataNames.IsValueType(reader, definition) ? (byte)0x11 : (byte)0x12);
            blob.WriteCompressedInteger(CodedIndex.TypeDefOrRefOrSpec(TypeOf(reader, assemblyName, definition)));
            blob.WriteCompressedInteger(arguments.Count);
            foreach (var argument in arguments)
            {
                if (!WriteArgument(blob, reader, assemblyName, argument, typesByName))
                {
                    return false;
                }
            }

            return true;
        }

        private bool WriteArgument(BlobBuilder blob, MetadataReader reader, string assemblyName, string argument, IReadOnlyDictionary<string, TypeDefinitionHandle> typesByName)
        {
            if (argument == "System.__Canon")
            {
                // Shared generic code: the compilers map this TypeRef to their canonical type (research/mibc.md).
                blob.WriteByte(0x12);
                blob.WriteCompressedInteger(CodedIndex.TypeDefOrRefOrSpec(CanonReference()));
                return true;
            }

            if (Primitives.TryGetValue(argument, out byte code))
            {
                blob.WriteByte(code);
                return true;
            }

            var (name, inner) = RuntimeTypeName.SplitInstantiation(argument);
            if (!typesByName.TryGetValue(name, out var definition) || !MetadataNames.IsValueType(reader, definition))
            {
                return false; // shared code has only value types and __Canon as arguments; anything else is not ours to guess
            }

            if (inner.Count == 0)
            {
                if (reader.GetTypeDefinition(definition).GetGenericParameters().Count != 0)
                {
                    return false;
                }

                blob.WriteByte(0x11);
                blob.WriteCompressedInteger(CodedIndex.TypeDefOrRefOrSpec(TypeOf(reader, assemblyName, definition)));
                return true;
            }

            return WriteGenericInstance(blob, reader, assemblyName, definition, inner, typesByName);
        }

        private static readonly Dictionary<string, byte> Primitives = new Dictionary<string, byte>(StringComparer.Ordinal)
        {
            ["System.Boolean"] = 0x02, ["System.Char"] = 0x03, ["System.SByte"] = 0x04, ["System.Byte"] = 0x05,
            ["System.Int16"] = 0x06, ["System.UInt16"] = 0x07, ["System.Int32"] = 0x08, ["System.UInt32"] = 0x09,
            ["System.Int64"] = 0x0A, ["System.UInt64"] = 0x0B, ["System.Single"] = 0x0C, ["System.Double"] = 0x0D,
            ["System.IntPtr"] = 0x18, ["System.UIntPtr"] = 0x19,
        };

        /// <summary>Header, generic arity, parameter count, return type and parameter types.</summary>
        private void CopyMethodSignature(ref BlobReader blob, BlobBuilder output, MetadataReader reader, string assemblyName)
        {
            var header = blob.ReadSignatureHeader();
            output.WriteByte(header.RawValue);
            if (header.IsGeneric)
            {
                output.WriteCompressedInteger(blob.ReadCompressedInteger());
            }

            int parameters = blob.ReadCompressedInteger();
            output.WriteCompressedInteger(parameters);
            for (int i = 0; i <= parameters; i++)
            {
                CopyType(ref blob, output, reader, assemblyName);
            }
        }

        /// <summary>Copies one type (with its custom modifiers) from a signature blob.</summary>
        private void CopyType(ref BlobReader blob, BlobBuilder output, MetadataReader reader, string assemblyName)
        {
            while (true)
            {
                byte code = blob.ReadByte();
                output.WriteByte(code);
                switch (code)
                {
                    case 0x1F: // CMOD_REQD
                    case 0x20: // CMOD_OPT
                        WriteTypeToken(ref blob, output, reader, assemblyName);
                        continue;
                    case 0x41: // SENTINEL
                    case 0x45: // PINNED
                    case 0x0F: // PTR
                    case 0x10: // BYREF
                    case 0x1D: // SZARRAY
                        continue;
                    case 0x11: // VALUETYPE
                    case 0x12: // CLASS
                        WriteTypeToken(ref blob, output, reader, assemblyName);
                        return;
                    case 0x13: // VAR
                    case 0x1E: // MVAR
                        output.WriteCompressedInteger(blob.ReadCompressedInteger());
                        return;
                    case 0x14: // ARRAY
                    {
                        CopyType(ref blob, output, reader, assemblyName);
                        output.WriteCompressedInteger(blob.ReadCompressedInteger()); // rank
                        int sizes = blob.ReadCompressedInteger();
                        output.WriteCompressedInteger(sizes);
                        for (int i = 0; i < sizes; i++)
                        {
                            output.WriteCompressedInteger(blob.ReadCompressedInteger());
                        }

                        int bounds = blob.ReadCompressedInteger();
                        output.WriteCompressedInteger(bounds);
                        for (int i = 0; i < bounds; i++)
                        {
                            output.WriteCompressedSignedInteger(blob.ReadCompressedSignedInteger());
                        }

                        return;
                    }

                    case 0x15: // GENERICINST
                    {
                        output.WriteByte(blob.ReadByte()); // CLASS or VALUETYPE
                        WriteTypeToken(ref blob, output, reader, assemblyName);
                        int count = blob.ReadCompressedInteger();
                        output.WriteCompressedInteger(count);
                        for (int i = 0; i < count; i++)
                        {
                            CopyType(ref blob, output, reader, assemblyName);
                        }

                        return;
                    }

                    case 0x1B: // FNPTR
                        CopyMethodSignature(ref blob, output, reader, assemblyName);
                        return;

                    default:
                        if ((code >= 0x01 && code <= 0x0E) || code == 0x16 || code == 0x18 || code == 0x19 || code == 0x1C)
                        {
                            return; // primitives, string, object, typedref
                        }

                        throw new BadImageFormatException($"unexpected element type 0x{code:x2} in a signature");
                }
            }
        }

        private void WriteTypeToken(ref BlobReader blob, BlobBuilder output, MetadataReader reader, string assemblyName)
        {
            var handle = blob.ReadTypeHandle();
            var remapped = Remap(reader, assemblyName, handle);
            output.WriteCompressedInteger(CodedIndex.TypeDefOrRefOrSpec(remapped));
        }
    }
}
