using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using Pgo.Build.CallGraph;
using Pgo.Build.Matching;
using Pgo.Build.Metadata;
using Pgo.Build.Naming;
using Pgo.Build.RuntimePgo;

namespace Pgo.Build.Mibc
{
    /// <summary>
    /// The CPU samples' part of a .mibc: per method of one assembly its own (flat) weight as <c>ExclusiveWeight</c>,
    /// and its hot call edges (<c>inline-hints.txt</c>) to methods of the same assembly as <c>WeightedCallData</c>
    /// (what dotnet-pgo writes from sampled traces; the compilers use them for method layout). A profile name is
    /// matched by its dialect-free key; names that fit several methods (overloads) or a generic method or a method
    /// of a generic type (whose instantiation the samples do not give) are left out.
    /// </summary>
    public static class SampledWeights
    {
        /// <summary><paramref name="matched"/> with the weights attached, plus weight-only entries for sampled methods without runtime data.</summary>
        public static IReadOnlyList<MatchedMethod> Attach(
            AssemblySymbols assembly, IReadOnlyList<MatchedMethod> matched, IReadOnlyList<FunctionWeight> functions, IReadOnlyList<CallEdge> edges)
        {
            var byKey = MethodKeys.Of(assembly);
            var byToken = assembly.Methods().ToDictionary(m => m.Token);

            MethodSymbol? Resolve(string frameName)
            {
                string? key = FrameNames.Parse(frameName)?.Key;
                return key != null && byKey.TryGetValue(key, out var list) && list.Count == 1 && IsPlain(assembly, list[0]) ? list[0] : null;
            }

            var exclusive = new SortedDictionary<int, long>();
            foreach (var f in functions)
            {
                if (f.Flat > 0 && Resolve(f.Name) is MethodSymbol method)
                {
                    exclusive[method.Token] = (exclusive.TryGetValue(method.Token, out long w) ? w : 0) + f.Flat;
                }
            }

            var calls = new SortedDictionary<int, SortedDictionary<int, long>>();
            foreach (var edge in edges)
            {
                if (Resolve(edge.Caller) is MethodSymbol caller && Resolve(edge.Callee) is MethodSymbol callee)
                {
                    if (!calls.TryGetValue(caller.Token, out var byCallee))
                    {
                        calls.Add(caller.Token, byCallee = new SortedDictionary<int, long>());
                    }

                    byCallee[callee.Token] = (byCallee.TryGetValue(callee.Token, out long c) ? c : 0) + edge.Weight;
                }
            }

            MatchedMethod With(MatchedMethod m) => m with
            {
                ExclusiveWeight = exclusive.TryGetValue(m.Method.Token, out long w) ? w : (long?)null,
                Calls = calls.TryGetValue(m.Method.Token, out var byCallee) ? byCallee.Select(kv => (byToken[kv.Key], kv.Value)).ToList() : Array.Empty<(MethodSymbol, long)>(),
            };

            var result = new List<MatchedMethod>();
            var recorded = new HashSet<int>();
            foreach (var m in matched)
            {
                recorded.Add(m.Method.Token);
                result.Add(m.TypeArguments.Count > 0 ? m : With(m));
            }

            foreach (var token in exclusive.Keys.Concat(calls.Keys).Distinct().OrderBy(t => t))
            {
                if (!recorded.Contains(token))
                {
                    result.Add(With(new MatchedMethod(byToken[token], Array.Empty<RuntimeRecord>())));
                }
            }

            return result;
        }

        /// <summary>Neither a generic method nor a method of a generic type: its MemberRef needs no instantiation.</summary>
        private static bool IsPlain(AssemblySymbols assembly, MethodSymbol method)
        {
            var definition = assembly.Reader.GetMethodDefinition((MethodDefinitionHandle)MetadataTokens.EntityHandle(method.Token));
            return definition.GetGenericParameters().Count == 0 && !MibcWriter.IsOfGenericType(assembly.Reader, definition);
        }
    }
}
