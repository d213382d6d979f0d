using System;
using System.Collections.Generic;
using System.Linq;
using Pgo.Build.Metadata;
using Pgo.Build.RuntimePgo;

namespace Pgo.Build.Matching
{
    /// <summary>The recorded data of one method of this build whose IL is unchanged since the recording.</summary>
    /// <remarks>
    /// <see cref="TypeArguments"/>: for a method of a generic type, the instantiation the runtime recorded
    /// (<c>System.__Canon</c> for shared code, value types exactly); empty for other methods.
    /// <see cref="Instantiation"/>: for a generic method, the one instantiation of the program whose hash the runtime
    /// recorded (its declaring type's arguments and its own, canonical); null for other methods.
    /// </remarks>
    public sealed record MatchedMethod(MethodSymbol Method, IReadOnlyList<RuntimeRecord> Records)
    {
        public IReadOnlyList<string> TypeArguments { get; init; } = Array.Empty<string>();

        public MethodInstantiation? Instantiation { get; init; }

        /// <summary>The method's own CPU-sample weight (the .mibc's <c>ExclusiveWeight</c>); null when not sampled.</summary>
        public long? ExclusiveWeight { get; init; }

        /// <summary>Its hot sampled call edges to methods of the same assembly (the .mibc's <c>WeightedCallData</c>).</summary>
        public IReadOnlyList<(MethodSymbol Callee, long Weight)> Calls { get; init; } = Array.Empty<(MethodSymbol, long)>();
    }

    /// <summary>How the recorded methods of one assembly matched this build (for the summary and docs).</summary>
    /// <remarks>
    /// A generic method counts once per instantiation the runtime compiled (one record set per method hash).
    /// <see cref="GenericSkipped"/>: instantiations left out because no single instantiation of the compiled
    /// program has the recorded method hash.
    /// </remarks>
    public sealed record RecordMatchReport(int Recorded, int Matched, int Changed, int Missing, int GenericSkipped)
    {
        /// <summary>Changed methods whose receiver-type histograms were kept by call line.</summary>
        public int Remapped { get; init; }

        /// <summary>Matched generic method instantiations, identified by the runtime's method hash.</summary>
        public int GenericMatched { get; init; }

        public override string ToString() =>
            $"{Matched} of {Recorded} recorded methods matched ({(GenericMatched > 0 ? $"{GenericMatched} generic method instantiations identified by their method hash; " : "")}{Changed} changed since recording{(Remapped > 0 ? $", {Remapped} of them keeping their call sites' receiver types by call line" : "")}, {Missing} not found, {GenericSkipped} generic method instantiations left out: no single instantiation in the compiled program has the recorded method hash)";
    }

    /// <summary>
    /// Matches the runtime records of a profile to the methods of one compiled assembly: by metadata identity
    /// (<c>system_name</c>), then by IL fingerprint. Methods whose IL is unchanged keep all their records: their IL
    /// offsets are exact. An edited method keeps only its receiver-type histograms, moved to the call site on the same
    /// line relative to the method's start line when exactly one virtual call is there (Go's source stability); its
    /// counts, and everything of other methods, are unaffected. The runtime names a generic method without its
    /// instantiation: the records of one instantiation are kept when exactly one instantiation the program uses
    /// (<see cref="GenericInstantiations"/>) has the recorded method hash, never guessed otherwise.
    /// </summary>
    public static class RuntimeRecordMatcher
    {
        /// <param name="instantiations">
        /// The program's generic method instantiations, asked for only when a generic method was recorded; null: those
        /// of <paramref name="assembly"/> alone.
        /// </param>
        public static (IReadOnlyList<MatchedMethod> Matched, RecordMatchReport Report) Match(
            AssemblySymbols assembly, IEnumerable<RuntimeRecord> records, Func<GenericInstantiations>? instantiations = null)
        {
            var catalog = new Lazy<GenericInstantiations>(instantiations ?? (() => GenericInstantiations.Of(assembly)));
            string prefix = assembly.AssemblyName + "!";
            var bySystemName = new Dictionary<string, MethodSymbol>(StringComparer.Ordinal);
            foreach (var method in assembly.Methods())
            {
                bySystemName[method.SystemName] = method;
            }

            var matched = new List<MatchedMethod>();
            int recorded = 0, changed = 0, missing = 0, generic = 0, remapped = 0, genericMatched = 0;
            var groups = records
                .Where(r => r.Method.StartsWith(prefix, StringComparison.Ordinal))
                .GroupBy(r => (r.Method, r.Instantiation, r.IlHash, r.MethodHash))
                .OrderBy(g => g.Key.Method, StringComparer.Ordinal).ThenBy(g => g.Key.Instantiation, StringComparer.Ordinal)
                .ThenBy(g => g.Key.IlHash).ThenBy(g => g.Key.MethodHash);
            foreach (var group in groups)
            {
                recorded++;
                IReadOnlyList<string> typeArguments = Array.Empty<string>();
                if (group.Key.Instantiation.Length > 0)
                {
                    var parsed = RuntimeTypeName.TypeArguments(group.Key.Instantiation);
                    if (parsed == null)
                    {
                        generic++; // a method instantiation (Type.Method[Arg]): not expressed
                        continue;
                    }

                    typeArguments = parsed;
                }

                if (!bySystemName.TryGetValue(group.Key.Method, out var method))
                {
                    missing++;
                    continue;
                }

                MethodInstantiation? instantiation = null;
                if (IsGenericMethod(method.SystemName))
                {
                    instantiation = Identify(catalog.Value, assembly.AssemblyName, method, group.Key.MethodHash, typeArguments);
                    if (instantiation == null)
                    {
                        generic++; // no instantiation, or several, with the recorded hash: never guessed
                        continue;
                    }
                }

                var first = group.First();
                if (first.IlHash != method.IlHash || first.IlSize != method.IlSize)
                {
                    changed++;
                    var moved = RemapCallSites(assembly, method, group.ToList());
                    if (moved.Count > 0)
                    {
                        remapped++;
                        matched.Add(new MatchedMethod(method, moved) { TypeArguments = typeArguments, Instantiation = instantiation });
                    }

                    continue;
                }

                var list = method.Moves is IlMoves moves ? group.Select(r => ToCurrent(r, moves)).ToList() : group.ToList();
                list.Sort(RuntimeRecord.Compare);
                matched.Add(new MatchedMethod(method, list) { TypeArguments = typeArguments, Instantiation = instantiation });
                genericMatched += instantiation != null ? 1 : 0;
            }

            return (matched, new RecordMatchReport(recorded, matched.Count - remapped, changed, missing, generic) { Remapped = remapped, GenericMatched = genericMatched });
        }

        /// <summary>A record in the compiler's offsets at the offsets of a method an IL rewrite moved (an edge's target too).</summary>
        internal static RuntimeRecord ToCurrent(RuntimeRecord record, IlMoves moves) => record with
        {
            IlOffset = moves.ToCurrent(record.IlOffset),
            Other = InstrumentationKind.IsEdge(record.Kind) ? moves.ToCurrent((int)record.Other) : record.Other,
        };

        /// <summary>
        /// The one instantiation of a generic method whose version-resilient hash is <paramref name="methodHash"/> (and,
        /// for a method of a generic type, whose declaring type is the recorded one); null when none or several are.
        /// </summary>
        private static MethodInstantiation? Identify(GenericInstantiations catalog, string assemblyName, MethodSymbol method, long methodHash, IReadOnlyList<string> typeArguments)
        {
            if (methodHash == 0)
            {
                return null; // recorded without the hash
            }

            var hits = catalog.Of(assemblyName, method.Token)
                .Where(c => unchecked((uint)c.Hash) == unchecked((uint)methodHash))
                .Where(c => typeArguments.Count == 0 || c.TypeArguments.Select(t => t.ToString()).SequenceEqual(typeArguments, StringComparer.Ordinal))
                .ToList();
            return hits.Count == 1 ? hits[0] : null;
        }

        /// <summary>A generic method definition (<c>Type::Method``1(...)</c>): the runtime's PGO text names it without its instantiation.</summary>
        private static bool IsGenericMethod(string systemName)
        {
            int arity = systemName.IndexOf("``", StringComparison.Ordinal);
            int open = systemName.IndexOf('(');
            return arity >= 0 && (open < 0 || arity < open);
        }

        /// <summary>
        /// The receiver-type histograms of an edited method at their new IL offsets: a recorded call site at line
        /// offset k (line − start line) goes to the one <c>callvirt</c> of the new IL at line offset k; a site with no
        /// or several candidates, or sharing its candidate with another site, is dropped. Counts are dropped.
        /// </summary>
        private static List<RuntimeRecord> RemapCallSites(AssemblySymbols assembly, MethodSymbol method, List<RuntimeRecord> records)
        {
            var result = new List<RuntimeRecord>();
            if (method.StartLine <= 0)
            {
                return result;
            }

            var callsByLineOffset = new Dictionary<long, List<int>>();
            try
            {
                foreach (var ins in IlReader.Read(assembly.GetIl(method.Token)))
                {
                    if (ins.OpCode == System.Reflection.Emit.OpCodes.Callvirt)
                    {
                        long offset = method.LineAt(ins.Offset) - method.StartLine;
                        if (!callsByLineOffset.TryGetValue(offset, out var list))
                        {
                            callsByLineOffset.Add(offset, list = new List<int>());
                        }

                        list.Add(ins.Offset);
                    }
                }
            }
            catch (BadImageFormatException)
            {
                return result;
            }

            var sites = records
                .Where(r => (r.Kind == InstrumentationKind.HandleHistogramIntCount || r.Kind == InstrumentationKind.HandleHistogramTypes) && r.StartLine > 0 && r.Line > 0)
                .GroupBy(r => r.IlOffset)
                .Select(g => (Records: g.ToList(), Target: callsByLineOffset.TryGetValue(g.First().Line - g.First().StartLine, out var c) && c.Count == 1 ? c[0] : -1))
                .Where(x => x.Target >= 0)
                .ToList();
            foreach (var site in sites.GroupBy(x => x.Target).Where(g => g.Count() == 1).Select(g => g.Single()))
            {
                foreach (var r in site.Records)
                {
                    result.Add(r with { IlOffset = site.Target, IlSize = method.IlSize, IlHash = method.IlHash, StartLine = method.StartLine, Line = method.LineAt(site.Target) });
                }
            }

            result.Sort(RuntimeRecord.Compare);
            return result;
        }
    }
}
