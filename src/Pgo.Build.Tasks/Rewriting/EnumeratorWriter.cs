using System.Collections.Generic;
using System.Linq;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Pgo.Build.Rewriting
{
    /// <summary>
    /// Rewrites <see cref="ForeachSite"/>s to enumerate through <c>&lt;PgoEnumerator&gt;`1&lt;T&gt;</c>, a value type the
    /// stage adds to the assembly once: its <c>Of</c> tests the collection's exact type (<c>GetType() ==
    /// typeof(List&lt;T&gt;)</c> or <c>typeof(T[])</c>, which the JIT folds to one compare) and enumerates a list through
    /// <c>List&lt;T&gt;.Enumerator</c> (a struct: no allocation, direct calls), an array by index, and anything else through
    /// the collection's own <c>IEnumerator&lt;T&gt;</c>, exactly as before. The loop's enumerator local becomes that value
    /// type; <c>ldloc.s e</c> becomes <c>ldloca.s e</c> and each <c>callvirt</c> a <c>call</c> of the same size, so no IL
    /// offset moves (the recorded block counts and receiver types still apply) and the PDB's sequence points stay valid.
    /// </summary>
    internal sealed class EnumeratorWriter
    {
        public const string TypeName = Metadata.IlFingerprint.EnumeratorTypeName;

        private const int KindList = 0;
        private const int KindArray = 1;
        private const int KindOther = 2;

        private readonly ModuleDefinition _module;
        private readonly IReadOnlyList<MethodReference> _attributes;
        private TypeDefinition? _type;
        private MethodDefinition? _of;
        private MethodDefinition? _moveNext;
        private MethodDefinition? _current;
        private MethodDefinition? _dispose;

        public EnumeratorWriter(ModuleDefinition module, IReadOnlyList<MethodReference> attributes)
        {
            _module = module;
            _attributes = attributes;
        }

        public void Rewrite(ForeachSite site)
        {
            EnsureType();
            var instance = new GenericInstanceType(_type!);
            instance.GenericArguments.Add(site.Element);
            site.Enumerator.VariableType = instance;
            site.GetEnumerator.OpCode = OpCodes.Call;
            site.GetEnumerator.Operand = On(instance, _of!);
            foreach (var load in site.Loads)
            {
                load.OpCode = load.OpCode.Code == Code.Ldloc ? OpCodes.Ldloca : OpCodes.Ldloca_S;
                var next = load.Next;
                if (next.OpCode.Code != Code.Callvirt)
                {
                    continue; // the finally's null test: an address is never null
                }

                var called = (MethodReference)next.Operand;
                next.OpCode = OpCodes.Call;
                next.Operand = On(instance, called.Name switch
                {
                    "MoveNext" => _moveNext!,
                    "get_Current" => _current!,
                    _ => _dispose!,
                });
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

        private void EnsureType()
        {
            if (_type != null)
            {
                return;
            }

            var module = _module;
            var scope = module.TypeSystem.CoreLibrary;
            var valueType = new TypeReference("System", "ValueType", module, scope);
            _type = new TypeDefinition("", TypeName,
                TypeAttributes.NotPublic | TypeAttributes.Sealed | TypeAttributes.SequentialLayout | TypeAttributes.BeforeFieldInit, valueType);
            var t = new GenericParameter("T", _type);
            _type.GenericParameters.Add(t);
            module.Types.Add(_type);
            foreach (var attribute in _attributes.Take(1))
            {
                _type.CustomAttributes.Add(new CustomAttribute(attribute));
            }

            var self = new GenericInstanceType(_type);
            self.GenericArguments.Add(t);

            var listOpen = ListReference(module);
            var list = new GenericInstanceType(listOpen);
            list.GenericArguments.Add(t);
            var listEnumeratorOpen = new TypeReference("", "Enumerator", module, listOpen.Scope, valueType: true) { DeclaringType = listOpen };
            listEnumeratorOpen.GenericParameters.Add(new GenericParameter("T", listEnumeratorOpen));
            var listEnumerator = new GenericInstanceType(listEnumeratorOpen);
            listEnumerator.GenericArguments.Add(t);
            var array = new ArrayType(t);
            var enumerableOpen = new TypeReference("System.Collections.Generic", "IEnumerable`1", module, scope);
            enumerableOpen.GenericParameters.Add(new GenericParameter("T", enumerableOpen));
            var enumerable = new GenericInstanceType(enumerableOpen);
            enumerable.GenericArguments.Add(t);
            var enumeratorOpen = new TypeReference("System.Collections.Generic", "IEnumerator`1", module, scope);
            enumeratorOpen.GenericParameters.Add(new GenericParameter("T", enumeratorOpen));
            var enumerator = new GenericInstanceType(enumeratorOpen);
            enumerator.GenericArguments.Add(t);
            var nonGenericEnumerator = new TypeReference("System.Collections", "IEnumerator", module, scope);
            var disposable = new TypeReference("System", "IDisposable", module, scope);
            var typeType = new TypeReference("System", "Type", module, scope);
            var handle = new TypeReference("System", "RuntimeTypeHandle", module, scope, valueType: true);
            var getTypeFromHandle = Method(typeType, "GetTypeFromHandle", typeType, false, handle);
            var typeEquality = Method(typeType, "op_Equality", module.TypeSystem.Boolean, false, typeType, typeType);
            var getType = Method(module.TypeSystem.Object, "GetType", typeType, true);

            var listField = Field("_list", listEnumerator);
            var arrayField = Field("_array", array);
            var indexField = Field("_index", module.TypeSystem.Int32);
            var otherField = Field("_other", enumerator);
            var kindField = Field("_kind", module.TypeSystem.Int32);
            FieldReference On(FieldDefinition f) => new FieldReference(f.Name, f.FieldType, self);

            // static <PgoEnumerator><T> Of(IEnumerable<T> source)
            _of = NewMethod("Of", self, isStatic: true);
            _of.Parameters.Add(new ParameterDefinition("source", ParameterAttributes.None, enumerable));
            var result = new VariableDefinition(self);
            _of.Body.Variables.Add(result);
            _of.Body.InitLocals = true;
            var il = _of.Body.GetILProcessor();
            var notList = il.Create(OpCodes.Nop);
            var other = il.Create(OpCodes.Nop);
            EmitExactTypeTest(il, list, getType, getTypeFromHandle, typeEquality, notList);
            il.Emit(OpCodes.Ldloca_S, result);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Castclass, list);
            il.Emit(OpCodes.Call, Method(list, "GetEnumerator", new GenericInstanceType(listEnumeratorOpen) { GenericArguments = { listOpen.GenericParameters[0] } }, true));
            il.Emit(OpCodes.Stfld, On(listField));
            il.Emit(OpCodes.Ldloc_0);
            il.Emit(OpCodes.Ret);
            il.Append(notList);
            EmitExactTypeTest(il, array, getType, getTypeFromHandle, typeEquality, other);
            il.Emit(OpCodes.Ldloca_S, result);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Castclass, array);
            il.Emit(OpCodes.Stfld, On(arrayField));
            il.Emit(OpCodes.Ldloca_S, result);
            il.Emit(OpCodes.Ldc_I4_M1);
            il.Emit(OpCodes.Stfld, On(indexField));
            il.Emit(OpCodes.Ldloca_S, result);
            il.Emit(OpCodes.Ldc_I4, KindArray);
            il.Emit(OpCodes.Stfld, On(kindField));
            il.Emit(OpCodes.Ldloc_0);
            il.Emit(OpCodes.Ret);
            il.Append(other);
            il.Emit(OpCodes.Ldloca_S, result);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Callvirt, Method(enumerable, "GetEnumerator", new GenericInstanceType(enumeratorOpen) { GenericArguments = { enumerableOpen.GenericParameters[0] } }, true));
            il.Emit(OpCodes.Stfld, On(otherField));
            il.Emit(OpCodes.Ldloca_S, result);
            il.Emit(OpCodes.Ldc_I4, KindOther);
            il.Emit(OpCodes.Stfld, On(kindField));
            il.Emit(OpCodes.Ldloc_0);
            il.Emit(OpCodes.Ret);

            // bool MoveNext()
            _moveNext = NewMethod("MoveNext", module.TypeSystem.Boolean, isStatic: false);
            var next = new VariableDefinition(module.TypeSystem.Int32);
            _moveNext.Body.Variables.Add(next);
            il = _moveNext.Body.GetILProcessor();
            var arrayCase = il.Create(OpCodes.Nop);
            var otherCase = il.Create(OpCodes.Nop);
            var end = il.Create(OpCodes.Nop);
            EmitKindSwitch(il, kindField, On, arrayCase, otherCase);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldflda, On(listField));
            il.Emit(OpCodes.Call, Method(listEnumerator, "MoveNext", module.TypeSystem.Boolean, true));
            il.Emit(OpCodes.Ret);
            il.Append(arrayCase);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, On(indexField));
            il.Emit(OpCodes.Ldc_I4_1);
            il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Stloc_0);
            il.Emit(OpCodes.Ldloc_0);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, On(arrayField));
            il.Emit(OpCodes.Ldlen);
            il.Emit(OpCodes.Conv_I4);
            il.Emit(OpCodes.Bge, end);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldloc_0);
            il.Emit(OpCodes.Stfld, On(indexField));
            il.Emit(OpCodes.Ldc_I4_1);
            il.Emit(OpCodes.Ret);
            il.Append(end);
            il.Emit(OpCodes.Ldc_I4_0);
            il.Emit(OpCodes.Ret);
            il.Append(otherCase);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, On(otherField));
            il.Emit(OpCodes.Callvirt, Method(nonGenericEnumerator, "MoveNext", module.TypeSystem.Boolean, true));
            il.Emit(OpCodes.Ret);

            // T get_Current()
            _current = NewMethod("get_Current", t, isStatic: false);
            il = _current.Body.GetILProcessor();
            arrayCase = il.Create(OpCodes.Nop);
            otherCase = il.Create(OpCodes.Nop);
            EmitKindSwitch(il, kindField, On, arrayCase, otherCase);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldflda, On(listField));
            il.Emit(OpCodes.Call, Method(listEnumerator, "get_Current", listEnumeratorOpen.GenericParameters[0], true));
            il.Emit(OpCodes.Ret);
            il.Append(arrayCase);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, On(arrayField));
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, On(indexField));
            il.Emit(OpCodes.Ldelem_Any, t);
            il.Emit(OpCodes.Ret);
            il.Append(otherCase);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, On(otherField));
            il.Emit(OpCodes.Callvirt, Method(enumerator, "get_Current", enumeratorOpen.GenericParameters[0], true));
            il.Emit(OpCodes.Ret);

            // void Dispose(): the list's enumerator (which does nothing), nothing for an array, the collection's own
            // enumerator when it is not null (the compiler's finally tests it).
            _dispose = NewMethod("Dispose", module.TypeSystem.Void, isStatic: false);
            il = _dispose.Body.GetILProcessor();
            arrayCase = il.Create(OpCodes.Nop);
            otherCase = il.Create(OpCodes.Nop);
            var done = il.Create(OpCodes.Ret);
            EmitKindSwitch(il, kindField, On, arrayCase, otherCase);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldflda, On(listField));
            il.Emit(OpCodes.Call, Method(listEnumerator, "Dispose", module.TypeSystem.Void, true));
            il.Append(arrayCase);
            il.Emit(OpCodes.Ret);
            il.Append(otherCase);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, On(otherField));
            il.Emit(OpCodes.Brfalse_S, done);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, On(otherField));
            il.Emit(OpCodes.Callvirt, Method(disposable, "Dispose", module.TypeSystem.Void, true));
            il.Append(done);
        }

        /// <summary><c>if (source.GetType() != typeof(X)) goto otherwise;</c> (a null source throws, as the original call did).</summary>
        private static void EmitExactTypeTest(ILProcessor il, TypeReference type, MethodReference getType, MethodReference getTypeFromHandle, MethodReference typeEquality, Instruction otherwise)
        {
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Callvirt, getType);
            il.Emit(OpCodes.Ldtoken, type);
            il.Emit(OpCodes.Call, getTypeFromHandle);
            il.Emit(OpCodes.Call, typeEquality);
            il.Emit(OpCodes.Brfalse, otherwise);
        }

        /// <summary>Falls through for a list; jumps to <paramref name="arrayCase"/> or <paramref name="otherCase"/>.</summary>
        private static void EmitKindSwitch(ILProcessor il, FieldDefinition kind, System.Func<FieldDefinition, FieldReference> on, Instruction arrayCase, Instruction otherCase)
        {
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, on(kind));
            il.Emit(OpCodes.Ldc_I4, KindArray);
            il.Emit(OpCodes.Beq, arrayCase);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, on(kind));
            il.Emit(OpCodes.Ldc_I4, KindOther);
            il.Emit(OpCodes.Beq, otherCase);
        }

        private FieldDefinition Field(string name, TypeReference type)
        {
            var field = new FieldDefinition(name, FieldAttributes.Private, type);
            _type!.Fields.Add(field);
            return field;
        }

        private MethodDefinition NewMethod(string name, TypeReference returns, bool isStatic)
        {
            var method = new MethodDefinition(name,
                MethodAttributes.Assembly | MethodAttributes.HideBySig | (isStatic ? MethodAttributes.Static : 0), returns)
            {
                ImplAttributes = MethodImplAttributes.IL | MethodImplAttributes.Managed | MethodImplAttributes.AggressiveInlining,
            };
            foreach (var attribute in _attributes)
            {
                method.CustomAttributes.Add(new CustomAttribute(attribute));
            }

            _type!.Methods.Add(method);
            return method;
        }

        private static MethodReference Method(TypeReference declaring, string name, TypeReference returns, bool hasThis, params TypeReference[] parameters)
        {
            var method = new MethodReference(name, returns, declaring) { HasThis = hasThis };
            foreach (var p in parameters)
            {
                method.Parameters.Add(new ParameterDefinition(p));
            }

            return method;
        }

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
