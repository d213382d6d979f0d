using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;

namespace Pgo.Build.Metadata
{
    /// <summary>
    /// The assemblies of one program, by simple name, opened on demand: resolves type references (through type
    /// forwarders) and method references (by name, generic arity and signature) to their definitions, and decodes
    /// signature types into <see cref="TypeModel"/>s. Assemblies given already open are not disposed here.
    /// </summary>
    public sealed class ProgramMetadata : IDisposable
    {
        private readonly Dictionary<string, string> _paths = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, AssemblyIndex?> _assemblies = new Dictionary<string, AssemblyIndex?>(StringComparer.OrdinalIgnoreCase);
        private readonly List<AssemblySymbols> _owned = new List<AssemblySymbols>();

        /// <param name="open">Assemblies already open (their owner disposes them).</param>
        /// <param name="paths">Further assembly files, opened when first needed.</param>
        public ProgramMetadata(IEnumerable<AssemblySymbols> open, IEnumerable<string> paths)
        {
            foreach (var assembly in open)
            {
                if (!_assemblies.ContainsKey(assembly.AssemblyName))
                {
                    _assemblies.Add(assembly.AssemblyName, new AssemblyIndex(this, assembly));
                }
            }

            foreach (var path in paths)
            {
                string name = Path.GetFileNameWithoutExtension(path);
                if (!_paths.ContainsKey(name))
                {
                    _paths.Add(name, path);
                }
            }
        }

        /// <summary>Simple names of every assembly of the program, sorted.</summary>
        public IReadOnlyList<string> Names => _assemblies.Keys.Concat(_paths.Keys).Distinct(StringComparer.OrdinalIgnoreCase)
            .OrderBy(n => n, StringComparer.Ordinal).ToList();

        /// <summary>
        /// The assemblies of the program that <paramref name="roots"/> reference, directly or through others (roots
        /// included), sorted: the code a whole-program compiler can reach from them.
        /// </summary>
        public IReadOnlyList<string> ReferenceClosure(IEnumerable<string> roots)
        {
            var found = new SortedSet<string>(StringComparer.Ordinal);
            var pending = new Stack<string>(roots);
            while (pending.Count > 0)
            {
                var assembly = Get(pending.Pop());
                if (assembly == null || !found.Add(assembly.Name))
                {
                    continue;
                }

                foreach (var handle in assembly.Reader.AssemblyReferences)
                {
                    pending.Push(assembly.Reader.GetString(assembly.Reader.GetAssemblyReference(handle).Name));
                }
            }

            return found.ToList();
        }

        /// <summary>The assembly with simple name <paramref name="name"/>, or null when the program has none (or it cannot be read).</summary>
        public AssemblyIndex? Get(string name)
        {
            if (_assemblies.TryGetValue(name, out var index))
            {
                return index;
            }

            index = null;
            if (_paths.TryGetValue(name, out var path) && AssemblySymbols.TryOpen(path) is AssemblySymbols opened)
            {
                _owned.Add(opened);
                index = new AssemblyIndex(this, opened);
            }

            _assemblies.Add(name, index);
            return index;
        }

        /// <summary>
        /// The open definition of the type <paramref name="fullName"/> (<c>Ns.Outer`1+Inner</c>) of the assembly
        /// <paramref name="assembly"/> (forwarders followed); null when the program has no such type.
        /// </summary>
        public TypeModel? Definition(string assembly, string fullName) =>
            Get(assembly)?.FindType(fullName, 0) is var (owner, type) ? owner.Definition(type) : null;

        public void Dispose()
        {
            foreach (var a in _owned)
            {
                a.Dispose();
            }

            _owned.Clear();
        }

        /// <summary>
        /// One assembly of the program: its type definitions and forwarders by full name, its methods by
        /// signature key, and a <see cref="TypeModel"/> decoder for its signatures.
        /// </summary>
        public sealed class AssemblyIndex : ISignatureTypeProvider<TypeModel, object?>
        {
            private const string CoreLibrary = "System.Private.CoreLib";
            private readonly ProgramMetadata _program;
            private Dictionary<string, TypeDefinitionHandle>? _types;
            private Dictionary<string, string>? _forwarders;
            private readonly Dictionary<TypeDefinitionHandle, Dictionary<string, MethodDefinitionHandle>> _methods = new Dictionary<TypeDefinitionHandle, Dictionary<string, MethodDefinitionHandle>>();

            internal AssemblyIndex(ProgramMetadata program, AssemblySymbols symbols)
            {
                _program = program;
                Symbols = symbols;
                Reader = symbols.Reader;
                Name = symbols.AssemblyName;
            }

            public AssemblySymbols Symbols { get; }

            public MetadataReader Reader { get; }

            public string Name { get; }

            /// <summary>
            /// The definition a method token (MethodDef, or MemberRef to a method) refers to, with the declaring type's
            /// instantiation when the reference's parent is a generic instance (<c>List`1&lt;!!0&gt;::Add</c>).
            /// </summary>
            public (AssemblyIndex Assembly, MethodDefinitionHandle Method, IReadOnlyList<TypeModel> TypeArguments)? ResolveMethod(EntityHandle handle)
            {
                if (handle.Kind == HandleKind.MethodDefinition)
                {
                    return (this, (MethodDefinitionHandle)handle, Array.Empty<TypeModel>());
                }

                if (handle.Kind != HandleKind.MemberReference)
                {
                    return null;
                }

                var reference = Reader.GetMemberReference((MemberReferenceHandle)handle);
                if (reference.GetKind() != MemberReferenceKind.Method)
                {
                    return null;
                }

                EntityHandle parent = reference.Parent;
                IReadOnlyList<TypeModel> typeArguments = Array.Empty<TypeModel>();
                if (parent.Kind == HandleKind.TypeSpecification)
                {
                    var blob = Reader.GetBlobReader(Reader.GetTypeSpecification((TypeSpecificationHandle)parent).Signature);
                    if (blob.ReadSignatureTypeCode() != SignatureTypeCode.GenericTypeInstance)
                    {
                        return null; // methods of arrays and other constructed types have no definition
                    }

                    blob.ReadByte(); // CLASS or VALUETYPE
                    parent = blob.ReadTypeHandle();
                    typeArguments = Reader.GetTypeSpecification((TypeSpecificationHandle)reference.Parent).DecodeSignature(this, null).Arguments;
                }

                var type = ResolveType(parent);
                if (type == null)
                {
                    return null;
                }

                var signature = reference.DecodeMethodSignature(SignatureText.Instance, null);
                var method = type.Value.Assembly.FindMethod(type.Value.Type, MethodKey(Reader.GetString(reference.Name), signature));
                return method.HasValue ? (type.Value.Assembly, method.Value, typeArguments) : null;
            }

            /// <summary>The definition of a TypeDef or TypeRef handle of this assembly (type forwarders followed).</summary>
            public (AssemblyIndex Assembly, TypeDefinitionHandle Type)? ResolveType(EntityHandle handle)
            {
                if (handle.Kind == HandleKind.TypeDefinition)
                {
                    return (this, (TypeDefinitionHandle)handle);
                }

                if (handle.Kind != HandleKind.TypeReference)
                {
                    return null;
                }

                string fullName = MetadataNames.TypeFullName(Reader, (TypeReferenceHandle)handle);
                var scope = Outermost(Reader, (TypeReferenceHandle)handle).ResolutionScope;
                var owner = scope.Kind == HandleKind.AssemblyReference
                    ? _program.Get(Reader.GetString(Reader.GetAssemblyReference((AssemblyReferenceHandle)scope).Name))
                    : this;
                return owner?.FindType(fullName, 0);
            }

            /// <summary>The type definition named <paramref name="fullName"/> (<c>Ns.Outer+Inner</c>) here or where a forwarder sends it.</summary>
            public (AssemblyIndex Assembly, TypeDefinitionHandle Type)? FindType(string fullName, int hops)
            {
                EnsureTypes();
                if (_types!.TryGetValue(fullName, out var handle))
                {
                    return (this, handle);
                }

                int plus = fullName.IndexOf('+');
                string outer = plus < 0 ? fullName : fullName.Substring(0, plus);
                if (hops < 8 && _forwarders!.TryGetValue(outer, out var target) && _program.Get(target) is AssemblyIndex next)
                {
                    return next.FindType(fullName, hops + 1);
                }

                return null;
            }

            /// <summary>A method of <paramref name="type"/> by <see cref="MethodKey"/>.</summary>
            public MethodDefinitionHandle? FindMethod(TypeDefinitionHandle type, string key)
            {
                if (!_methods.TryGetValue(type, out var byKey))
                {
                    byKey = new Dictionary<string, MethodDefinitionHandle>(StringComparer.Ordinal);
                    foreach (var handle in Reader.GetTypeDefinition(type).GetMethods())
                    {
                        var method = Reader.GetMethodDefinition(handle);
                        try
                        {
                            byKey[MethodKey(Reader.GetString(method.Name), method.DecodeSignature(SignatureText.Instance, null))] = handle;
                        }
                        catch (BadImageFormatException)
                        {
                        }
                    }

                    _methods.Add(type, byKey);
                }

                return byKey.TryGetValue(key, out var found) ? found : null;
            }

            /// <summary>Name, generic arity, parameter and return types: what tells overloads apart.</summary>
            public static string MethodKey(string name, MethodSignature<string> signature) =>
                name + "``" + signature.GenericParameterCount + SignatureText.Parameters(signature) + ":" + signature.ReturnType;

            /// <summary>The open definition of a type of this assembly (no arguments; its parameters unbound).</summary>
            public TypeModel Definition(TypeDefinitionHandle handle) => GetTypeFromDefinition(Reader, handle, 0);

            /// <summary>The generic parameter count of a method's declaring type (enclosing types' included) and of the method.</summary>
            public (int Type, int Method) Arity(MethodDefinitionHandle handle)
            {
                var method = Reader.GetMethodDefinition(handle);
                return (Reader.GetTypeDefinition(method.GetDeclaringType()).GetGenericParameters().Count, method.GetGenericParameters().Count);
            }

            public TypeModel GetPrimitiveType(PrimitiveTypeCode typeCode)
            {
                string name = Primitives.FirstOrDefault(kv => kv.Value == typeCode).Key ?? "Void";
                return TypeModel.Named(CoreLibrary, "System", name, null, typeCode != PrimitiveTypeCode.String && typeCode != PrimitiveTypeCode.Object);
            }

            public TypeModel GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
            {
                var definition = reader.GetTypeDefinition(handle);
                var declaring = definition.GetDeclaringType();
                bool isValueType = rawTypeKind == 0 ? MetadataNames.IsValueType(reader, handle) : rawTypeKind == (byte)SignatureTypeKind.ValueType;
                return TypeModel.Named(Name, reader.GetString(definition.Namespace), reader.GetString(definition.Name),
                    declaring.IsNil ? null : GetTypeFromDefinition(reader, declaring, 0), isValueType);
            }

            public TypeModel GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
            {
                var reference = reader.GetTypeReference(handle);
                bool isValueType = rawTypeKind == (byte)SignatureTypeKind.ValueType;
                if (rawTypeKind == 0 && ResolveType(handle) is var (owner, definition))
                {
                    isValueType = MetadataNames.IsValueType(owner.Reader, definition);
                }

                string ns = reader.GetString(reference.Namespace), name = reader.GetString(reference.Name);
                if (reference.ResolutionScope.Kind == HandleKind.TypeReference)
                {
                    var enclosing = GetTypeFromReference(reader, (TypeReferenceHandle)reference.ResolutionScope, 0);
                    return TypeModel.Named(enclosing.AssemblyName ?? Name, ns, name, enclosing, isValueType);
                }

                string assembly = DefiningAssembly(handle);
                if (ns == "System" && Primitives.TryGetValue(name, out var primitive) && (assembly == CoreLibrary || _program.Get(assembly) == null))
                {
                    return GetPrimitiveType(primitive); // the same type as the element-type spelling, however referenced
                }

                return TypeModel.Named(assembly, ns, name, null, isValueType);
            }

            private static readonly Dictionary<string, PrimitiveTypeCode> Primitives = new Dictionary<string, PrimitiveTypeCode>(StringComparer.Ordinal)
            {
                ["Boolean"] = PrimitiveTypeCode.Boolean, ["Char"] = PrimitiveTypeCode.Char, ["SByte"] = PrimitiveTypeCode.SByte, ["Byte"] = PrimitiveTypeCode.Byte,
                ["Int16"] = PrimitiveTypeCode.Int16, ["UInt16"] = PrimitiveTypeCode.UInt16, ["Int32"] = PrimitiveTypeCode.Int32, ["UInt32"] = PrimitiveTypeCode.UInt32,
                ["Int64"] = PrimitiveTypeCode.Int64, ["UInt64"] = PrimitiveTypeCode.UInt64, ["Single"] = PrimitiveTypeCode.Single, ["Double"] = PrimitiveTypeCode.Double,
                ["IntPtr"] = PrimitiveTypeCode.IntPtr, ["UIntPtr"] = PrimitiveTypeCode.UIntPtr, ["String"] = PrimitiveTypeCode.String, ["Object"] = PrimitiveTypeCode.Object,
                ["TypedReference"] = PrimitiveTypeCode.TypedReference,
            };

            public TypeModel GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
                reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

            public TypeModel GetSZArrayType(TypeModel elementType) => TypeModel.Array(elementType, 1, true);

            public TypeModel GetArrayType(TypeModel elementType, ArrayShape shape) => TypeModel.Array(elementType, shape.Rank, false);

            public TypeModel GetByReferenceType(TypeModel elementType) => TypeModel.ByRef(elementType);

            public TypeModel GetPointerType(TypeModel elementType) => TypeModel.Pointer(elementType);

            public TypeModel GetPinnedType(TypeModel elementType) => elementType;

            public TypeModel GetModifiedType(TypeModel modifier, TypeModel unmodifiedType, bool isRequired) => unmodifiedType;

            public TypeModel GetGenericInstantiation(TypeModel genericType, System.Collections.Immutable.ImmutableArray<TypeModel> typeArguments) =>
                genericType.Instantiate(typeArguments) ?? throw new BadImageFormatException("a generic instantiation of a type that is not named");

            public TypeModel GetGenericMethodParameter(object? genericContext, int index) => TypeModel.Variable(index, true);

            public TypeModel GetGenericTypeParameter(object? genericContext, int index) => TypeModel.Variable(index, false);

            public TypeModel GetFunctionPointerType(MethodSignature<TypeModel> signature) =>
                throw new NotSupportedException("function pointer types have no version-resilient hash");

            private string DefiningAssembly(TypeReferenceHandle handle)
            {
                var scope = Reader.GetTypeReference(handle).ResolutionScope;
                if (scope.Kind != HandleKind.AssemblyReference)
                {
                    return Name;
                }

                string scopeName = Reader.GetString(Reader.GetAssemblyReference((AssemblyReferenceHandle)scope).Name);
                return ResolveType(handle)?.Assembly.Name ?? scopeName;
            }

            private static TypeReference Outermost(MetadataReader reader, TypeReferenceHandle handle)
            {
                var reference = reader.GetTypeReference(handle);
                for (int depth = 0; depth < 64 && reference.ResolutionScope.Kind == HandleKind.TypeReference; depth++)
                {
                    reference = reader.GetTypeReference((TypeReferenceHandle)reference.ResolutionScope);
                }

                return reference;
            }

            private void EnsureTypes()
            {
                if (_types != null)
                {
                    return;
                }

                _types = new Dictionary<string, TypeDefinitionHandle>(StringComparer.Ordinal);
                foreach (var handle in Reader.TypeDefinitions)
                {
                    _types[MetadataNames.TypeFullName(Reader, handle)] = handle;
                }

                _forwarders = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var handle in Reader.ExportedTypes)
                {
                    var exported = Reader.GetExportedType(handle);
                    if (exported.Implementation.Kind == HandleKind.AssemblyReference)
                    {
                        string ns = Reader.GetString(exported.Namespace), name = Reader.GetString(exported.Name);
                        _forwarders[ns.Length == 0 ? name : ns + "." + name] =
                            Reader.GetString(Reader.GetAssemblyReference((AssemblyReferenceHandle)exported.Implementation).Name);
                    }
                }
            }
        }
    }
}
