using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using Pgo.Build.CallGraph;
using Pgo.Build.Metadata;
using Pgo.Build.Naming;
using Pgo.Build.RuntimePgo;

namespace Pgo.Build.Mibc
{
    /// <summary>What the sampled-edge fallback found, for the summary line and tests.</summary>
    public sealed record SampledDevirtReport(int Edges, int Histograms, int Ambiguous)
    {
        public override string ToString() => string.Format(CultureInfo.InvariantCulture,
            "{0:N0} receiver-type histograms from {1:N0} sampled call edges to overrides ({2:N0} edges skipped: more than one call site could take them)",
            Histograms, Edges, Ambiguous);
    }

    /// <summary>
    /// Go's PGO devirtualization for profiles without the runtime's own data (every producer but <c>pgo record</c>):
    /// a hot sampled edge from a method of this assembly to an override defined here says that the caller's
    /// virtual or interface call of that method received the override's type. The edge is placed on a call site
    /// of the caller only when exactly one fits (same method name, a declaring type the override's type derives
    /// from or implements, and the call line when the profile has lines); the weights become a receiver-type
    /// histogram (<c>HandleHistogramIntCount</c> + <c>HandleHistogramTypes</c>) at that IL offset, the records the
    /// runtime itself would have written. Methods the profile has runtime data for are left to that exact data.
    /// </summary>
    public static class SampledReceiverTypes
    {
        /// <summary>Slots of the runtime's class histogram; the sampled weights are scaled to it.</summary>
        public const int Slots = 32;

        private const long ClassFlag = 0x80000000L;
        private const long InterfaceFlag = 0x20000000L;

        public static (IReadOnlyList<RuntimeRecord> Records, SampledDevirtReport Report) Derive(
            AssemblySymbols assembly, IReadOnlyList<CallEdge> edges, ISet<string> methodsWithRuntimeData)
        {
            var byKey = MethodKeys.Of(assembly);

            var check = new ReceiverCheck(assembly);
            var sites = new SortedDictionary<(string Method, int IlOffset), SiteData>();
            int used = 0, ambiguous = 0;
            foreach (var edge in edges)
            {
                // (A method an IL rewrite moved always has runtime data: its records are in the compiler's offsets, these would not be.)
                var callers = Lookup(byKey, edge.Caller).Where(m => !methodsWithRuntimeData.Contains(m.SystemName) && m.Moves == null).ToList();
                var overrides = Lookup(byKey, edge.Callee).Where(m => IsConcreteOverride(assembly, m)).ToList();
                if (callers.Count == 0 || overrides.Count == 0)
                {
                    continue;
                }

                var candidates = new List<(MethodSymbol Caller, int IlOffset, TypeDefinitionHandle Declaring, TypeDefinitionHandle Receiver, MethodSymbol Override)>();
                foreach (var caller in callers)
                {
                    foreach (var call in check.VirtualCalls(caller.Token))
                    {
                        if (edge.Offset.HasValue && caller.StartLine > 0 && caller.LineAt(call.IlOffset) - caller.StartLine != edge.Offset.Value)
                        {
                            continue;
                        }

                        foreach (var target in overrides)
                        {
                            var receiver = check.Type(target.TypeFullName);
                            if (receiver != null && call.Name == target.MethodName && check.Fits(receiver.Value, call.Declaring))
                            {
                                candidates.Add((caller, call.IlOffset, call.Declaring, receiver.Value, target));
                            }
                        }
                    }
                }

                var distinctSites = candidates.Select(c => (c.Caller.SystemName, c.IlOffset)).Distinct().Count();
                if (distinctSites != 1 || candidates.Select(c => c.Receiver).Distinct().Count() != 1)
                {
                    if (candidates.Count > 0)
                    {
                        ambiguous++;
                    }

                    continue;
                }

                var only = candidates[0];
                var siteKey = (only.Caller.SystemName, only.IlOffset);
                if (!sites.TryGetValue(siteKey, out var site))
                {
                    sites.Add(siteKey, site = new SiteData(only.Caller, check.IsInterface(only.Declaring)));
                }

                string handle = only.Override.TypeFullName + ", " + assembly.AssemblyName;
                site.Weights[handle] = Profiles.Saturating.Add(site.Weights.TryGetValue(handle, out long w) ? w : 0, edge.Weight);
                used++;
            }

            var records = new List<RuntimeRecord>();
            foreach (var kv in sites)
            {
                records.AddRange(Histogram(kv.Value, kv.Key.IlOffset));
            }

            return (records, new SampledDevirtReport(used, sites.Count, ambiguous));
        }

        private static IEnumerable<MethodSymbol> Lookup(Dictionary<string, List<MethodSymbol>> byKey, string frameName)
        {
            string? key = FrameNames.Parse(frameName)?.Key;
            return key != null && byKey.TryGetValue(key, out var list) ? list : Enumerable.Empty<MethodSymbol>();
        }

        private static bool IsConcreteOverride(AssemblySymbols assembly, MethodSymbol method)
        {
            var definition = assembly.Reader.GetMethodDefinition((MethodDefinitionHandle)System.Reflection.Metadata.Ecma335.MetadataTokens.EntityHandle(method.Token));
            var attributes = definition.Attributes;
            var type = assembly.Reader.GetTypeDefinition(definition.GetDeclaringType());
            return (attributes & MethodAttributes.Virtual) != 0 && (attributes & MethodAttributes.Abstract) == 0 &&
                (type.Attributes & (TypeAttributes.Abstract | TypeAttributes.Interface)) == 0 &&
                type.GetGenericParameters().Count == 0;
        }

        /// <summary>The count record and the type table of one call site, weights scaled to <see cref="Slots"/> slots.</summary>
        private static IEnumerable<RuntimeRecord> Histogram(SiteData site, int ilOffset)
        {
            long total = Profiles.Saturating.Sum(site.Weights.Values);
            long other = site.IsInterface ? InterfaceFlag : ClassFlag;
            var caller = site.Caller;
            int line = caller.LineAt(ilOffset);
            RuntimeRecord Record(int kind, string handle, long value) => new RuntimeRecord(
                caller.SystemName, caller.Name, caller.IlSize, caller.IlHash, 0, "", caller.StartLine, line, kind, ilOffset, other, 0, handle, value);

            var slots = site.Weights
                .Select(kv => (Handle: kv.Key, Slots: Math.Max(1L, (long)Math.Round((double)Slots * kv.Value / total))))
                .OrderByDescending(x => x.Slots).ThenBy(x => x.Handle, StringComparer.Ordinal).ToList();
            yield return Record(InstrumentationKind.HandleHistogramIntCount, "", Profiles.Saturating.Sum(slots.Select(x => x.Slots)));
            foreach (var (handle, count) in slots)
            {
                yield return Record(InstrumentationKind.HandleHistogramTypes, handle, count);
            }
        }

        private sealed class SiteData
        {
            public SiteData(MethodSymbol caller, bool isInterface)
            {
                Caller = caller;
                IsInterface = isInterface;
            }

            public MethodSymbol Caller { get; }
            public bool IsInterface { get; }
            public SortedDictionary<string, long> Weights { get; } = new SortedDictionary<string, long>(StringComparer.Ordinal);
        }
    }
}
