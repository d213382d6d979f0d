using System;
using System.Collections.Generic;

namespace Pgo.Tool.Recording
{
    /// <summary>One compiled body of a method (a tier, an OSR variant, a rejit): its code range and IL map.</summary>
    internal sealed class CodeVersion
    {
        public CodeVersion(ulong start, uint size, JittedMethod method)
        {
            Start = start;
            Size = size;
            Method = method;
        }

        public ulong Start { get; }
        public uint Size { get; }
        public JittedMethod Method { get; }

        /// <summary>(native offset, IL offset) pairs sorted by native offset; IL &lt; 0 are the runtime's special values.</summary>
        public (uint Native, int Il)[] Map { get; set; } = Array.Empty<(uint, int)>();

        /// <summary>IL offset of the code at <paramref name="nativeOffset"/>, or null when the map does not say.</summary>
        public int? IlOffsetAt(uint nativeOffset)
        {
            int found = Search.LastAtOrBefore(Map.Length, i => Map[i].Native <= nativeOffset);
            if (found < 0)
            {
                return null;
            }

            // -2 is the prolog: the method's first line. -1 (no mapping: helper calls the JIT inserted) and -3 (epilog)
            // belong to the statement before them, so walk back to the closest real IL offset.
            for (int i = found; i >= 0; i--)
            {
                int il = Map[i].Il;
                if (il >= 0)
                {
                    return il;
                }

                if (il == -2)
                {
                    return 0;
                }
            }

            return null;
        }
    }

    internal static class Search
    {
        /// <summary>The last index in [0, count) for which the monotone predicate holds (true...true false...false), or -1.</summary>
        public static int LastAtOrBefore(int count, Func<int, bool> atOrBefore)
        {
            int lo = 0, hi = count - 1, found = -1;
            while (lo <= hi)
            {
                int mid = (lo + hi) / 2;
                if (atOrBefore(mid))
                {
                    found = mid;
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            return found;
        }
    }

    /// <summary>A method the runtime reported (MethodLoadVerbose or its rundown), identified by module and token.</summary>
    internal sealed record JittedMethod(ulong ModuleId, int Token, string Namespace, string Name, string Signature)
    {
        /// <summary>The runtime's own spelling, as in its PGO text: <c>Ns.Type+Nested.Method</c>.</summary>
        public string RuntimeName => Namespace.Length == 0 ? Name : Namespace + "." + Name;
    }

    /// <summary>One managed (on-CPU) stack sample: return addresses leaf first.</summary>
    internal readonly record struct StackSample(ulong[] Addresses);

    /// <summary>What a nettrace holds that a profile needs: modules, methods, code ranges, samples.</summary>
    internal sealed class TraceContents
    {
        public Dictionary<ulong, string> Modules { get; } = new Dictionary<ulong, string>();
        public List<CodeVersion> Code { get; } = new List<CodeVersion>();
        public List<StackSample> Samples { get; } = new List<StackSample>();
        public int ExternalSamples { get; set; }

        /// <summary>The trace ended in the middle of a block; what came before it was read.</summary>
        public bool Truncated { get; set; }
        public DateTime? FirstEvent { get; set; }
        public DateTime? LastEvent { get; set; }

        private CodeVersion[]? _sorted;

        public CodeVersion? Find(ulong address)
        {
            _sorted ??= SortCode();
            var sorted = _sorted;
            int found = Search.LastAtOrBefore(sorted.Length, i => sorted[i].Start <= address);
            if (found < 0)
            {
                return null;
            }

            var code = _sorted[found];
            return address < code.Start + code.Size ? code : null;
        }

        private CodeVersion[] SortCode()
        {
            var sorted = Code.ToArray();
            Array.Sort(sorted, (a, b) => a.Start.CompareTo(b.Start));
            return sorted;
        }
    }
}
