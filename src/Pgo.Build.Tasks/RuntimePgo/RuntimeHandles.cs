using System;
using System.Collections.Generic;
using System.Linq;

namespace Pgo.Build.RuntimePgo
{
    /// <summary>
    /// The runtime's handle texts: assembly-qualified type names (<c>Ns.Outer+Inner, Asm, Version=...</c>, generic
    /// arguments in brackets, themselves assembly-qualified) and delegate targets (<c>name|@|assembly-qualified type</c>).
    /// </summary>
    public static class RuntimeHandles
    {
        private const string MethodSeparator = "|@|";

        /// <summary>The type part: up to the first comma outside brackets.</summary>
        public static string TypePart(string assemblyQualified)
        {
            int comma = TopLevelComma(assemblyQualified);
            return comma < 0 ? assemblyQualified : assemblyQualified.Substring(0, comma);
        }

        /// <summary>The simple assembly name after the type part; "" when there is none.</summary>
        public static string AssemblyPart(string assemblyQualified)
        {
            int comma = TopLevelComma(assemblyQualified);
            if (comma < 0)
            {
                return "";
            }

            string rest = assemblyQualified.Substring(comma + 1);
            int next = rest.IndexOf(',');
            return (next < 0 ? rest : rest.Substring(0, next)).Trim();
        }

        /// <summary>Whether the type is a generic instantiation (its name carries bracketed arguments).</summary>
        public static bool IsGenericInstantiation(string assemblyQualified) => TypePart(assemblyQualified).IndexOf('[') >= 0;

        /// <summary>Readable form of a handle: <c>Ns.Type</c> for a type, <c>Ns.Type.Method</c> for a delegate target.</summary>
        public static string DisplayName(string handle)
        {
            int at = handle.IndexOf(MethodSeparator, StringComparison.Ordinal);
            return at < 0 ? TypePart(handle) : TypePart(handle.Substring(at + MethodSeparator.Length)) + "." + handle.Substring(0, at);
        }

        private static int TopLevelComma(string text)
        {
            int depth = 0;
            for (int i = 0; i < text.Length; i++)
            {
                switch (text[i])
                {
                    case '[': depth++; break;
                    case ']': depth--; break;
                    case ',' when depth == 0: return i;
                }
            }

            return -1;
        }
    }

    /// <summary>One recorded call site's receiver-type (or delegate-target) histogram, summed over its entries.</summary>
    public sealed record CallSiteHistogram(string MethodName, int IlOffset, long Line, long StartLine, int Kind, long Slots, RuntimeRecord Dominant)
    {
        public string Site => $"{MethodName} +{Line - StartLine} (IL_{IlOffset:x4})";

        public double DominantShare => Slots == 0 ? 0 : (double)Dominant.Value / Slots;

        /// <summary>The histograms among <paramref name="records"/>, busiest first (then method, IL offset).</summary>
        public static IReadOnlyList<CallSiteHistogram> Of(IEnumerable<RuntimeRecord> records) => records
            .Where(r => r.Kind == InstrumentationKind.HandleHistogramTypes || r.Kind == InstrumentationKind.HandleHistogramMethods)
            .GroupBy(r => (r.Method, r.MethodName, r.Instantiation, r.IlHash, r.IlOffset, r.Line, r.StartLine, r.Kind), SiteComparer.Instance)
            .Select(g => new CallSiteHistogram(g.Key.MethodName, g.Key.IlOffset, g.Key.Line, g.Key.StartLine, g.Key.Kind, Profiles.Saturating.Sum(g.Select(r => r.Value)),
                g.OrderByDescending(r => r.Value).ThenBy(r => r.Handle, StringComparer.Ordinal).First()))
            .OrderByDescending(h => h.Slots).ThenBy(h => h.Dominant.Method, StringComparer.Ordinal).ThenBy(h => h.IlOffset)
            .ToList();
    }

    /// <summary>Call sites compared by value, numbers hashed with a per-process key (a profile chooses them).</summary>
    internal sealed class SiteComparer : IEqualityComparer<(string Method, string MethodName, string Instantiation, long IlHash, int IlOffset, long Line, long StartLine, int Kind)>
    {
        public static readonly SiteComparer Instance = new SiteComparer();

        public bool Equals(
            (string Method, string MethodName, string Instantiation, long IlHash, int IlOffset, long Line, long StartLine, int Kind) x,
            (string Method, string MethodName, string Instantiation, long IlHash, int IlOffset, long Line, long StartLine, int Kind) y) =>
            x.IlHash == y.IlHash && x.IlOffset == y.IlOffset && x.Line == y.Line && x.StartLine == y.StartLine && x.Kind == y.Kind &&
            string.Equals(x.Method, y.Method, StringComparison.Ordinal) && string.Equals(x.MethodName, y.MethodName, StringComparison.Ordinal) &&
            string.Equals(x.Instantiation, y.Instantiation, StringComparison.Ordinal);

        public int GetHashCode((string Method, string MethodName, string Instantiation, long IlHash, int IlOffset, long Line, long StartLine, int Kind) k) =>
            StringComparer.Ordinal.GetHashCode(k.Method) ^
            Profiles.KeyedHash.Of((ulong)k.IlHash, ((ulong)(uint)k.IlOffset << 32) | (uint)k.Kind, (ulong)k.Line, (ulong)k.StartLine);
    }
}
