using System.Text;

namespace Pgo.Build.IO
{
    /// <summary>
    /// Escaping of one tab-separated field in our text formats: backslash, tab, LF and CR become
    /// <c>\\</c>, <c>\t</c>, <c>\n</c>, <c>\r</c>. Every other character is written as is (UTF-8), so .NET and Go
    /// symbol names stay readable. A row whose first field starts with <c>#</c> is written with a leading
    /// <c>\#</c> (see <see cref="TextTable"/>), so it cannot be taken for a metadata line.
    /// A metadata value (<c># key: value</c>, to the end of its line) is escaped the same way except that a tab
    /// stays as it is (<see cref="EscapeValue"/>); <see cref="Unescape"/> reads both back.
    /// </summary>
    public static class FieldText
    {
        public static string Escape(string value) => Escape(value, escapeTab: true);

        /// <summary>Escapes a metadata value: backslash, LF and CR (the characters that could end or fake a line).</summary>
        public static string EscapeValue(string value) => Escape(value, escapeTab: false);

        private static string Escape(string value, bool escapeTab)
        {
            if (value.IndexOfAny(escapeTab ? Special : LineSpecial) < 0)
            {
                return value;
            }

            var sb = new StringBuilder(value.Length + 8);
            foreach (char c in value)
            {
                switch (c)
                {
                    case '\\': sb.Append("\\\\"); break;
                    case '\t' when escapeTab: sb.Append("\\t"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    default: sb.Append(c); break;
                }
            }

            return sb.ToString();
        }

        public static string Unescape(string value)
        {
            if (value.IndexOf('\\') < 0)
            {
                return value;
            }

            var sb = new StringBuilder(value.Length);
            for (int i = 0; i < value.Length; i++)
            {
                char c = value[i];
                if (c != '\\' || i + 1 == value.Length)
                {
                    sb.Append(c);
                    continue;
                }

                char n = value[++i];
                switch (n)
                {
                    case 't': sb.Append('\t'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case '\\': sb.Append('\\'); break;
                    case '#': sb.Append('#'); break;
                    default: sb.Append('\\').Append(n); break;
                }
            }

            return sb.ToString();
        }

        private static readonly char[] Special = { '\\', '\t', '\n', '\r' };
        private static readonly char[] LineSpecial = { '\\', '\n', '\r' };
    }
}
