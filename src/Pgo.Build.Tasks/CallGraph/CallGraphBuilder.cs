using System;
using System.Runtime.CompilerServices;
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
    /// <remarks>
    /// Cost is proportional to the profile, whatever its names and numbers: names are numbered once per string
    /// (<see cref="StringIds"/>) and compared as numbers; nodes, edges and name keys are hashed with
    /// <see cref="KeyedHash"/>; per location the nodes and names are worked out once; sorting compares names by
    /// their rank. Sums are checked: values that overflow a 64-bit integer are a <see cref="ProfileFormatException"/>.
    /// </remarks>
    public static class CallGraphBuilder
    {
        /// <param name="allFrames">
        /// Not Go's rule: edges between every caller and callee along the whole stack, each pair once per sample
        /// (<c>PgoEdgeFrames=all</c>), so deep call trees show their inner call sites too.
        /// </param>
        /// <param name="limits">Bounds the names the edges spell out (<see cref="ProfileLimits.SpelledNameLimit"/>).</param>
        public static WeightedCallGraph Build(ProfileData profile, int sampleIndex, CancellationToken cancellation = default, bool allFrames = false, ProfileLimits? limits = null)
        {
            if (profile.Samples.Count == 0)
            {
                return WeightedCallGraph.Empty;
            }

            if (sampleIndex < 0 || sampleIndex >= profile.SampleTypes.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(sampleIndex));
            }

            limits ??= ProfileLimits.Default;
            string type = profile.SampleTypes[sampleIndex].ToString();
            var b = new Builder(type, profile.LocationCount);
            long work = 0;
            foreach (var sample in profile.Samples)
            {
                // Cancellation is checked by work done (frames and lines walked), not by samples: one sample may be deep.
                if (++work >= 1 << 16)
                {
                    cancellation.ThrowIfCancellationRequested();
                    work = 0;
                }

                long w = sample.Values[sampleIndex];
                if (w != 0)
                {
                    work += b.AddSample(sample, w, allFrames);
                }
            }

            cancellation.ThrowIfCancellationRequested();
            return b.Finish(limits.SpelledNameLimit(profile.DecodedBytes), cancellation);
        }

        private sealed class Builder
        {
            private readonly string _type;
            private readonly StringIds _names = new StringIds();
            private readonly Dictionary<ProfileLocation, LocationNodes> _locations = new Dictionary<ProfileLocation, LocationNodes>();
            private readonly Dictionary<NodeKey, int> _nodeIds = new Dictionary<NodeKey, int>(NodeKey.Comparer.Instance);
            private readonly List<NodeKey> _nodes = new List<NodeKey>();
            private readonly List<bool> _used = new List<bool>();
            private readonly List<int> _nodeStamp = new List<int>();
            private readonly Dictionary<ulong, int> _edgeIds = new Dictionary<ulong, int>(KeyedUInt64Comparer.Instance);
            private readonly List<ulong> _edgePairs = new List<ulong>();
            private readonly List<long> _edgeWeights = new List<long>();
            private readonly List<int> _edgeStamp = new List<int>();
            private readonly List<long> _flat = new List<long>();
            private readonly List<long> _cum = new List<long>();
            private readonly List<bool> _hasCum = new List<bool>();
            private readonly List<int> _nameStamp = new List<int>();
            private long _sampleCount, _sampleValue;
            private int _stamp;

            private readonly LocationNodes?[] _byIndex;

            public Builder(string type, int locationCount)
            {
                _type = type;
                _byIndex = new LocationNodes?[locationCount];
            }

            /// <summary>Adds one sample; returns the work done (frames and lines walked).</summary>
            [MethodImpl(Jit.Optimized)]
            public long AddSample(ProfileSample sample, long w, bool allFrames)
            {
                _sampleCount++;
                _sampleValue = Add(_sampleValue, w);
                _stamp++;
                long work = 0;
                int parent = -1;
                var stack = sample.Stack;
                for (int i = allFrames ? stack.Count - 1 : Math.Min(1, stack.Count - 1); i >= 0; i--)
                {
                    var nodes = For(stack[i]).Nodes;
                    work += nodes.Length;
                    for (int ni = nodes.Length - 1; ni >= 0; ni--)
                    {
                        int n = nodes[ni];
                        if (_nodeStamp[n] != _stamp)
                        {
                            _nodeStamp[n] = _stamp;
                            _used[n] = true;
                        }

                        // Go: (!sawNode || !seenEdge[pair]) && ...; an unseen node cannot be in a seen pair.
                        if (parent >= 0 && n != parent)
                        {
                            // Once per sample and pair: the pair's stamp says whether this sample has added to it.
                            ulong pair = ((ulong)(uint)parent << 32) | (uint)n;
                            if (!_edgeIds.TryGetValue(pair, out int edge))
                            {
                                edge = _edgePairs.Count;
                                _edgeIds.Add(pair, edge);
                                _edgePairs.Add(pair);
                                _edgeWeights.Add(0);
                                _edgeStamp.Add(0);
                            }

                            if (_edgeStamp[edge] != _stamp)
                            {
                                _edgeStamp[edge] = _stamp;
                                _edgeWeights[edge] = Add(_edgeWeights[edge], w);
                            }
                        }

                        parent = n;
                    }
                }

                bool leaf = true;
                foreach (var location in stack)
                {
                    var names = For(location).Names;
                    work += names.Length + 1;
                    foreach (int name in names)
                    {
                        if (leaf)
                        {
                            _flat[name] = Add(_flat[name], w);
                            leaf = false;
                        }

                        if (_nameStamp[name] != _stamp)
                        {
                            _nameStamp[name] = _stamp;
                            _cum[name] = Add(_cum[name], w);
                            _hasCum[name] = true;
                        }
                    }

                    leaf = false;
                }

                return work;
            }

            [MethodImpl(Jit.Optimized)]
            public WeightedCallGraph Finish(long maxSpelledChars, CancellationToken cancellation)
            {
                bool hasStartLines = false;
                for (int i = 0; i < _nodes.Count && !hasStartLines; i++)
                {
                    hasStartLines = _used[i] && _nodes[i].StartLine != 0;
                }

                // Named edges: (caller name, callee name, offset), by number.
                var named = new Dictionary<EdgeKey, int>(EdgeKey.Comparer.Instance);
                var keys = new List<EdgeKey>();
                var weights = new List<long>();
                long spelled = 0;
                for (int e = 0; e < _edgePairs.Count; e++)
                {
                    ulong pair = _edgePairs[e];
                    var caller = _nodes[(int)(pair >> 32)];
                    var callee = _nodes[(int)(uint)pair];
                    var key = new EdgeKey(caller.Name, callee.Name, hasStartLines, hasStartLines ? caller.Line - caller.StartLine : 0);
                    if (named.TryGetValue(key, out int at))
                    {
                        weights[at] = Add(weights[at], _edgeWeights[e]);
                    }
                    else
                    {
                        named.Add(key, keys.Count);
                        keys.Add(key);
                        weights.Add(_edgeWeights[e]);
                        spelled += _names[key.Caller].Length + _names[key.Callee].Length;
                        if (spelled > maxSpelledChars)
                        {
                            throw new ProfileFormatException($"the call graph's edges spell out more than {maxSpelledChars} characters of function names (the limit)");
                        }
                    }
                }

                cancellation.ThrowIfCancellationRequested();
                var rank = Ranks(cancellation);
                var order = new int[keys.Count];
                for (int i = 0; i < order.Length; i++)
                {
                    order[i] = i;
                }

                Array.Sort(order, (x, y) =>
                {
                    long wa = weights[x], wb = weights[y];
                    if (wa != wb)
                    {
                        return wa > wb ? -1 : 1;
                    }

                    EdgeKey a = keys[x], b = keys[y];
                    int c = rank[a.Caller].CompareTo(rank[b.Caller]);
                    if (c == 0)
                    {
                        c = rank[a.Callee].CompareTo(rank[b.Callee]);
                    }

                    if (c == 0)
                    {
                        c = a.HasOffset == b.HasOffset ? a.Offset.CompareTo(b.Offset) : (a.HasOffset ? 1 : -1);
                    }

                    return c;
                });

                var edges = new List<CallEdge>(order.Length);
                foreach (int i in order)
                {
                    var key = keys[i];
                    edges.Add(new CallEdge(_names[key.Caller], _names[key.Callee], key.HasOffset ? key.Offset : (long?)null, weights[i]));
                }

                var functionIds = new List<int>();
                for (int id = 0; id < _hasCum.Count; id++)
                {
                    if (_hasCum[id])
                    {
                        functionIds.Add(id);
                    }
                }

                functionIds.Sort((a, b) =>
                {
                    if (_flat[a] != _flat[b])
                    {
                        return _flat[a] > _flat[b] ? -1 : 1;
                    }

                    if (_cum[a] != _cum[b])
                    {
                        return _cum[a] > _cum[b] ? -1 : 1;
                    }

                    return rank[a].CompareTo(rank[b]);
                });

                var functions = new List<FunctionWeight>(functionIds.Count);
                foreach (int id in functionIds)
                {
                    functions.Add(new FunctionWeight(_names[id], _flat[id], _cum[id]));
                }

                CheckTotals(edges, functions);
                return new WeightedCallGraph(_type, _sampleCount, _sampleValue, hasStartLines, edges, functions);
            }

            /// <summary>Every name's place in Go's string order (UTF-8 bytes), each name compared as a string once per sort step.</summary>
            private int[] Ranks(CancellationToken cancellation)
            {
                var ids = new int[_names.Count];
                for (int i = 0; i < ids.Length; i++)
                {
                    ids[i] = i;
                }

                Array.Sort(ids, (a, b) => Utf8Ordinal.Instance.Compare(_names[a], _names[b]));
                cancellation.ThrowIfCancellationRequested();
                var rank = new int[ids.Length];
                for (int i = 0; i < ids.Length; i++)
                {
                    rank[ids[i]] = i;
                }

                return rank;
            }

            /// <summary>The totals the hot-site CDFs run against must exist: an overflow is the profile's error.</summary>
            private void CheckTotals(List<CallEdge> edges, List<FunctionWeight> functions)
            {
                long total = 0;
                foreach (var e in edges)
                {
                    total = Add(total, e.Weight);
                }

                total = 0;
                foreach (var f in functions)
                {
                    total = Add(total, f.Flat);
                }
            }

            [MethodImpl(Jit.Optimized)]
            private LocationNodes For(ProfileLocation location)
            {
                bool indexed = location.Index >= 0 && location.Index < _byIndex.Length;
                LocationNodes? info;
                if (indexed ? (info = _byIndex[location.Index]) != null : _locations.TryGetValue(location, out info))
                {
                    return info!;
                }

                int[] nodes, names;
                if (location.Lines.Count == 0)
                {
                    // Go: an empty line keeps the location's address as a nameless node.
                    nodes = new[] { Node(new NodeKey(Name(""), location.Address, 0, 0)) };
                    names = Array.Empty<int>();
                }
                else
                {
                    nodes = new int[location.Lines.Count];
                    names = new int[location.Lines.Count];
                    for (int i = 0; i < nodes.Length; i++)
                    {
                        var line = location.Lines[i];
                        names[i] = Name(line.Function.Name);
                        nodes[i] = Node(new NodeKey(names[i], location.Address, line.Function.StartLine, line.Line));
                    }
                }

                info = new LocationNodes(nodes, names);
                if (indexed)
                {
                    _byIndex[location.Index] = info;
                }
                else
                {
                    _locations.Add(location, info);
                }

                return info;
            }

            private int Name(string name)
            {
                int id = _names.Id(name);
                while (_flat.Count <= id)
                {
                    _flat.Add(0);
                    _cum.Add(0);
                    _hasCum.Add(false);
                    _nameStamp.Add(0);
                }

                return id;
            }

            private int Node(NodeKey key)
            {
                if (!_nodeIds.TryGetValue(key, out int id))
                {
                    id = _nodes.Count;
                    _nodes.Add(key);
                    _used.Add(false);
                    _nodeStamp.Add(0);
                    _nodeIds.Add(key, id);
                }

                return id;
            }

            private long Add(long a, long b)
            {
                try
                {
                    return checked(a + b);
                }
                catch (OverflowException)
                {
                    throw new ProfileFormatException($"the sample values of {_type} overflow a 64-bit integer when summed");
                }
            }
        }

        private sealed class LocationNodes
        {
            public LocationNodes(int[] nodes, int[] names)
            {
                Nodes = nodes;
                Names = names;
            }

            /// <summary>Graph nodes of the location's lines (innermost first, as the lines).</summary>
            public int[] Nodes { get; }

            /// <summary>Name ids of the location's lines (none for a location without lines).</summary>
            public int[] Names { get; }
        }

        /// <summary>Go's NodeInfo as its PGO code fills it: (name, address, start line, line).</summary>
        private readonly struct NodeKey
        {
            public NodeKey(int name, ulong address, long startLine, long line)
            {
                Name = name;
                Address = address;
                StartLine = startLine;
                Line = line;
            }

            public int Name { get; }
            public ulong Address { get; }
            public long StartLine { get; }
            public long Line { get; }

            public sealed class Comparer : IEqualityComparer<NodeKey>
            {
                public static readonly Comparer Instance = new Comparer();

                public bool Equals(NodeKey x, NodeKey y) => x.Name == y.Name && x.Address == y.Address && x.StartLine == y.StartLine && x.Line == y.Line;

                public int GetHashCode(NodeKey k) => KeyedHash.Of((ulong)k.Name, k.Address, (ulong)k.StartLine, (ulong)k.Line);
            }
        }

        private readonly struct EdgeKey
        {
            public EdgeKey(int caller, int callee, bool hasOffset, long offset)
            {
                Caller = caller;
                Callee = callee;
                HasOffset = hasOffset;
                Offset = offset;
            }

            public int Caller { get; }
            public int Callee { get; }
            public bool HasOffset { get; }
            public long Offset { get; }

            public sealed class Comparer : IEqualityComparer<EdgeKey>
            {
                public static readonly Comparer Instance = new Comparer();

                public bool Equals(EdgeKey x, EdgeKey y) => x.Caller == y.Caller && x.Callee == y.Callee && x.HasOffset == y.HasOffset && x.Offset == y.Offset;

                public int GetHashCode(EdgeKey k) => KeyedHash.Of(((ulong)(uint)k.Caller << 32) | (uint)k.Callee, (ulong)k.Offset, k.HasOffset ? 1UL : 0UL);
            }
        }
    }
}
