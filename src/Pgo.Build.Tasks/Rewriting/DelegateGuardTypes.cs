using System;
using System.Collections.Generic;
using Mono.Cecil;

namespace Pgo.Build.Rewriting
{
    /// <summary>How a guard hands one value between the delegate's signature at the site and the target's.</summary>
    internal enum GuardPass
    {
        /// <summary>The same type, or references the delegate's variance allows: passed as is.</summary>
        Direct,

        /// <summary>
        /// A generic parameter (or a type built on one) at the site, a value type at the target: <c>box S; unbox.any P</c>,
        /// behind the test <c>typeof(S) == typeof(P)</c>, which the JIT folds per instantiation (no box is left).
        /// </summary>
        ValueType,

        /// <summary>A generic parameter at the site, a reference type at the target: passed as is, behind <c>!typeof(S).IsValueType</c>.</summary>
        Reference,
    }

    /// <summary>The conversions one (site, cache) pair needs, with the site's types in the site's generic context.</summary>
    internal sealed class GuardShape
    {
        public GuardShape(TypeReference[] siteParameters, GuardPass[] parameters, TypeReference siteReturn, GuardPass returns)
        {
            SiteParameters = siteParameters;
            Parameters = parameters;
            SiteReturn = siteReturn;
            Return = returns;
        }

        public TypeReference[] SiteParameters { get; }
        public GuardPass[] Parameters { get; }
        public TypeReference SiteReturn { get; }
        public GuardPass Return { get; }
    }

    /// <summary>Type rules of the guards: which cached delegates a site can hold, and where a guard may live.</summary>
    internal static class DelegateGuardTypes
    {
        /// <summary>
        /// Whether a delegate from <paramref name="cache"/> can arrive at a call of <paramref name="invoke"/> and how its
        /// target is called in its place; null when it cannot, or the types are beyond what a guard can pass soundly.
        /// </summary>
        public static GuardShape? Convert(MethodReference invoke, DelegateCache cache)
        {
            var site = invoke.DeclaringType;
            var cached = cache.DelegateType;
            if (site.GetElementType().FullName != cached.GetElementType().FullName || invoke.Parameters.Count != cache.Target.Parameters.Count)
            {
                return null;
            }

            if (site is GenericInstanceType siteArgs)
            {
                if (!(cached is GenericInstanceType cachedArgs) || cachedArgs.GenericArguments.Count != siteArgs.GenericArguments.Count)
                {
                    return null;
                }

                for (int i = 0; i < siteArgs.GenericArguments.Count; i++)
                {
                    var s = siteArgs.GenericArguments[i];
                    var c = cachedArgs.GenericArguments[i];
                    if (s.FullName != c.FullName && !s.ContainsGenericParameter && (s.IsValueType || c.IsValueType))
                    {
                        return null; // only reference types vary
                    }
                }
            }

            try
            {
                var parameters = new TypeReference[invoke.Parameters.Count];
                var passes = new GuardPass[parameters.Length];
                for (int i = 0; i < parameters.Length; i++)
                {
                    parameters[i] = Substitute(invoke.Parameters[i].ParameterType, site);
                    var pass = Pass(parameters[i], cache.Target.Parameters[i].ParameterType);
                    if (pass == null)
                    {
                        return null;
                    }

                    passes[i] = pass.Value;
                }

                var siteReturn = Substitute(invoke.ReturnType, site);
                var returns = Pass(siteReturn, cache.Target.ReturnType);
                return returns == null ? null : new GuardShape(parameters, passes, siteReturn, returns.Value);
            }
            catch (NotSupportedException)
            {
                return null;
            }
        }

        /// <summary>The type a cache's guard is nested in: the type whose code made the delegate (it can see the target).</summary>
        public static TypeDefinition? Host(DelegateCache cache)
        {
            var host = cache.Field != null ? cache.Field.DeclaringType.DeclaringType : cache.Closure!.DeclaringType;
            return host == null || host.HasGenericParameters ? null : host;
        }

        /// <summary>Whether code in <paramref name="from"/> can call a guard nested in the cache's host.</summary>
        public static bool CanHost(DelegateCache cache, TypeDefinition from)
        {
            var host = Host(cache);
            return host != null && CanReach(host, from);
        }

        /// <summary>
        /// Whether code in <paramref name="from"/> may name <paramref name="type"/> (the runtime's rule for nested types:
        /// a private, family or family-and-assembly nested type is reachable only from inside its enclosing type).
        /// </summary>
        public static bool CanReach(TypeDefinition type, TypeDefinition from)
        {
            for (var current = type; current.DeclaringType != null; current = current.DeclaringType)
            {
                if (current.IsNestedPublic || current.IsNestedAssembly || current.IsNestedFamilyOrAssembly)
                {
                    continue;
                }

                if (!IsWithin(from, current.DeclaringType))
                {
                    return false;
                }
            }

            return true;
        }

        public static bool IsWithin(TypeDefinition type, TypeDefinition outer)
        {
            for (var current = type; current != null; current = current.DeclaringType)
            {
                if (current == outer)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>A delegate signature type with the delegate type's own parameters (<c>!0</c>) replaced by its arguments at the site.</summary>
        public static TypeReference Substitute(TypeReference type, TypeReference delegateType) =>
            Map(type, gp => gp.Type == GenericParameterType.Type && delegateType is GenericInstanceType git && gp.Position < git.GenericArguments.Count
                ? git.GenericArguments[gp.Position]
                : throw new NotSupportedException("generic parameter " + gp.FullName + " outside the delegate's arguments"));

        /// <summary>Rebuilds a type with every generic parameter mapped (composite types rebuilt, others returned as they are).</summary>
        public static TypeReference Map(TypeReference type, Func<GenericParameter, TypeReference> map)
        {
            switch (type)
            {
                case GenericParameter gp:
                    return map(gp);
                case GenericInstanceType git:
                {
                    var result = new GenericInstanceType(git.ElementType);
                    foreach (var argument in git.GenericArguments)
                    {
                        result.GenericArguments.Add(Map(argument, map));
                    }

                    return result;
                }

                case ArrayType array:
                    return array.IsVector ? new ArrayType(Map(array.ElementType, map)) : new ArrayType(Map(array.ElementType, map), array.Rank);
                case ByReferenceType byRef:
                    return new ByReferenceType(Map(byRef.ElementType, map));
                case PointerType pointer:
                    return new PointerType(Map(pointer.ElementType, map));
                case RequiredModifierType modreq:
                    return new RequiredModifierType(modreq.ModifierType, Map(modreq.ElementType, map));
                case OptionalModifierType modopt:
                    return new OptionalModifierType(modopt.ModifierType, Map(modopt.ElementType, map));
                case TypeSpecification other when other.ContainsGenericParameter:
                    throw new NotSupportedException("type " + other.FullName);
                default:
                    return type;
            }
        }

        /// <summary>How a value of the site's type <paramref name="site"/> reaches the target's <paramref name="target"/> (or back, for returns).</summary>
        private static GuardPass? Pass(TypeReference site, TypeReference target)
        {
            if (site.FullName == target.FullName)
            {
                return GuardPass.Direct;
            }

            if (site.IsByReference || target.IsByReference || site.IsPointer || target.IsPointer || site.IsFunctionPointer || target.IsFunctionPointer
                || site.MetadataType == MetadataType.Void || target.MetadataType == MetadataType.Void || target.ContainsGenericParameter)
            {
                return null;
            }

            if (site.ContainsGenericParameter)
            {
                if (target.IsValueType)
                {
                    return GuardPass.ValueType;
                }

                return site is GenericParameter ? GuardPass.Reference : GuardPass.Direct;
            }

            return site.IsValueType || target.IsValueType ? (GuardPass?)null : GuardPass.Direct;
        }
    }
}
