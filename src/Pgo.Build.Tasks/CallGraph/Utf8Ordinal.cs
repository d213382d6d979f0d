using System.Collections.Generic;

namespace Pgo.Build.CallGraph
{
    /// <summary>
    /// Orders strings by Unicode code point, which is the byte order of their UTF-8 encodings: the order
    /// Go's <c>string &lt;</c> gives. Plain UTF-16 ordinal order differs for characters above U+E000 versus
    /// surrogate pairs, and Go's preprocessed profile must be reproduced byte for byte.
    /// </summary>
    public sealed class Utf8Ordinal : IComparer<string>
    {
        public static Utf8Ordinal Instance { get; } = new Utf8Ordinal();

        public int Compare(string? x, string? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }

            if (x is null)
            {
                return -1;
            }

            if (y is null)
            {
                return 1;
            }

            int n = x.Length < y.Length ? x.Length : y.Length;
            for (int i = 0; i < n; i++)
            {
                char a = x[i], b = y[i];
                if (a != b)
                {
                    return Fix(a) - Fix(b);
                }
            }

            return x.Length - y.Length;
        }

        // Moves surrogates (U+D800..U+DFFF) above U+E000..U+FFFF so UTF-16 units compare in code point order.
        private static int Fix(char c) => c >= 0xE000 ? c - 0x800 : c >= 0xD800 ? c + 0x2000 : c;
    }
}
