using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Mono.Cecil;
using Mono.Cecil.Cil;
using Pgo.Build.CallGraph;
using Pgo.Build.Metadata;
using Pgo.Build.Mibc;
using Pgo.Build.Profiles;
using Pgo.Build.RuntimePgo;

namespace Pgo.Build.Rewriting
{
    /// <summary>Where a guarded target came from (the build line counts each).</summary>
    public enum DelegateTargetSource
    {
        /// <summary>Named in the runtime's delegate-target histogram at the call.</summary>
        Runtime,

        /// <summary>A sampled call edge from the caller, at the call's line, to the target.</summary>
        Sampled,

        /// <summary>
        /// A static method group of exactly the site's delegate type: the runtime counts calls of static-method
        /// delegates without naming their target, so a site whose histogram is mostly unnamed guesses them.
        /// </summary>
        StaticMethodGroup,
    }

    /// <summary>One target a site's guard tests for, with every cache that can hold a delegate of it.</summary>
    internal sealed class PlannedTarget
    {
        public PlannedTarget(MethodDefinition method, IReadOnlyList<DelegateCache> caches, DelegateTargetSource source, long weight)
        {
            Method = method;
            Caches = caches;
            Source = source;
            Weight = weight;
        }

        public MethodDefinition Method { get; }
        public IReadOnlyList<DelegateCache> Caches { get; }
        public DelegateTargetSource Source { get; }
        public long Weight { get; }
    }

    /// <summary>A delegate <c>Invoke</c> call the rewrite guards, and the targets it tests for, likeliest first.</summary>
    internal sealed class PlannedSite
    {
        public PlannedSite(MethodDefinition method, Instruction call, IReadOnlyList<PlannedTarget> targets)
        {
            Method = method;
            Call = call;
            Targets = targets;
        }

        public MethodDefinition Method { get; }
        public Instruction Call { get; }
        public MethodReference Invoke => (MethodReference)Call.Operand;
        public IReadOnlyList<PlannedTarget> Targets { get; }

        public string Describe() => string.Format(CultureInfo.InvariantCulture, "{0} IL_{1:x4}: {2}",
            DelegateNames.Method(Method), Call.Offset, string.Join(", ", Targets.Select(t => DelegateNames.Method(t.Method) + " (" + t.Source.ToString().ToLowerInvariant() + ")")));
    }

    /// <summary>What the planner saw, for the build line and <c>pgo top --project</c>.</summary>
    public sealed class DelegatePlanReport
    {
        /// <summary>Delegate calls with recorded targets or sampled edges (candidates).</summary>
        public int Sites { get; set; }

        /// <summary>Targets left out: captured variables (closures), instance method groups, generic code, other assemblies.</summary>
        public int Uncached { get; set; }

        /// <summary>Recorded targets under <see cref="DelegateSitePlanner.MinShare"/> of their site.</summary>
        public int Rare { get; set; }

        /// <summary>Closures under <see cref="DelegateSitePlanner.MinClosureShare"/> of their site.</summary>
        public int RareClosures { get; set; }

        /// <summary>Targets whose guard the call site could not reach (private nesting) or types it cannot pass.</summary>
        public int Unreachable { get; set; }
    }

    /// <summary>
    /// Go's devirtualization of hot function-value calls for delegates: which <c>Invoke</c> calls of the assembly get a
    /// guard and for which targets. Inputs are the runtime's delegate-target histograms (<c>devirt-hints.txt</c>, exact
    /// IL offsets while the method's IL is unchanged, the call line otherwise), the sampled call edges
    /// (<c>inline-hints.txt</c>: a caller, the call's line, a callee that is a delegate target) and the assembly's
    /// delegate caches (<see cref="DelegateCaches"/>): only targets with a cache can be guarded soundly.
    /// </summary>
    internal static class DelegateSitePlanner
    {
        /// <summary>Smallest share of a site's recorded calls a named target needs to get a guard.</summary>
        public const double MinShare = 0.10;

        /// <summary>
        /// Smallest share of a site's recorded calls a closure needs: its test reads the delegate's <c>Target</c> (a call
        /// in NativeAOT, measured at about a hundred instructions), paid by every call that is not the closure.
        /// </summary>
        public const double MinClosureShare = 0.90;

        /// <summary>Share of unnamed calls above which a site guesses the static method groups of its delegate type.</summary>
        public const double UnnamedShare = 0.25;

        /// <summary>Most targets tested at one site (each failed test costs a load and a compare).</summary>
        public const int MaxTargets = 4;

        /// <summary>Most static method groups guessed at one site.</summary>
        public const int MaxGuesses = 2;

        /// <summary>The runtime's flag in a histogram's <c>Other</c> for delegate calls (corjit.h: DELEGATE_FLAG).</summary>
        public const long DelegateFlag = 0x20000000L;

        public static IReadOnlyList<PlannedSite> Plan(
            ModuleDefinition module,
            AssemblySymbols symbols,
            IReadOnlyList<RuntimeRecord> records,
            IReadOnlyList<CallEdge> edges,
            DelegateCachesIndex caches,
            DelegatePlanReport report)
        {
            var collected = new Dictionary<Instruction, SiteEvidence>();
            CollectRecorded(module, symbols, records, collected);
            CollectSampled(module, symbols, edges, caches, collected);

            var sites = new List<PlannedSite>();
            foreach (var evidence in collected.Values.OrderBy(e => DelegateNames.Method(e.Method), StringComparer.Ordinal).ThenBy(e => e.Call.Offset))
            {
                report.Sites++;
                var targets = Choose(evidence, caches, report);
                if (targets.Count > 0)
                {
                    sites.Add(new PlannedSite(evidence.Method, evidence.Call, targets));
                }
            }

            return sites;
        }

        /// <summary>A <c>callvirt D::Invoke</c> that is not a tail call: a candidate site.</summary>
        public static bool IsInvoke(Instruction ins) =>
            ins.OpCode.Code == Code.Callvirt && ins.Operand is MethodReference m && m.Name == "Invoke" && m.HasThis
            && !(ins.Previous != null && ins.Previous.OpCode.Code == Code.Tail);

        private static void CollectRecorded(ModuleDefinition module, AssemblySymbols symbols, IReadOnlyList<RuntimeRecord> records, Dictionary<Instruction, SiteEvidence> collected)
        {
            string prefix = symbols.AssemblyName + "!";
            var bySystemName = new Dictionary<string, MethodSymbol>(StringComparer.Ordinal);
            foreach (var m in symbols.Methods())
            {
                bySystemName[m.SystemName] = m;
            }

            var typesByRuntimeName = new Lazy<Dictionary<string, TypeDefinition>>(() => DelegateCaches.AllTypes(module)
                .GroupBy(t => DelegateNames.RuntimeName(t), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal));
            var delegateRecords = records.Where(r => r.Method.StartsWith(prefix, StringComparison.Ordinal) && (r.Other & DelegateFlag) != 0
                && (r.Kind == InstrumentationKind.HandleHistogramIntCount || r.Kind == InstrumentationKind.HandleHistogramLongCount || r.Kind == InstrumentationKind.HandleHistogramMethods));
            foreach (var group in delegateRecords.GroupBy(r => (r.Method, r.IlHash, r.IlOffset)))
            {
                if (!bySystemName.TryGetValue(group.Key.Method, out var symbol) || !(module.LookupToken(symbol.Token) is MethodDefinition method) || !method.HasBody)
                {
                    continue;
                }

                var first = group.First();
                var call = first.IlHash == symbol.IlHash && first.IlSize == symbol.IlSize
                    ? method.Body.Instructions.FirstOrDefault(i => i.Offset == group.Key.IlOffset)
                    : ByLine(method, symbol, first);
                if (call == null || !IsInvoke(call))
                {
                    continue;
                }

                var evidence = Evidence(collected, method, call);
                foreach (var r in group)
                {
                    if (r.Kind == InstrumentationKind.HandleHistogramMethods)
                    {
                        var target = ResolveHandle(r.Handle, symbols.AssemblyName, typesByRuntimeName, (MethodReference)call.Operand);
                        if (target != null)
                        {
                            evidence.AddRecorded(target, r.Value);
                        }
                        else if (r.Handle.Contains("|@|"))
                        {
                            evidence.UnresolvedRecorded++; // a target of another assembly or of a generic type
                        }
                    }
                    else
                    {
                        evidence.RecordedTotal = Saturating.Add(evidence.RecordedTotal, r.Value);
                    }
                }
            }
        }

        /// <summary>The one delegate call of an edited method on the recorded call's line (relative to the method's start).</summary>
        private static Instruction? ByLine(MethodDefinition method, MethodSymbol symbol, RuntimeRecord record)
        {
            if (symbol.StartLine <= 0 || record.StartLine <= 0 || record.Line <= 0)
            {
                return null;
            }

            long offset = record.Line - record.StartLine;
            var candidates = method.Body.Instructions.Where(i => IsInvoke(i) && symbol.LineAt(i.Offset) - symbol.StartLine == offset).ToList();
            return candidates.Count == 1 ? candidates[0] : null;
        }

        private static void CollectSampled(ModuleDefinition module, AssemblySymbols symbols, IReadOnlyList<CallEdge> edges, DelegateCachesIndex caches, Dictionary<Instruction, SiteEvidence> collected)
        {
            if (edges.Count == 0 || caches.Count == 0)
            {
                return;
            }

            var byKey = MethodKeys.Of(symbols);
            foreach (var edge in edges)
            {
                if (!edge.Offset.HasValue || !byKey.TryGetValue(edge.Caller, out var callers) || !byKey.TryGetValue(edge.Callee, out var callees))
                {
                    continue;
                }

                var targets = callees.Select(c => module.LookupToken(c.Token) as MethodDefinition).Where(m => m != null && caches.For(m).Count > 0).ToList();
                if (targets.Count != 1)
                {
                    continue; // not a delegate target, or overloads the edge cannot tell apart
                }

                var sites = new List<(MethodDefinition Method, Instruction Call)>();
                foreach (var caller in callers)
                {
                    if (caller.StartLine <= 0 || !(module.LookupToken(caller.Token) is MethodDefinition method) || !method.HasBody)
                    {
                        continue;
                    }

                    foreach (var ins in method.Body.Instructions)
                    {
                        if (IsInvoke(ins) && caller.LineAt(ins.Offset) - caller.StartLine == edge.Offset.Value
                            && caches.For(targets[0]!).Any(c => DelegateGuardTypes.Convert((MethodReference)ins.Operand, c) != null))
                        {
                            sites.Add((method, ins));
                        }
                    }
                }

                if (sites.Count == 1)
                {
                    Evidence(collected, sites[0].Method, sites[0].Call).AddSampled(targets[0]!, edge.Weight);
                }
            }
        }

        private static List<PlannedTarget> Choose(SiteEvidence evidence, DelegateCachesIndex caches, DelegatePlanReport report)
        {
            var invoke = (MethodReference)evidence.Call.Operand;
            var chosen = new List<PlannedTarget>();
            var taken = new HashSet<MethodDefinition>();

            void Take(MethodDefinition target, DelegateTargetSource source, long weight, double share)
            {
                if (chosen.Count >= MaxTargets || !taken.Add(target))
                {
                    return;
                }

                var usable = caches.For(target).Where(c => DelegateGuardTypes.Convert(invoke, c) != null && DelegateGuardTypes.CanHost(c, evidence.Method.DeclaringType)
                    && (c.Closure == null || share >= MinClosureShare)).ToList();
                if (usable.Count == 0)
                {
                    if (caches.For(target).Count == 0)
                    {
                        report.Uncached++;
                    }
                    else if (caches.For(target).All(c => c.Closure != null) && share < MinClosureShare)
                    {
                        report.RareClosures++;
                    }
                    else
                    {
                        report.Unreachable++;
                    }

                    return;
                }

                chosen.Add(new PlannedTarget(target, usable, source, weight));
            }

            long total = Math.Max(evidence.RecordedTotal, Saturating.Sum(evidence.Recorded.Values));
            foreach (var kv in evidence.Recorded.OrderByDescending(kv => kv.Value).ThenBy(kv => DelegateNames.Method(kv.Key), StringComparer.Ordinal))
            {
                if (total > 0 && kv.Value < MinShare * total)
                {
                    report.Rare++;
                    continue;
                }

                Take(kv.Key, DelegateTargetSource.Runtime, kv.Value, total > 0 ? (double)kv.Value / total : 0);
            }

            report.Uncached += evidence.UnresolvedRecorded;
            foreach (var kv in evidence.Sampled.OrderByDescending(kv => kv.Value).ThenBy(kv => DelegateNames.Method(kv.Key), StringComparer.Ordinal))
            {
                Take(kv.Key, DelegateTargetSource.Sampled, kv.Value, 0);
            }

            long named = Saturating.Sum(evidence.Recorded.Values);
            if (total > 0 && total - named >= UnnamedShare * total)
            {
                var groups = caches.StaticMethodGroupsFor(invoke).Where(m => !taken.Contains(m)).ToList();
                if (groups.Count <= MaxGuesses)
                {
                    foreach (var m in groups)
                    {
                        Take(m, DelegateTargetSource.StaticMethodGroup, 0, 0);
                    }
                }
            }

            return chosen;
        }

        /// <summary>
        /// <c>name|@|Ns.Type+Nested, Assembly, ...</c>: a method of a non-generic type of this assembly; among overloads
        /// the one whose parameter count fits the delegate.
        /// </summary>
        private static MethodDefinition? ResolveHandle(string handle, string assemblyName, Lazy<Dictionary<string, TypeDefinition>> types, MethodReference invoke)
        {
            int at = handle.IndexOf("|@|", StringComparison.Ordinal);
            if (at <= 0)
            {
                return null;
            }

            string name = handle.Substring(0, at);
            string qualified = handle.Substring(at + 3);
            if (!string.Equals(RuntimeHandles.AssemblyPart(qualified), assemblyName, StringComparison.Ordinal)
                || !types.Value.TryGetValue(RuntimeHandles.TypePart(qualified), out var type))
            {
                return null;
            }

            var methods = type.Methods.Where(m => m.Name == name && m.Parameters.Count == invoke.Parameters.Count && !m.HasGenericParameters).ToList();
            return methods.Count == 1 ? methods[0] : null;
        }

        private static SiteEvidence Evidence(Dictionary<Instruction, SiteEvidence> collected, MethodDefinition method, Instruction call)
        {
            if (!collected.TryGetValue(call, out var evidence))
            {
                collected.Add(call, evidence = new SiteEvidence(method, call));
            }

            return evidence;
        }

        private sealed class SiteEvidence
        {
            public SiteEvidence(MethodDefinition method, Instruction call)
            {
                Method = method;
                Call = call;
            }

            public MethodDefinition Method { get; }
            public Instruction Call { get; }
            public Dictionary<MethodDefinition, long> Recorded { get; } = new Dictionary<MethodDefinition, long>();
            public Dictionary<MethodDefinition, long> Sampled { get; } = new Dictionary<MethodDefinition, long>();
            public long RecordedTotal { get; set; }
            public int UnresolvedRecorded { get; set; }

            public void AddRecorded(MethodDefinition target, long value) =>
                Recorded[target] = Saturating.Add(Recorded.TryGetValue(target, out long v) ? v : 0, value);

            public void AddSampled(MethodDefinition target, long value) =>
                Sampled[target] = Saturating.Add(Sampled.TryGetValue(target, out long v) ? v : 0, value);
        }
    }

    /// <summary>The module's delegate caches by target method and by delegate type.</summary>
    internal sealed class DelegateCachesIndex
    {
        private static readonly IReadOnlyList<DelegateCache> None = Array.Empty<DelegateCache>();
        private readonly Dictionary<MethodDefinition, List<DelegateCache>> _byTarget = new Dictionary<MethodDefinition, List<DelegateCache>>();

        public DelegateCachesIndex(IReadOnlyList<DelegateCache> caches)
        {
            All = caches;
            foreach (var c in caches)
            {
                if (!_byTarget.TryGetValue(c.Target, out var list))
                {
                    _byTarget.Add(c.Target, list = new List<DelegateCache>());
                }

                list.Add(c);
            }
        }

        public IReadOnlyList<DelegateCache> All { get; }

        public int Count => All.Count;

        public IReadOnlyList<DelegateCache> For(MethodDefinition? target) => target != null && _byTarget.TryGetValue(target, out var list) ? list : None;

        /// <summary>Static methods cached as delegates that a call of <paramref name="invoke"/> can receive, in a stable order.</summary>
        public IReadOnlyList<MethodDefinition> StaticMethodGroupsFor(MethodReference invoke) => All
            .Where(c => c.Field != null && c.Target.IsStatic && DelegateGuardTypes.Convert(invoke, c) != null)
            .Select(c => c.Target).Distinct().OrderBy(DelegateNames.Method, StringComparer.Ordinal).ToList();
    }

    /// <summary>Names as the build line and the runtime print them.</summary>
    internal static class DelegateNames
    {
        /// <summary><c>Ns.Outer+Inner</c>: the runtime's spelling of a type definition's name.</summary>
        public static string RuntimeName(TypeDefinition type) => type.FullName.Replace('/', '+');

        public static string Method(MethodDefinition method) => RuntimeName(method.DeclaringType) + "." + method.Name;
    }
}
