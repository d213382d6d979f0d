using System;
using System.Collections.Generic;
using System.Threading;
using Pgo.Build.Profiles;

namespace Pgo.Build.CallGraph
{
    /// <summary>
    /// Builds Go's weighted call graph from a decoded profile: the algorithm of Go 1.23+'s
    /// <c>internal/profile.NewGraph</c> + <c>cmd/internal/pgo.createNamedEdgeMap</c>.
    /// <list type="bullet">
    /// <item>Samples whose chosen value is 0 are skipped.</item>
    /// <item>Only the last two frames (location[1], the caller, and location[0], the leaf) make edges; within
    /// each location the lines are walked outermost to innermost, so inlined frames make edges too.</item>
    /// <item>Graph nodes are (name, address, start line, line); an edge counts once per sample and node pair
    /// (a node seen earlier in the same sample still links from a parent it was not yet reached from).</item>
    /// <item>Edges are named (caller, callee, caller line − caller start line) and their weights summed.</item>
    /// </list>
    /// Function flat weights (leaf frame) and cum weights (any frame, once per sample) come from the whole stack;
    /// Go has no use for them, the hot-function list and <c>pgo top</c> do.
    /// </summary>
    public static class CallGraphBuilder
    {
        /// <param name="allFrames">
        /// Not Go's rule: edges between every caller and callee along the whole stack, each pair once per sample
        /// (<c>PgoEdgeFrames=all</c>), so deep call trees show their inner call sites too.
        /// </param>
        public static WeightedCallGraph Build(ProfileData profile, int sampleIndex, CancellationToken cancellation = default, bool allFrames = false)
        {
            if (profile.Samples.Count == 0)
            {
                return WeightedCallGraph.Empty;
            }

            if (sampleIndex < 0 || sampleIndex >= profile.SampleTypes.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(sampleIndex));
            }

            var nodes = new NodeTable();
            var edgeWeights = new Dictionary<NodePair, long>();
            var seenNodes = new HashSet<int>();
            var seenEdges = new HashSet<NodePair>();
            var functionFlat = new Dictionary<string, long>(StringComparer.Ordinal);
            var functionCum = new Dictionary<string, long>(StringComparer.Ordinal);
            var seenNames = new HashSet<string>(StringComparer.Ordinal);
            long sampleCount = 0, sampleValue = 0;

            foreach (var sample in profile.Samples)
            {
                if ((sampleCount & 0x3ff) == 0)
                {
                    cancellation.ThrowIfCancellationRequested();
                }

                long w = sample.Values[sampleIndex];
                if (w == 0)
                {
                    continue;
                }

                sampleCount++;
                sampleValue += w;
                seenNodes.Clear();
                seenEdges.Clear();
                int parent = -1;
                for (int i = allFrames ? sample.Stack.Count - 1 : Math.Min(1, sample.Stack.Count - 1); i >= 0; i--)
                {
                    int[] locNodes = nodes.ForLocation(sample.Stack[i]);
                    for (int ni = locNodes.Length - 1; ni >= 0; ni--)
                    {
                        int n = locNodes[ni];
                        bool sawNode = !seenNodes.Add(n);
                        if (!sawNode)
                        {
                            nodes.MarkUsed(n);
                        }

                        // Go: (!sawNode || !seenEdge[pair]) && ...; an unseen node cannot be in a seen pair.
                        if (parent >= 0 && n != parent)
                        {
                            var pair = new NodePair(parent, n);
                            if (seenEdges.Add(pair))
                            {
                                edgeWeights.TryGetValue(pair, out long old);
                                edgeWeights[pair] = old + w;
                            }
                        }

                        parent = n;
                    }
                }

                AddFunctionWeights(sample, w, functionFlat, functionCum, seenNames);
            }

            bool hasStartLines = nodes.AnyUsedNodeHasStartLine();
            var named = new Dictionary<EdgeKey, long>();
            foreach (var kv in edgeWeights)
            {
                var caller = nodes[kv.Key.From];
                var callee = nodes[kv.Key.To];
                long? offset = hasStartLines ? caller.Line - caller.StartLine : (long?)null;
                var key = new EdgeKey(caller.Name, callee.Name, offset);
                named.TryGetValue(key, out long old);
                named[key] = old + kv.Value;
            }

            var edges = new List<CallEdge>(named.Count);
            foreach (var kv in named)
            {
                edges.Add(new CallEdge(kv.Key.Caller, kv.Key.Callee, kv.Key.Offset, kv.Value));
            }

            edges.Sort(WeightedCallGraph.CompareEdges);

            var functions = new List<FunctionWeight>(functionCum.Count);
            foreach (var kv in functionCum)
            {
                functionFlat.TryGetValue(kv.Key, out long flat);
                functions.Add(new FunctionWeight(kv.Key, flat, kv.Value));
            }

            functions.Sort(WeightedCallGraph.CompareFunctions);
            var type = profile.SampleTypes[sampleIndex];
            return new WeightedCallGraph(type.ToString(), sampleCount, sampleValue, hasStartLines, edges, functions);
        }

        private static void AddFunctionWeights(
            ProfileSample sample,
            long w,
            Dictionary<string, long> flat,
            Dictionary<string, long> cum,
            HashSet<string> seenNames)
        {
            seenNames.Clear();
            bool leaf = true;
            foreach (var location in sample.Stack)
            {
                foreach (var line in location.Lines)
                {
                    string name = line.Function.Name;
                    if (leaf)
                    {
                        flat.TryGetValue(name, out long f);
                        flat[name] = f + w;
                        leaf = false;
                    }

                    if (seenNames.Add(name))
                    {
                        cum.TryGetValue(name, out long c);
                        cum[name] = c + w;
                    }
                }

                leaf = false;
            }
        }

        /// <summary>Go's NodeInfo as its PGO code fills it: a node per distinct (name, address, start line, line).</summary>
        private readonly record struct NodeInfo(string Name, ulong Address, long StartLine, long Line);

        /// <summary>Go's NodeMap: one node per distinct (name, address, start line, line), per location its nodes.</summary>
        private sealed class NodeTable
        {
            private readonly Dictionary<NodeInfo, int> _ids = new Dictionary<NodeInfo, int>();
            private readonly List<NodeInfo> _nodes = new List<NodeInfo>();
            private readonly List<bool> _used = new List<bool>();
            private readonly Dictionary<ProfileLocation, int[]> _byLocation = new Dictionary<ProfileLocation, int[]>();

            public NodeInfo this[int id] => _nodes[id];

            public int[] ForLocation(ProfileLocation location)
            {
                if (_byLocation.TryGetValue(location, out var ids))
                {
                    return ids;
                }

                if (location.Lines.Count == 0)
                {
                    // Go: an empty line keeps the location's address as a nameless node.
                    ids = new[] { Intern(new NodeInfo("", location.Address, 0, 0)) };
                }
                else
                {
                    ids = new int[location.Lines.Count];
                    for (int i = 0; i < ids.Length; i++)
                    {
                        var line = location.Lines[i];
                        ids[i] = Intern(new NodeInfo(line.Function.Name, location.Address, line.Function.StartLine, line.Line));
                    }
                }

                _byLocation.Add(location, ids);
                return ids;
            }

            public void MarkUsed(int id) => _used[id] = true;

            /// <summary>Go checks start lines over the graph's nodes, i.e. those that received weight.</summary>
            public bool AnyUsedNodeHasStartLine()
            {
                for (int i = 0; i < _nodes.Count; i++)
                {
                    if (_used[i] && _nodes[i].StartLine != 0)
                    {
                        return true;
                    }
                }

                return false;
            }

            private int Intern(NodeInfo info)
            {
                if (!_ids.TryGetValue(info, out int id))
                {
                    id = _nodes.Count;
                    _nodes.Add(info);
                    _used.Add(false);
                    _ids.Add(info, id);
                }

                return id;
            }
        }

        private readonly record struct NodePair(int From, int To);

        private readonly record struct EdgeKey(string Caller, string Callee, long? Offset);
    }
}
