using System;
using System.Collections.Generic;
using System.Linq;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Pgo.Build.Rewriting
{
    /// <summary>
    /// A static field that provably only ever holds delegates of one type bound to one method: the C# compiler's
    /// cache of a non-capturing lambda (<c>&lt;&gt;c.&lt;&gt;9__N_M</c>, bound to the singleton <c>&lt;&gt;c.&lt;&gt;9</c>) or of a
    /// static method group (<c>&lt;&gt;O.&lt;k&gt;__Name</c>, bound to nothing). A delegate that is reference-equal to
    /// the field's value therefore calls <see cref="Target"/> on <see cref="Instance"/>'s value (or statically).
    /// </summary>
    internal sealed class DelegateCache
    {
        public DelegateCache(FieldDefinition field, TypeReference delegateType, MethodDefinition target, FieldDefinition? instance)
        {
            Field = field;
            DelegateType = delegateType;
            Target = target;
            Instance = instance;
        }

        /// <summary>A closure: delegates of <paramref name="delegateType"/> whose target object is exactly a <paramref name="closure"/>.</summary>
        public DelegateCache(TypeDefinition closure, TypeReference delegateType, MethodDefinition target)
        {
            Closure = closure;
            DelegateType = delegateType;
            Target = target;
        }

        /// <summary>The cache field; null for a closure.</summary>
        public FieldDefinition? Field { get; }

        /// <summary>
        /// For a closure, the display class: a single-target delegate of <see cref="DelegateType"/> whose <c>Target</c> is
        /// exactly this type calls <see cref="Target"/> on it (<see cref="DelegateCaches.FindClosures"/> proves it).
        /// </summary>
        public TypeDefinition? Closure { get; }

        /// <summary>The delegate type every store creates (as the <c>newobj</c> names it).</summary>
        public TypeReference DelegateType { get; }

        public MethodDefinition Target { get; }

        /// <summary>The <c>static readonly</c> singleton the delegate is bound to; null for a static method or a closure.</summary>
        public FieldDefinition? Instance { get; }

        internal bool SameBinding(DelegateCache other) =>
            Target == other.Target && Instance == other.Instance && DelegateType.FullName == other.DelegateType.FullName;
    }

    /// <summary>
    /// Finds the delegate caches of a module by scanning every method body: a field qualifies only when every store to
    /// it in the module is the compiler's idiom <c>ldnull|ldsfld &lt;&gt;9; ldftn M; newobj D::.ctor; dup; stsfld F</c> with
    /// the same D and M, its address is never taken, and nothing outside the assembly can reach it (a private field or
    /// a field of a private nested type). The singleton of a lambda cache must be <c>static readonly</c> and assigned
    /// only by its type's static constructor.
    /// </summary>
    internal static class DelegateCaches
    {
        public static IReadOnlyList<DelegateCache> Find(ModuleDefinition module)
        {
            var found = new Dictionary<FieldDefinition, DelegateCache>();
            var rejected = new HashSet<FieldDefinition>();
            var singletonStores = new Dictionary<FieldDefinition, bool>(); // singleton field -> every store is newobj in its .cctor
            foreach (var type in AllTypes(module))
            {
                foreach (var method in type.Methods)
                {
                    if (!method.HasBody)
                    {
                        continue;
                    }

                    var code = method.Body.Instructions;
                    for (int i = 0; i < code.Count; i++)
                    {
                        var ins = code[i];
                        if (ins.OpCode.Code != Code.Stsfld && ins.OpCode.Code != Code.Ldsflda && ins.OpCode.Code != Code.Stfld && ins.OpCode.Code != Code.Ldflda)
                        {
                            continue;
                        }

                        if (!(ins.Operand is FieldDefinition field) || !field.IsStatic)
                        {
                            continue; // fields of generic instantiations are FieldReferences: never candidates
                        }

                        if (ins.OpCode.Code == Code.Stsfld)
                        {
                            NoteSingletonStore(singletonStores, method, code, i, field);
                        }

                        var cache = ins.OpCode.Code == Code.Stsfld ? Match(code, i, field) : null;
                        if (cache == null)
                        {
                            rejected.Add(field);
                        }
                        else if (found.TryGetValue(field, out var earlier) && !earlier.SameBinding(cache))
                        {
                            rejected.Add(field);
                        }
                        else
                        {
                            found[field] = cache;
                        }
                    }
                }
            }

            var result = new List<DelegateCache>();
            foreach (var kv in found)
            {
                var cache = kv.Value;
                if (rejected.Contains(kv.Key) || !IsPrivateToAssembly(kv.Key))
                {
                    continue;
                }

                if (cache.Instance != null && (!cache.Instance.IsInitOnly || !singletonStores.TryGetValue(cache.Instance, out bool onlyInCctor) || !onlyInCctor))
                {
                    continue;
                }

                result.Add(cache);
            }

            result.Sort((a, b) => string.CompareOrdinal(a.Field!.FullName, b.Field!.FullName));
            return result;
        }

        /// <summary>
        /// Closures the guards can recognise by the type of their target object: for a display class C (a class nested
        /// privately, so nothing outside the assembly names it) and a delegate type D, every <c>ldftn</c> in the module
        /// that makes a D from a method of C names one and the same instance method M, C has no other instance method
        /// with M's signature (a delegate bound by reflection to C could only be M), no <c>ldvirtftn</c> makes a D from
        /// C, and no static method with one parameter more than M (which a D could close over a C) is made into a D.
        /// A single-target D whose <c>Target</c> is exactly a C then calls M.
        /// </summary>
        public static IReadOnlyList<DelegateCache> FindClosures(ModuleDefinition module)
        {
            var made = new Dictionary<(TypeDefinition Type, string Delegate), (HashSet<MethodDefinition> Methods, TypeReference DelegateType)>();
            var rejected = new HashSet<(TypeDefinition, string)>();
            var closedStatics = new HashSet<(string Delegate, int Parameters)>();
            var openReferences = new HashSet<string>(StringComparer.Ordinal); // delegates made from methods we cannot inspect
            foreach (var type in AllTypes(module))
            {
                foreach (var method in type.Methods)
                {
                    if (!method.HasBody)
                    {
                        continue;
                    }

                    var code = method.Body.Instructions;
                    for (int i = 0; i + 1 < code.Count; i++)
                    {
                        var ins = code[i];
                        if ((ins.OpCode.Code != Code.Ldftn && ins.OpCode.Code != Code.Ldvirtftn) || code[i + 1].OpCode.Code != Code.Newobj
                            || !(code[i + 1].Operand is MethodReference ctor) || !(ins.Operand is MethodReference function))
                        {
                            continue;
                        }

                        string delegateType = ctor.DeclaringType.FullName;
                        if (!(function is MethodDefinition target) || target.HasGenericParameters || target.DeclaringType.HasGenericParameters)
                        {
                            if (function.HasThis || ins.OpCode.Code == Code.Ldvirtftn)
                            {
                                openReferences.Add(delegateType);
                            }
                            else
                            {
                                closedStatics.Add((delegateType, function.Parameters.Count));
                            }

                            continue;
                        }

                        if (target.IsStatic)
                        {
                            closedStatics.Add((delegateType, target.Parameters.Count));
                            continue;
                        }

                        var key = (target.DeclaringType, delegateType);
                        if (ins.OpCode.Code == Code.Ldvirtftn || target.IsVirtual)
                        {
                            rejected.Add(key);
                            continue;
                        }

                        if (!made.TryGetValue(key, out var entry))
                        {
                            made.Add(key, entry = (new HashSet<MethodDefinition>(), ctor.DeclaringType));
                        }

                        entry.Methods.Add(target);
                    }
                }
            }

            var result = new List<DelegateCache>();
            foreach (var kv in made)
            {
                var (closure, delegateType) = kv.Key;
                if (kv.Value.Methods.Count != 1 || rejected.Contains(kv.Key) || openReferences.Contains(delegateType) || closure.HasGenericParameters
                    || closure.IsValueType || !IsNestedPrivately(closure))
                {
                    continue;
                }

                var target = kv.Value.Methods.First();
                if (closedStatics.Contains((delegateType, target.Parameters.Count + 1))
                    || closure.Methods.Any(m => m != target && !m.IsStatic && !m.IsConstructor && SameSignature(m, target)))
                {
                    continue;
                }

                result.Add(new DelegateCache(closure, kv.Value.DelegateType, target));
            }

            result.Sort((a, b) => string.CompareOrdinal(a.Target.FullName + "|" + a.DelegateType.FullName, b.Target.FullName + "|" + b.DelegateType.FullName));
            return result;
        }

        private static bool SameSignature(MethodDefinition a, MethodDefinition b) =>
            a.Parameters.Count == b.Parameters.Count && a.ReturnType.FullName == b.ReturnType.FullName
            && a.Parameters.Select(p => p.ParameterType.FullName).SequenceEqual(b.Parameters.Select(p => p.ParameterType.FullName), StringComparer.Ordinal);

        private static bool IsNestedPrivately(TypeDefinition type)
        {
            for (var current = type; current != null; current = current.DeclaringType)
            {
                if (current.IsNestedPrivate)
                {
                    return true;
                }
            }

            return false;
        }

        public static IEnumerable<TypeDefinition> AllTypes(ModuleDefinition module)
        {
            var stack = new Stack<TypeDefinition>();
            for (int i = module.Types.Count - 1; i >= 0; i--)
            {
                stack.Push(module.Types[i]);
            }

            while (stack.Count > 0)
            {
                var type = stack.Pop();
                yield return type;
                for (int i = type.NestedTypes.Count - 1; i >= 0; i--)
                {
                    stack.Push(type.NestedTypes[i]);
                }
            }
        }

        /// <summary><c>ldnull|ldsfld singleton; ldftn M; newobj D::.ctor(object, native int); dup; stsfld F</c>.</summary>
        private static DelegateCache? Match(IList<Instruction> code, int store, FieldDefinition field)
        {
            if (store < 4 || field.IsInitOnly || field.IsLiteral)
            {
                return null;
            }

            var dup = code[store - 1];
            var newobj = code[store - 2];
            var ldftn = code[store - 3];
            var target = code[store - 4];
            if (dup.OpCode.Code != Code.Dup || newobj.OpCode.Code != Code.Newobj || ldftn.OpCode.Code != Code.Ldftn)
            {
                return null;
            }

            if (!(newobj.Operand is MethodReference ctor) || ctor.Name != ".ctor" || ctor.Parameters.Count != 2
                || ctor.Parameters[0].ParameterType.MetadataType != MetadataType.Object || ctor.Parameters[1].ParameterType.MetadataType != MetadataType.IntPtr
                || ctor.DeclaringType.FullName != field.FieldType.FullName)
            {
                return null;
            }

            if (!(ldftn.Operand is MethodDefinition method) || method.HasGenericParameters || method.DeclaringType.HasGenericParameters)
            {
                return null;
            }

            if (method.IsStatic && target.OpCode.Code == Code.Ldnull)
            {
                return new DelegateCache(field, ctor.DeclaringType, method, null);
            }

            if (!method.IsStatic && !method.IsVirtual && target.OpCode.Code == Code.Ldsfld && target.Operand is FieldDefinition singleton
                && singleton.IsStatic && singleton.DeclaringType == method.DeclaringType && singleton.FieldType.FullName == method.DeclaringType.FullName)
            {
                return new DelegateCache(field, ctor.DeclaringType, method, singleton);
            }

            return null;
        }

        /// <summary>Records whether every store to a static field is <c>newobj &lt;its type&gt;::.ctor(); stsfld</c> in its type's .cctor.</summary>
        private static void NoteSingletonStore(Dictionary<FieldDefinition, bool> stores, MethodDefinition method, IList<Instruction> code, int store, FieldDefinition field)
        {
            bool ok = method.IsConstructor && method.IsStatic && method.DeclaringType == field.DeclaringType && store > 0
                && code[store - 1].OpCode.Code == Code.Newobj && code[store - 1].Operand is MethodReference ctor
                && ctor.DeclaringType.FullName == field.DeclaringType.FullName && ctor.Parameters.Count == 0;
            stores[field] = (!stores.TryGetValue(field, out bool earlier) || earlier) && ok;
        }

        /// <summary>A private field, or a field of a type nested privately somewhere: other assemblies cannot store to it.</summary>
        private static bool IsPrivateToAssembly(FieldDefinition field)
        {
            if (field.IsPrivate)
            {
                return true;
            }

            for (var type = field.DeclaringType; type != null; type = type.DeclaringType)
            {
                if (type.IsNestedPrivate)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
