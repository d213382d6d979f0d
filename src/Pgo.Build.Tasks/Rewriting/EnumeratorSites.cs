using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Mono.Cecil;
using Mono.Cecil.Cil;
using Pgo.Build.Metadata;
using Pgo.Build.Profiles;
using Pgo.Build.RuntimePgo;

namespace Pgo.Build.Rewriting
{
    /// <summary>The collection a <c>foreach</c> over an interface mostly enumerated, by the runtime's receiver types.</summary>
    internal enum EnumeratedKind
    {
        List,
        Array,
    }

    /// <summary>
    /// A <c>foreach</c> over an interface-typed collection as the C# compiler writes it: <c>callvirt
    /// IEnumerable&lt;T&gt;::GetEnumerator</c> into a local <c>e</c>, a loop of <c>e.MoveNext()</c> and <c>e.Current</c>, a
    /// finally that disposes <c>e</c> when it is not null, and no other use of <c>e</c>. Every use of <c>e</c> is a
    /// two-byte <c>ldloc.s</c>/<c>stloc.s</c> (or a four-byte long form), so the rewrite to a value-type enumerator
    /// (<c>ldloca.s</c>, <c>call</c>) keeps every instruction's size and IL offset.
    /// </summary>
    internal sealed class ForeachSite
    {
        public ForeachSite(MethodDefinition method, IReadOnlyList<Instruction> getEnumerators, VariableDefinition enumerator, TypeReference element, IReadOnlyList<Instruction> loads)
        {
            Method = method;
            GetEnumerators = getEnumerators;
            _offsets = string.Join(", ", getEnumerators.Select(i => "IL_" + i.Offset.ToString("x4", CultureInfo.InvariantCulture)));
            Enumerator = enumerator;
            Element = element;
            Loads = loads;
        }

        public MethodDefinition Method { get; }

        /// <summary>
        /// Every <c>GetEnumerator</c> call stored into the enumerator local: one per loop, several when the compiler reused
        /// the local for sequential loops over the same T (all of them enumerate through the value type then).
        /// </summary>
        public IReadOnlyList<Instruction> GetEnumerators { get; }

        /// <summary>How many of the loops had recorded receiver types (or a note of the recorded build's rewrite).</summary>
        public int RecordedLoops { get; set; }

        public VariableDefinition Enumerator { get; }

        /// <summary>T of the site's <c>IEnumerable&lt;T&gt;</c>, in the method's generic context.</summary>
        public TypeReference Element { get; }

        /// <summary>Every <c>ldloc</c> of the enumerator, each followed by its call (or, in the finally, a null test).</summary>
        public IReadOnlyList<Instruction> Loads { get; }

        public EnumeratedKind Kind { get; set; }
        public double Share { get; set; }

        /// <summary>Kept from a recording of a rewritten build (its loop leaves no receiver types).</summary>
        public bool Carried { get; set; }

        /// <summary>
        /// The enumerator is one of the first four locals (<c>ldloc.0-3</c>, one byte): its <c>ldloca.s</c> is a byte
        /// longer, so later IL offsets of the method move (the rewrite marks the method with how: IlMoves).
        /// </summary>
        public bool ShiftsOffsets { get; init; }

        public string Describe() => string.Format(CultureInfo.InvariantCulture, "{0} {1}: {2} ({3})", DelegateNames.Method(Method), _offsets,
            Kind == EnumeratedKind.List ? "List<T>" : "T[]",
            Carried ? "kept from the recorded build's rewrite" : string.Format(CultureInfo.InvariantCulture, "{0:0%} of the recorded receivers", Share));

        /// <summary>The loops' <c>GetEnumerator</c> offsets as the compiler wrote them (a rewrite that moves offsets comes later).</summary>
        private readonly string _offsets;
    }

    /// <summary>What the enumerator planner saw, for the build line.</summary>
    internal sealed class EnumeratorPlanReport
    {
        /// <summary><c>foreach</c> loops over an interface with recorded receiver types at their <c>GetEnumerator</c>.</summary>
        public int Recorded { get; set; }

        /// <summary>Recorded loops whose collection was mostly neither a <c>List&lt;T&gt;</c> nor a <c>T[]</c> of the loop's T.</summary>
        public int OtherCollections { get; set; }

        /// <summary>Recorded loops whose IL is not the compiler's foreach shape.</summary>
        public int Shape { get; set; }
    }

    /// <summary>
    /// Finds the <c>foreach</c> loops over an interface whose recorded receivers at <c>GetEnumerator</c> were mostly one
    /// <c>List&lt;T&gt;</c> or <c>T[]</c> (exact IL offsets: only methods unchanged since the recording).
    /// </summary>
    internal static class EnumeratorSitePlanner
    {
        /// <summary>Smallest share of a loop's recorded receivers the list or array needs.</summary>
        public const double MinShare = 0.5;

        public static IReadOnlyList<ForeachSite> Plan(ModuleDefinition module, AssemblySymbols symbols, IReadOnlyList<RuntimeRecord> records, EnumeratorPlanReport report)
        {
            string prefix = symbols.AssemblyName + "!";
            var bySystemName = new Dictionary<string, MethodSymbol>(StringComparer.Ordinal);
            foreach (var m in symbols.Methods())
            {
                bySystemName[m.SystemName] = m;
            }

            // Loops are planned per enumerator local: the compiler reuses one for sequential loops over the same T.
            var byLocal = new Dictionary<VariableDefinition, (ForeachSite Site, long Lists, long Arrays, long Total, EnumeratedKind? Carried)>();
            var order = new List<VariableDefinition>();
            var histograms = records.Where(r => r.Kind == InstrumentationKind.HandleHistogramTypes && r.Method.StartsWith(prefix, StringComparison.Ordinal) && r.Handle.Length > 0);
            foreach (var group in histograms.GroupBy(r => (r.Method, r.IlOffset)).OrderBy(g => g.Key.Method, StringComparer.Ordinal).ThenBy(g => g.Key.IlOffset))
            {
                if (!bySystemName.TryGetValue(group.Key.Method, out var symbol) || !(module.LookupToken(symbol.Token) is MethodDefinition method) || !method.HasBody)
                {
                    continue;
                }

                // Exact offsets only: the rewrite keys on the call the runtime saw (a recording of a build whose rewrite
                // moved this method's offsets is in the compiler's offsets too: pgo record translates them, IlMoves).
                var exact = group.Where(r => r.IlHash == symbol.IlHash && r.IlSize == symbol.IlSize).ToList();
                var call = exact.Count == 0 ? null : method.Body.Instructions.FirstOrDefault(i => i.Offset == group.Key.IlOffset);
                if (call == null || !IsGetEnumerator(call, out var element))
                {
                    continue;
                }

                report.Recorded++;
                var site = Match(method, call, element);
                if (site == null)
                {
                    report.Shape++;
                    continue;
                }

                if (!byLocal.TryGetValue(site.Enumerator, out var evidence))
                {
                    evidence = (site, 0, 0, 0, null);
                    order.Add(site.Enumerator);
                }

                evidence.Site.RecordedLoops++;
                var marker = exact.FirstOrDefault(r => Metadata.IlFingerprint.IsEnumeratorType(r.Handle));
                if (marker != null)
                {
                    // A recording of a rewritten build: the loop enumerated through the rewrite (pgo record notes it).
                    evidence.Carried = marker.Handle.StartsWith(Metadata.IlFingerprint.ArrayEnumeratorTypeName, StringComparison.Ordinal) ? EnumeratedKind.Array : EnumeratedKind.List;
                }

                foreach (var r in exact)
                {
                    var type = QualifiedTypeName.Parse(r.Handle);
                    if (type == null || marker != null)
                    {
                        continue;
                    }

                    evidence.Total = Saturating.Add(evidence.Total, r.Value);
                    if (IsArrayOf(type, element))
                    {
                        evidence.Arrays = Saturating.Add(evidence.Arrays, r.Value);
                    }
                    else if (type.ArrayRanks.Count == 0 && type.FullName == "System.Collections.Generic.List`1" && type.Arguments.Count == 1 && Same(type.Arguments[0], element))
                    {
                        evidence.Lists = Saturating.Add(evidence.Lists, r.Value);
                    }
                }

                byLocal[site.Enumerator] = evidence;
            }

            var sites = new List<ForeachSite>();
            foreach (var local in order)
            {
                var (site, lists, arrays, total, carried) = byLocal[local];
                if (carried != null)
                {
                    site.Carried = true;
                    site.Share = 1;
                    site.Kind = carried.Value;
                    sites.Add(site);
                    continue;
                }

                double share = total <= 0 ? 0 : (double)Math.Max(lists, arrays) / total;
                if (share < MinShare)
                {
                    report.OtherCollections += site.RecordedLoops;
                    continue;
                }

                site.Kind = lists >= arrays ? EnumeratedKind.List : EnumeratedKind.Array;
                site.Share = share;
                sites.Add(site);
            }

            return sites;
        }

        /// <summary><c>callvirt IEnumerable&lt;T&gt;::GetEnumerator()</c>, with its T.</summary>
        public static bool IsGetEnumerator(Instruction ins, out TypeReference element)
        {
            element = null!;
            if (ins.OpCode.Code != Code.Callvirt || !(ins.Operand is MethodReference m) || m.Name != "GetEnumerator" || m.Parameters.Count != 0
                || !(m.DeclaringType is GenericInstanceType declaring) || declaring.ElementType.FullName != "System.Collections.Generic.IEnumerable`1"
                || (ins.Previous != null && (ins.Previous.OpCode.Code == Code.Constrained || ins.Previous.OpCode.Code == Code.Tail)))
            {
                return false;
            }

            element = declaring.GenericArguments[0];
            return true;
        }

        /// <summary>The whole loop around <paramref name="call"/> when it has exactly the compiler's shape; null otherwise.</summary>
        public static ForeachSite? Match(MethodDefinition method, Instruction call, TypeReference element)
        {
            var store = call.Next;
            var local = store == null ? null : StoredLocal(method, store);
            if (local == null || !(local.VariableType is GenericInstanceType localType) || localType.ElementType.FullName != "System.Collections.Generic.IEnumerator`1"
                || !SameReference(localType.GenericArguments[0], element))
            {
                return null;
            }

            var loads = new List<Instruction>();
            var calls = new List<Instruction>();
            bool current = false, moveNext = false, dispose = false, shifts = false;
            foreach (var ins in method.Body.Instructions)
            {
                if (StoredLocal(method, ins) == local)
                {
                    // The local is the enumerator of every loop that stores into it (sequential loops over one T share it).
                    if (ins.Previous == null || !IsGetEnumerator(ins.Previous, out var other) || !SameReference(other, element))
                    {
                        return null;
                    }

                    calls.Add(ins.Previous);
                    continue;
                }

                if (AddressedLocal(method, ins) == local)
                {
                    return null;
                }

                if (LoadedLocal(method, ins, out bool shortForm) != local)
                {
                    continue;
                }

                shifts |= shortForm; // ldloc.0-3 are one byte, ldloca.s two: later IL offsets move

                var next = ins.Next;
                if (next == null)
                {
                    return null;
                }

                if (next.OpCode.Code == Code.Callvirt && next.Operand is MethodReference m && m.Parameters.Count == 0)
                {
                    string declaring = m.DeclaringType.GetElementType().FullName;
                    if (m.Name == "get_Current" && declaring == "System.Collections.Generic.IEnumerator`1" && m.DeclaringType is GenericInstanceType g && SameReference(g.GenericArguments[0], element))
                    {
                        current = true;
                    }
                    else if (m.Name == "MoveNext" && declaring == "System.Collections.IEnumerator")
                    {
                        moveNext = true;
                    }
                    else if (m.Name == "Dispose" && declaring == "System.IDisposable" && InFinally(method, ins))
                    {
                        dispose = true;
                    }
                    else
                    {
                        return null;
                    }
                }
                else if (!((next.OpCode.Code == Code.Brfalse || next.OpCode.Code == Code.Brfalse_S) && InFinally(method, ins)))
                {
                    return null;
                }

                loads.Add(ins);
            }

            return current && moveNext && dispose && calls.Contains(call) ? new ForeachSite(method, calls, local, element, loads) { ShiftsOffsets = shifts } : null;
        }

        private static bool InFinally(MethodDefinition method, Instruction ins) =>
            method.Body.ExceptionHandlers.Any(h => h.HandlerType == ExceptionHandlerType.Finally && ins.Offset >= h.HandlerStart.Offset && (h.HandlerEnd == null || ins.Offset < h.HandlerEnd.Offset));

        private static VariableDefinition? StoredLocal(MethodDefinition method, Instruction ins) => ins.OpCode.Code switch
        {
            Code.Stloc_0 => method.Body.Variables[0],
            Code.Stloc_1 => method.Body.Variables[1],
            Code.Stloc_2 => method.Body.Variables[2],
            Code.Stloc_3 => method.Body.Variables[3],
            Code.Stloc_S or Code.Stloc => ins.Operand as VariableDefinition,
            _ => null,
        };

        private static VariableDefinition? AddressedLocal(MethodDefinition method, Instruction ins) =>
            ins.OpCode.Code == Code.Ldloca || ins.OpCode.Code == Code.Ldloca_S ? ins.Operand as VariableDefinition : null;

        private static VariableDefinition? LoadedLocal(MethodDefinition method, Instruction ins, out bool shortForm)
        {
            shortForm = ins.OpCode.Code is Code.Ldloc_0 or Code.Ldloc_1 or Code.Ldloc_2 or Code.Ldloc_3;
            return ins.OpCode.Code switch
            {
                Code.Ldloc_0 => method.Body.Variables[0],
                Code.Ldloc_1 => method.Body.Variables[1],
                Code.Ldloc_2 => method.Body.Variables[2],
                Code.Ldloc_3 => method.Body.Variables[3],
                Code.Ldloc_S or Code.Ldloc => ins.Operand as VariableDefinition,
                _ => null,
            };
        }

        private static bool SameReference(TypeReference a, TypeReference b) => a.FullName == b.FullName;

        /// <summary>A recorded type (the runtime's name) against a type of the IL; generic parameters match anything (the rewrite's test is exact).</summary>
        internal static bool Same(QualifiedTypeName recorded, TypeReference type) => recorded.ArrayRanks.Count == 0 && SameIgnoringRanks(recorded, type);

        /// <summary>A recorded one-dimensional array <c>X[]</c> of the IL's <paramref name="element"/> X (not itself an array).</summary>
        internal static bool IsArrayOf(QualifiedTypeName recorded, TypeReference element) =>
            recorded.ArrayRanks.Count == 1 && recorded.ArrayRanks[0] == 1 && !(element is ArrayType) && SameIgnoringRanks(recorded, element);

        private static bool SameIgnoringRanks(QualifiedTypeName recorded, TypeReference type)
        {
            if (type is GenericParameter)
            {
                return true;
            }

            if (type is GenericInstanceType generic)
            {
                return recorded.FullName == RuntimeName(generic.ElementType) && recorded.Arguments.Count == generic.GenericArguments.Count
                    && recorded.Arguments.Zip(generic.GenericArguments, (r, t) => Same(r, t)).All(x => x);
            }

            if (type is ArrayType)
            {
                return false; // arrays of arrays: not read
            }

            return recorded.Arguments.Count == 0 && !(type is TypeSpecification) && recorded.FullName == RuntimeName(type);
        }

        private static string RuntimeName(TypeReference type) => type.FullName.Replace('/', '+');
    }
}
