using System;
using System.Collections.Generic;
using System.Linq;
using Mono.Cecil;
using Mono.Cecil.Cil;
using Mono.Cecil.Rocks;
using Pgo.Build.Metadata;

namespace Pgo.Build.Rewriting
{
    /// <summary>
    /// Rewrites <see cref="ForeachSite"/>s to enumerate through a value type the stage adds to the assembly once per kind:
    /// <c>&lt;PgoListEnumerator&gt;`1&lt;T&gt;</c> for loops whose recorded collection was a <c>List&lt;T&gt;</c>,
    /// <c>&lt;PgoArrayEnumerator&gt;`1&lt;T&gt;</c> for a <c>T[]</c>. Its <c>Of</c> tests the collection's exact type
    /// (<c>GetType() == typeof(List&lt;T&gt;)</c> or <c>typeof(T[])</c>, which the JIT folds to one compare) and enumerates
    /// a list through <c>List&lt;T&gt;.Enumerator</c> (a struct: no allocation, direct calls, the list's own version
    /// check), an array by index, and any other collection through its own <c>IEnumerator&lt;T&gt;</c>, exactly as before.
    /// The loop's enumerator local becomes that value type; <c>ldloc.s e</c> becomes <c>ldloca.s e</c> and each
    /// <c>callvirt</c> a <c>call</c> of the same size, so no IL offset moves (the recorded block counts and receiver types
    /// still apply) and the PDB's sequence points stay valid.
    /// </summary>
    internal sealed class EnumeratorWriter
    {
        private readonly ModuleDefinition _module;
        private readonly IReadOnlyList<MethodReference> _attributes;
        private readonly Dictionary<EnumeratedKind, EnumeratorType> _types = new Dictionary<EnumeratedKind, EnumeratorType>();

        /// <summary>The compiler's offset of every instruction of each method a rewrite lengthens, taken before the first change.</summary>
        private readonly Dictionary<MethodDefinition, List<(Instruction Instruction, int Original)>> _moved = new Dictionary<MethodDefinition, List<(Instruction, int)>>();

        public EnumeratorWriter(ModuleDefinition module, IReadOnlyList<MethodReference> attributes)
        {
            _module = module;
            _attributes = attributes;
        }

        public void Rewrite(ForeachSite site)
        {
            if (!_types.TryGetValue(site.Kind, out var type))
            {
                type = site.Kind == EnumeratedKind.List ? EmitList() : EmitArray();
                _types.Add(site.Kind, type);
            }

            if (site.ShiftsOffsets)
            {
                if (!_moved.ContainsKey(site.Method))
                {
                    _moved.Add(site.Method, site.Method.Body.Instructions.Select(i => (i, i.Offset)).ToList());
                }

                // Long forms while the loads grow, then the shortest encodings again (a short branch across them may widen).
                site.Method.Body.SimplifyMacros();
            }

            var instance = new GenericInstanceType(type.Definition);
            instance.GenericArguments.Add(site.Element);
            site.Enumerator.VariableType = instance;
            foreach (var call in site.GetEnumerators)
            {
                call.OpCode = OpCodes.Call;
                call.Operand = On(instance, type.Of);
            }

            foreach (var load in site.Loads)
            {
                load.OpCode = load.OpCode.Code == Code.Ldloc_S ? OpCodes.Ldloca_S : OpCodes.Ldloca;
                load.Operand = site.Enumerator;
                var next = load.Next;
                if (next.OpCode.Code != Code.Callvirt)
                {
                    continue; // the finally's null test: an address is never null
                }

                var called = (MethodReference)next.Operand;
                next.OpCode = OpCodes.Call;
                next.Operand = On(instance, called.Name switch
                {
                    "MoveNext" => type.MoveNext,
                    "get_Current" => type.Current,
                    _ => type.Dispose,
                });
            }

            if (site.ShiftsOffsets)
            {
                site.Method.Body.OptimizeMacros();
            }
        }

        /// <summary>
        /// Marks every method whose offsets moved with a <c>&lt;PgoIlMoved&gt;</c> attribute (<see cref="IlMoves"/>): the
        /// compiler's fingerprint and size (<paramref name="original"/>, by token) and where the offsets moved.
        /// </summary>
        public void MarkMovedMethods(Func<int, (long IlHash, int IlSize)?> original)
        {
            if (_moved.Count == 0)
            {
                return;
            }

            var attributeType = new TypeDefinition("", IlMoves.AttributeTypeName,
                TypeAttributes.NotPublic | TypeAttributes.Sealed | TypeAttributes.BeforeFieldInit,
                new TypeReference("System", "Attribute", _module, _module.TypeSystem.CoreLibrary));
            _module.Types.Add(attributeType);
            attributeType.CustomAttributes.Add(new CustomAttribute(_attributes[0]));
            var constructor = new MethodDefinition(".ctor",
                MethodAttributes.Assembly | MethodAttributes.HideBySig | MethodAttributes.SpecialName | MethodAttributes.RTSpecialName, _module.TypeSystem.Void);
            constructor.Parameters.Add(new ParameterDefinition("moves", ParameterAttributes.None, _module.TypeSystem.String));
            var il = constructor.Body.GetILProcessor();
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Call, Method(attributeType.BaseType, ".ctor", _module.TypeSystem.Void, true));
            il.Emit(OpCodes.Ret);
            attributeType.Methods.Add(constructor);

            foreach (var entry in _moved.OrderBy(m => m.Key.MetadataToken.ToInt32()))
            {
                var method = entry.Key;
                var before = entry.Value;
                var identity = original(method.MetadataToken.ToInt32());
                if (identity == null)
                {
                    continue;
                }

                int offset = 0;
                var current = new Dictionary<Instruction, int>();
                foreach (var ins in method.Body.Instructions)
                {
                    current[ins] = offset;
                    offset += ins.GetSize();
                }

                var moves = new IlMoves(identity.Value.IlHash, identity.Value.IlSize, IlMoves.Points(before.Select(b => (b.Original, current[b.Instruction]))));
                var attribute = new CustomAttribute(constructor);
                attribute.ConstructorArguments.Add(new CustomAttributeArgument(_module.TypeSystem.String, moves.Encode()));
                method.CustomAttributes.Add(attribute);
            }
        }

        private static MethodReference On(GenericInstanceType instance, MethodDefinition method)
        {
            var reference = new MethodReference(method.Name, method.ReturnType, instance) { HasThis = method.HasThis };
            foreach (var p in method.Parameters)
            {
                reference.Parameters.Add(new ParameterDefinition(p.ParameterType));
            }

            return reference;
        }

        /// <summary>The added value type and its four members.</summary>
        private sealed class EnumeratorType
        {
            public EnumeratorType(TypeDefinition definition, MethodDefinition of, MethodDefinition moveNext, MethodDefinition current, MethodDefinition dispose)
            {
                Definition = definition;
                Of = of;
                MoveNext = moveNext;
                Current = current;
                Dispose = dispose;
            }

            public TypeDefinition Definition { get; }
            public MethodDefinition Of { get; }
            public MethodDefinition MoveNext { get; }
            public MethodDefinition Current { get; }
            public MethodDefinition Dispose { get; }
        }

        /// <summary>What both value types use: the type, its T and itself as <c>Type&lt;T&gt;</c>, the framework's references.</summary>
        private sealed class Builder
        {
            public Builder(EnumeratorWriter writer, string name)
            {
                Writer = writer;
                var module = writer._module;
                Module = module;
                var scope = module.TypeSystem.CoreLibrary;
                Type = new TypeDefinition("", name,
                    TypeAttributes.NotPublic | TypeAttributes.Sealed | TypeAttributes.SequentialLayout | TypeAttributes.BeforeFieldInit,
                    new TypeReference("System", "ValueType", module, scope));
                T = new GenericParameter("T", Type);
                Type.GenericParameters.Add(T);
                module.Types.Add(Type);
                Type.CustomAttributes.Add(new CustomAttribute(writer._attributes[0]));
                Self = new GenericInstanceType(Type);
                Self.GenericArguments.Add(T);
                EnumerableOpen = Open("System.Collections.Generic", "IEnumerable`1", scope);
                Enumerable = Instance(EnumerableOpen, T);
                EnumeratorOpen = Open("System.Collections.Generic", "IEnumerator`1", scope);
                Enumerator = Instance(EnumeratorOpen, T);
                var typeType = new TypeReference("System", "Type", module, scope);
                GetTypeFromHandle = Method(typeType, "GetTypeFromHandle", typeType, false, new TypeReference("System", "RuntimeTypeHandle", module, scope, valueType: true));
                TypeEquality = Method(typeType, "op_Equality", module.TypeSystem.Boolean, false, typeType, typeType);
                GetTypeMethod = Method(module.TypeSystem.Object, "GetType", typeType, true);
                NonGenericMoveNext = Method(new TypeReference("System.Collections", "IEnumerator", module, scope), "MoveNext", module.TypeSystem.Boolean, true);
                GenericCurrent = Method(Enumerator, "get_Current", EnumeratorOpen.GenericParameters[0], true);
                DisposeMethod = Method(new TypeReference("System", "IDisposable", module, scope), "Dispose", module.TypeSystem.Void, true);
                GetEnumerator = Method(Enumerable, "GetEnumerator", Instance(EnumeratorOpen, EnumerableOpen.GenericParameters[0]), true);
            }

            public EnumeratorWriter Writer { get; }
            public ModuleDefinition Module { get; }
            public TypeDefinition Type { get; }
            public GenericParameter T { get; }
            public GenericInstanceType Self { get; }
            public TypeReference EnumerableOpen { get; }
            public GenericInstanceType Enumerable { get; }
            public TypeReference EnumeratorOpen { get; }
            public GenericInstanceType Enumerator { get; }
            public MethodReference GetTypeFromHandle { get; }
            public MethodReference TypeEquality { get; }
            public MethodReference GetTypeMethod { get; }
            public MethodReference NonGenericMoveNext { get; }
            public MethodReference GenericCurrent { get; }
            public MethodReference DisposeMethod { get; }
            public MethodReference GetEnumerator { get; }

            public TypeReference Open(string ns, string name, IMetadataScope scope)
            {
                var type = new TypeReference(ns, name, Module, scope);
                type.GenericParameters.Add(new GenericParameter("T", type));
                return type;
            }

            public static GenericInstanceType Instance(TypeReference open, TypeReference argument)
            {
                var instance = new GenericInstanceType(open);
                instance.GenericArguments.Add(argument);
                return instance;
            }

            public FieldReference Field(string name, TypeReference type)
            {
                var field = new FieldDefinition(name, FieldAttributes.Private, type);
                Type.Fields.Add(field);
                return new FieldReference(field.Name, field.FieldType, Self);
            }

            public MethodDefinition NewMethod(string name, TypeReference returns, bool isStatic)
            {
                var method = new MethodDefinition(name,
                    MethodAttributes.Assembly | MethodAttributes.HideBySig | (isStatic ? MethodAttributes.Static : 0), returns)
                {
                    ImplAttributes = MethodImplAttributes.IL | MethodImplAttributes.Managed | MethodImplAttributes.AggressiveInlining,
                };
                method.Body.InitLocals = true;
                foreach (var attribute in Writer._attributes)
                {
                    method.CustomAttributes.Add(new CustomAttribute(attribute));
                }

                Type.Methods.Add(method);
                return method;
            }

            /// <summary>
            /// <c>static Type&lt;T&gt; Of(IEnumerable&lt;T&gt; source)</c>: <paramref name="fast"/> fills the result when the source's
            /// exact type is <paramref name="exact"/>; otherwise the source's own enumerator goes to <paramref name="other"/>
            /// (and <paramref name="slow"/>, if any, is set).
            /// </summary>
            public MethodDefinition EmitOf(TypeReference exact, System.Action<ILProcessor, VariableDefinition> fast, FieldReference other, FieldReference? slow)
            {
                var of = NewMethod("Of", Self, isStatic: true);
                of.Parameters.Add(new ParameterDefinition("source", ParameterAttributes.None, Enumerable));
                var result = new VariableDefinition(Self);
                of.Body.Variables.Add(result);
                var il = of.Body.GetILProcessor();
                var otherwise = il.Create(OpCodes.Nop);
                // A null source throws NullReferenceException here, as the original GetEnumerator call did.
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Callvirt, GetTypeMethod);
                il.Emit(OpCodes.Ldtoken, exact);
                il.Emit(OpCodes.Call, GetTypeFromHandle);
                il.Emit(OpCodes.Call, TypeEquality);
                il.Emit(OpCodes.Brfalse, otherwise);
                fast(il, result);
                il.Emit(OpCodes.Ldloc_0);
                il.Emit(OpCodes.Ret);
                il.Append(otherwise);
                il.Emit(OpCodes.Ldloca_S, result);
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Callvirt, GetEnumerator);
                il.Emit(OpCodes.Stfld, other);
                if (slow != null)
                {
                    il.Emit(OpCodes.Ldloca_S, result);
                    il.Emit(OpCodes.Ldc_I4_1);
                    il.Emit(OpCodes.Stfld, slow);
                }

                il.Emit(OpCodes.Ldloc_0);
                il.Emit(OpCodes.Ret);
                return of;
            }

            /// <summary>
            /// A member that runs <paramref name="fast"/> unless <paramref name="isSlow"/> (which leaves a bool) says the
            /// collection was another one; then the collection's own enumerator's <paramref name="otherCall"/>, the
            /// <c>Dispose</c> of which is skipped for a null enumerator (the compiler's finally tests it).
            /// </summary>
            public MethodDefinition EmitMember(string name, TypeReference returns, System.Action<ILProcessor> isSlow, System.Action<ILProcessor> fast, FieldReference other, MethodReference otherCall)
            {
                var method = NewMethod(name, returns, isStatic: false);
                var il = method.Body.GetILProcessor();
                var slowPath = il.Create(OpCodes.Nop);
                var done = il.Create(OpCodes.Ret);
                isSlow(il);
                il.Emit(OpCodes.Brtrue, slowPath);
                fast(il);
                il.Emit(OpCodes.Ret);
                il.Append(slowPath);
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Ldfld, other);
                if (otherCall == DisposeMethod)
                {
                    il.Emit(OpCodes.Brfalse, done);
                    il.Emit(OpCodes.Ldarg_0);
                    il.Emit(OpCodes.Ldfld, other);
                }

                il.Emit(OpCodes.Callvirt, otherCall);
                il.Append(done);
                return method;
            }
        }

        /// <summary><c>&lt;PgoListEnumerator&gt;`1&lt;T&gt;</c>: <c>List&lt;T&gt;.Enumerator _list; IEnumerator&lt;T&gt; _other; bool _slow</c>.</summary>
        private EnumeratorType EmitList()
        {
            var b = new Builder(this, Metadata.IlFingerprint.ListEnumeratorTypeName);
            var module = _module;
            var listOpen = ListReference(module);
            var list = Builder.Instance(listOpen, b.T);
            var listEnumeratorOpen = new TypeReference("", "Enumerator", module, listOpen.Scope, valueType: true) { DeclaringType = listOpen };
            listEnumeratorOpen.GenericParameters.Add(new GenericParameter("T", listEnumeratorOpen));
            var listEnumerator = Builder.Instance(listEnumeratorOpen, b.T);
            var listField = b.Field("_list", listEnumerator);
            var otherField = b.Field("_other", b.Enumerator);
            var slowField = b.Field("_slow", module.TypeSystem.Boolean);
            var getEnumerator = Method(list, "GetEnumerator", Builder.Instance(listEnumeratorOpen, listOpen.GenericParameters[0]), true);
            var of = b.EmitOf(list, (il, result) =>
            {
                il.Emit(OpCodes.Ldloca_S, result);
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Castclass, list);
                il.Emit(OpCodes.Call, getEnumerator);
                il.Emit(OpCodes.Stfld, listField);
            }, otherField, slowField);
            void IsSlow(ILProcessor il)
            {
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Ldfld, slowField);
            }

            System.Action<ILProcessor> OnList(string name, TypeReference returns) => il =>
            {
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Ldflda, listField);
                il.Emit(OpCodes.Call, Method(listEnumerator, name, returns, true));
            };

            var moveNext = b.EmitMember("MoveNext", module.TypeSystem.Boolean, IsSlow, OnList("MoveNext", module.TypeSystem.Boolean), otherField, b.NonGenericMoveNext);
            var current = b.EmitMember("get_Current", b.T, IsSlow, OnList("get_Current", listEnumeratorOpen.GenericParameters[0]), otherField, b.GenericCurrent);
            var dispose = b.EmitMember("Dispose", module.TypeSystem.Void, IsSlow, OnList("Dispose", module.TypeSystem.Void), otherField, b.DisposeMethod);
            return new EnumeratorType(b.Type, of, moveNext, current, dispose);
        }

        /// <summary><c>&lt;PgoArrayEnumerator&gt;`1&lt;T&gt;</c>: <c>T[] _array; int _index; IEnumerator&lt;T&gt; _other</c> (another collection: no array).</summary>
        private EnumeratorType EmitArray()
        {
            var b = new Builder(this, Metadata.IlFingerprint.ArrayEnumeratorTypeName);
            var module = _module;
            var array = new ArrayType(b.T);
            var arrayField = b.Field("_array", array);
            var indexField = b.Field("_index", module.TypeSystem.Int32);
            var otherField = b.Field("_other", b.Enumerator);
            var of = b.EmitOf(array, (il, result) =>
            {
                il.Emit(OpCodes.Ldloca_S, result);
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Castclass, array);
                il.Emit(OpCodes.Stfld, arrayField);
                il.Emit(OpCodes.Ldloca_S, result);
                il.Emit(OpCodes.Ldc_I4_M1);
                il.Emit(OpCodes.Stfld, indexField);
            }, otherField, null);
            void IsSlow(ILProcessor il)
            {
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Ldfld, arrayField);
                il.Emit(OpCodes.Ldnull);
                il.Emit(OpCodes.Ceq);
            }

            var moveNext = b.EmitMember("MoveNext", module.TypeSystem.Boolean, IsSlow, il =>
            {
                // int next = _index + 1; if (next < _array.Length) { _index = next; return true; } return false;
                var next = new VariableDefinition(module.TypeSystem.Int32);
                il.Body.Variables.Add(next);
                var end = il.Create(OpCodes.Ldc_I4_0);
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Ldfld, indexField);
                il.Emit(OpCodes.Ldc_I4_1);
                il.Emit(OpCodes.Add);
                il.Emit(OpCodes.Stloc, next);
                il.Emit(OpCodes.Ldloc, next);
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Ldfld, arrayField);
                il.Emit(OpCodes.Ldlen);
                il.Emit(OpCodes.Conv_I4);
                il.Emit(OpCodes.Bge, end);
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Ldloc, next);
                il.Emit(OpCodes.Stfld, indexField);
                il.Emit(OpCodes.Ldc_I4_1);
                il.Emit(OpCodes.Ret);
                il.Append(end);
            }, otherField, b.NonGenericMoveNext);
            var current = b.EmitMember("get_Current", b.T, IsSlow, il =>
            {
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Ldfld, arrayField);
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Ldfld, indexField);
                il.Emit(OpCodes.Ldelem_Any, b.T);
            }, otherField, b.GenericCurrent);
            var dispose = b.EmitMember("Dispose", module.TypeSystem.Void, IsSlow, il => { }, otherField, b.DisposeMethod);
            return new EnumeratorType(b.Type, of, moveNext, current, dispose);
        }

        private static MethodReference Method(TypeReference declaring, string name, TypeReference returns, bool hasThis, params TypeReference[] parameters) =>
            DelegateGuardWriter.Method(declaring, name, returns, hasThis, parameters);

        /// <summary>
        /// <c>System.Collections.Generic.List`1</c> where the module already finds it; else in <c>System.Collections</c>
        /// beside the module's <c>System.Runtime</c> (its reference-assembly home), or the core library (.NET Standard,
        /// .NET Framework).
        /// </summary>
        private static TypeReference ListReference(ModuleDefinition module)
        {
            var known = module.GetTypeReferences().FirstOrDefault(r => r.FullName == "System.Collections.Generic.List`1");
            IMetadataScope scope;
            if (known != null)
            {
                scope = known.Scope;
            }
            else if (module.AssemblyReferences.FirstOrDefault(a => a.Name == "System.Collections") is AssemblyNameReference collections)
            {
                scope = collections;
            }
            else if (module.TypeSystem.CoreLibrary is AssemblyNameReference runtime && runtime.Name == "System.Runtime")
            {
                var added = new AssemblyNameReference("System.Collections", runtime.Version) { PublicKeyToken = runtime.PublicKeyToken };
                module.AssemblyReferences.Add(added);
                scope = added;
            }
            else
            {
                scope = module.TypeSystem.CoreLibrary;
            }

            var list = new TypeReference("System.Collections.Generic", "List`1", module, scope);
            list.GenericParameters.Add(new GenericParameter("T", list));
            return list;
        }
    }
}
