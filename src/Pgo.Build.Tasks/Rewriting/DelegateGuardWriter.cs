using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Pgo.Build.Rewriting
{
    /// <summary>
    /// Emits the guards of planned delegate calls. A site <c>callvirt D::Invoke</c> becomes <c>call Guard</c> (the same
    /// five bytes: no IL offset of the method moves, so its recorded block counts and histograms still apply), where
    /// <c>Guard</c> is a static method, <c>AggressiveInlining</c>, of a nested type <c>&lt;PgoDelegateGuards&gt;</c> in the
    /// type that made the delegate (so it may read the compiler's cache field and call the target, whatever their
    /// accessibility):
    /// <code>
    /// static R Guard(D d, A1 a1, ...) {
    ///     if (d != null) {
    ///         if (d == Cache1) return Target1(a1, ...);   // reference equality: the cache only ever holds this binding
    ///         ...
    ///     }
    ///     return d.Invoke(a1, ...);                       // or the next host's guard
    /// }
    /// </code>
    /// A null delegate, a multicast one, one from <c>Delegate.CreateDelegate</c>, a closure, or a site whose target
    /// changed all fail every test and take the original call. A closure is tested by its target object's exact type
    /// (<see cref="DelegateCaches.FindClosures"/>). In generic code each test is preceded by type tests
    /// the JIT folds per instantiation (<see cref="GuardPass"/>).
    /// </summary>
    internal sealed class DelegateGuardWriter
    {
        public const string GuardTypeName = Metadata.IlFingerprint.DelegateGuardTypeName;

        private readonly ModuleDefinition _module;
        private readonly Dictionary<TypeDefinition, TypeDefinition> _guardTypes = new Dictionary<TypeDefinition, TypeDefinition>();
        private readonly MethodReference _getTypeFromHandle;
        private readonly MethodReference _typeEquality;
        private readonly MethodReference _isValueType;
        private readonly MethodReference _hasSingleTarget;
        private readonly MethodReference _target;
        private readonly MethodReference _getType;
        private readonly List<MethodReference> _attributes = new List<MethodReference>();

        public DelegateGuardWriter(ModuleDefinition module)
        {
            _module = module;
            var scope = module.TypeSystem.CoreLibrary;
            var type = new TypeReference("System", "Type", module, scope);
            var handle = new TypeReference("System", "RuntimeTypeHandle", module, scope, valueType: true);
            _getTypeFromHandle = Method(type, "GetTypeFromHandle", type, hasThis: false, handle);
            _typeEquality = Method(type, "op_Equality", module.TypeSystem.Boolean, hasThis: false, type, type);
            _isValueType = Method(type, "get_IsValueType", module.TypeSystem.Boolean, hasThis: true);
            var @delegate = new TypeReference("System", "Delegate", module, scope);
            _hasSingleTarget = Method(@delegate, "get_HasSingleTarget", module.TypeSystem.Boolean, hasThis: true);
            _target = Method(@delegate, "get_Target", module.TypeSystem.Object, hasThis: true);
            _getType = Method(module.TypeSystem.Object, "GetType", type, hasThis: true);
            _attributes.Add(Method(new TypeReference("System.Runtime.CompilerServices", "CompilerGeneratedAttribute", module, scope), ".ctor", module.TypeSystem.Void, hasThis: true));
            _attributes.Add(Method(new TypeReference("System.Diagnostics", "DebuggerHiddenAttribute", module, scope), ".ctor", module.TypeSystem.Void, hasThis: true));
            if (FrameworkMajor(module) >= 6)
            {
                _attributes.Add(Method(new TypeReference("System.Diagnostics", "StackTraceHiddenAttribute", module, scope), ".ctor", module.TypeSystem.Void, hasThis: true));
            }
        }

        /// <summary>The attributes every added method carries: CompilerGenerated, DebuggerHidden, StackTraceHidden (.NET 6 on).</summary>
        public IReadOnlyList<MethodReference> Attributes => _attributes;

        /// <summary>
        /// Closures are recognised through <c>Delegate.HasSingleTarget</c> (public from .NET 9 on): an assembly for an
        /// older framework gets guards for cached delegates only.
        /// </summary>
        public static bool SupportsClosures(ModuleDefinition module) => FrameworkMajor(module) >= 9;

        /// <summary>Guards one site; false (and nothing changed) when no target's guard is reachable from it.</summary>
        public bool Rewrite(PlannedSite site)
        {
            var invoke = site.Invoke;
            var caller = site.Method.DeclaringType;

            // One guard per host type, in the order of their likeliest targets; each must be reachable from the site and
            // from the guards before it.
            var groups = new List<(TypeDefinition Host, List<(DelegateCache Cache, GuardShape Shape)> Checks)>();
            foreach (var target in site.Targets)
            {
                foreach (var cache in target.Caches)
                {
                    var host = DelegateGuardTypes.Host(cache);
                    var shape = DelegateGuardTypes.Convert(invoke, cache);
                    if (host == null || shape == null)
                    {
                        continue;
                    }

                    var group = groups.FirstOrDefault(g => g.Host == host);
                    if (group.Host == null)
                    {
                        bool reachable = DelegateGuardTypes.CanReach(host, caller) && groups.All(g => DelegateGuardTypes.CanReach(host, g.Host));
                        if (!reachable)
                        {
                            continue;
                        }

                        group = (host, new List<(DelegateCache, GuardShape)>());
                        groups.Add(group);
                    }

                    group.Checks.Add((cache, shape));
                }
            }

            if (groups.Count == 0)
            {
                return false;
            }

            int typeParameters = caller.GenericParameters.Count;
            var context = caller.GenericParameters.Concat(site.Method.GenericParameters).Cast<TypeReference>().ToList();
            MethodDefinition? next = null;
            for (int g = groups.Count - 1; g >= 0; g--)
            {
                next = Guard(groups[g].Host, site, groups[g].Checks, next, context.Count, typeParameters);
            }

            site.Call.OpCode = OpCodes.Call;
            site.Call.Operand = Instantiate(next!, context);
            return true;
        }

        private MethodDefinition Guard(TypeDefinition host, PlannedSite site, List<(DelegateCache Cache, GuardShape Shape)> checks,
            MethodDefinition? next, int genericCount, int typeParameters)
        {
            var guard = new MethodDefinition(GuardName.Of(site, checks.Select(c => c.Cache.Target)),
                MethodAttributes.Assembly | MethodAttributes.Static | MethodAttributes.HideBySig, _module.TypeSystem.Void)
            {
                ImplAttributes = MethodImplAttributes.IL | MethodImplAttributes.Managed | MethodImplAttributes.AggressiveInlining,
            };
            for (int i = 0; i < genericCount; i++)
            {
                guard.GenericParameters.Add(new GenericParameter("T" + i.ToString(CultureInfo.InvariantCulture), guard));
            }

            var invoke = site.Invoke;
            TypeReference Rebase(TypeReference t) => DelegateGuardTypes.Map(t, gp =>
                guard.GenericParameters[gp.Type == GenericParameterType.Type ? gp.Position : typeParameters + gp.Position]);

            var delegateType = Rebase(invoke.DeclaringType);
            var shape0 = checks[0].Shape;
            var parameters = shape0.SiteParameters.Select(Rebase).ToArray();
            guard.ReturnType = Rebase(shape0.SiteReturn);
            guard.Parameters.Add(new ParameterDefinition("d", ParameterAttributes.None, delegateType));
            for (int i = 0; i < parameters.Length; i++)
            {
                guard.Parameters.Add(new ParameterDefinition("a" + i.ToString(CultureInfo.InvariantCulture), ParameterAttributes.None, parameters[i]));
            }

            foreach (var attribute in _attributes)
            {
                guard.CustomAttributes.Add(new CustomAttribute(attribute));
            }

            var il = guard.Body.GetILProcessor();
            VariableDefinition? closure = null;
            if (checks.Any(c => c.Cache.Closure != null))
            {
                closure = new VariableDefinition(_module.TypeSystem.Object);
                guard.Body.Variables.Add(closure);
                guard.Body.InitLocals = true;
            }

            var slow = il.Create(OpCodes.Ldarg_0);
            il.Append(il.Create(OpCodes.Ldarg_0));
            il.Append(il.Create(OpCodes.Brfalse, slow));
            foreach (var (cache, shape) in checks)
            {
                var skip = il.Create(OpCodes.Nop);
                var tested = new HashSet<string>(StringComparer.Ordinal);
                for (int i = 0; i < parameters.Length; i++)
                {
                    TypeTest(il, shape.Parameters[i], parameters[i], cache.Target.Parameters[i].ParameterType, skip, tested);
                }

                var returned = Rebase(shape.SiteReturn);
                TypeTest(il, shape.Return, returned, cache.Target.ReturnType, skip, tested);
                if (cache.Closure != null)
                {
                    // A single target whose object is exactly the display class: the one method the class makes delegates of.
                    il.Append(il.Create(OpCodes.Ldarg_0));
                    il.Append(il.Create(OpCodes.Callvirt, _hasSingleTarget));
                    il.Append(il.Create(OpCodes.Brfalse, skip));
                    il.Append(il.Create(OpCodes.Ldarg_0));
                    il.Append(il.Create(OpCodes.Callvirt, _target));
                    il.Append(il.Create(OpCodes.Stloc, closure!));
                    il.Append(il.Create(OpCodes.Ldloc, closure!));
                    il.Append(il.Create(OpCodes.Brfalse, skip));
                    il.Append(il.Create(OpCodes.Ldloc, closure!));
                    il.Append(il.Create(OpCodes.Callvirt, _getType));
                    il.Append(il.Create(OpCodes.Ldtoken, cache.Closure));
                    il.Append(il.Create(OpCodes.Call, _getTypeFromHandle));
                    il.Append(il.Create(OpCodes.Call, _typeEquality));
                    il.Append(il.Create(OpCodes.Brfalse, skip));
                    il.Append(il.Create(OpCodes.Ldloc, closure!));
                }
                else
                {
                    il.Append(il.Create(OpCodes.Ldarg_0));
                    il.Append(il.Create(OpCodes.Ldsfld, cache.Field));
                    il.Append(il.Create(OpCodes.Bne_Un, skip));
                    if (cache.Instance != null)
                    {
                        il.Append(il.Create(OpCodes.Ldsfld, cache.Instance));
                    }
                }

                for (int i = 0; i < parameters.Length; i++)
                {
                    il.Append(il.Create(OpCodes.Ldarg, guard.Parameters[i + 1]));
                    if (shape.Parameters[i] == GuardPass.ValueType)
                    {
                        il.Append(il.Create(OpCodes.Box, parameters[i]));
                        il.Append(il.Create(OpCodes.Unbox_Any, cache.Target.Parameters[i].ParameterType));
                    }
                }

                il.Append(il.Create(OpCodes.Call, cache.Target));
                if (shape.Return == GuardPass.ValueType)
                {
                    il.Append(il.Create(OpCodes.Box, cache.Target.ReturnType));
                    il.Append(il.Create(OpCodes.Unbox_Any, returned));
                }

                il.Append(il.Create(OpCodes.Ret));
                il.Append(skip);
            }

            il.Append(slow);
            for (int i = 1; i < guard.Parameters.Count; i++)
            {
                il.Append(il.Create(OpCodes.Ldarg, guard.Parameters[i]));
            }

            if (next == null)
            {
                var call = new MethodReference(invoke.Name, invoke.ReturnType, delegateType) { HasThis = true, CallingConvention = invoke.CallingConvention };
                foreach (var p in invoke.Parameters)
                {
                    call.Parameters.Add(new ParameterDefinition(p.ParameterType));
                }

                il.Append(il.Create(OpCodes.Callvirt, call));
            }
            else
            {
                il.Append(il.Create(OpCodes.Call, Instantiate(next, guard.GenericParameters.Cast<TypeReference>().ToList())));
            }

            il.Append(il.Create(OpCodes.Ret));
            GuardType(host).Methods.Add(guard);
            return guard;
        }

        /// <summary>The JIT-folded type tests a pass needs (each once per check); jumps to <paramref name="skip"/> when they fail.</summary>
        private void TypeTest(ILProcessor il, GuardPass pass, TypeReference site, TypeReference target, Instruction skip, HashSet<string> tested)
        {
            if (pass == GuardPass.Direct || !tested.Add(pass + ":" + site.FullName + ":" + target.FullName))
            {
                return;
            }

            il.Append(il.Create(OpCodes.Ldtoken, site));
            il.Append(il.Create(OpCodes.Call, _getTypeFromHandle));
            if (pass == GuardPass.Reference)
            {
                il.Append(il.Create(OpCodes.Callvirt, _isValueType));
                il.Append(il.Create(OpCodes.Brtrue, skip));
                return;
            }

            il.Append(il.Create(OpCodes.Ldtoken, target));
            il.Append(il.Create(OpCodes.Call, _getTypeFromHandle));
            il.Append(il.Create(OpCodes.Call, _typeEquality));
            il.Append(il.Create(OpCodes.Brfalse, skip));
        }

        private TypeDefinition GuardType(TypeDefinition host)
        {
            if (!_guardTypes.TryGetValue(host, out var type))
            {
                type = new TypeDefinition("", GuardTypeName,
                    TypeAttributes.NestedAssembly | TypeAttributes.Abstract | TypeAttributes.Sealed | TypeAttributes.BeforeFieldInit | TypeAttributes.Class,
                    _module.TypeSystem.Object);
                type.CustomAttributes.Add(new CustomAttribute(_attributes[0]));
                host.NestedTypes.Add(type);
                _guardTypes.Add(host, type);
            }

            return type;
        }

        private static MethodReference Instantiate(MethodDefinition method, IReadOnlyList<TypeReference> arguments)
        {
            if (!method.HasGenericParameters)
            {
                return method;
            }

            var instance = new GenericInstanceMethod(method);
            foreach (var argument in arguments)
            {
                instance.GenericArguments.Add(argument);
            }

            return instance;
        }

        /// <summary>A reference to a method of <paramref name="declaring"/> (the IL consumers' one way to name a framework method).</summary>
        internal static MethodReference Method(TypeReference declaring, string name, TypeReference returns, bool hasThis, params TypeReference[] parameters)
        {
            var method = new MethodReference(name, returns, declaring) { HasThis = hasThis };
            foreach (var p in parameters)
            {
                method.Parameters.Add(new ParameterDefinition(p));
            }

            return method;
        }

        /// <summary>
        /// The .NET version the module targets (0 for .NET Framework, .NET Standard or an unknown target):
        /// <c>StackTraceHiddenAttribute</c> (a guard that was not inlined stays out of stack traces) is public from 6
        /// on, <c>Delegate.HasSingleTarget</c> from 9 on.
        /// </summary>
        private static int FrameworkMajor(ModuleDefinition module)
        {
            var framework = module.Assembly?.CustomAttributes.FirstOrDefault(a => a.AttributeType.FullName == "System.Runtime.Versioning.TargetFrameworkAttribute");
            if (framework == null || framework.ConstructorArguments.Count == 0 || !(framework.ConstructorArguments[0].Value is string name))
            {
                return 0;
            }

            const string prefix = ".NETCoreApp,Version=v";
            return name.StartsWith(prefix, StringComparison.Ordinal) && Version.TryParse(name.Substring(prefix.Length), out var version) ? version.Major : 0;
        }
    }
}
