using System.Text;

namespace Pgo.Build.IO
{
    /// <summary>
    /// Escaping of one tab-separated field in our text formats: backslash, tab, LF and CR become
    /// <c>\\</c>, <c>\t</c>, <c>\n</c>, <c>\r</c>. Every other character is written as is (UTF-8), so .NET and Go
    /// symbol names stay readable. A row whose first field starts with <c>#</c> is written with a leading
    /// <c>\#</c> (see <see cref="TextTable"/>), so it cannot be taken for a metadata line.
    /// </summary>
    public static class FieldText
    {
        public static string Escape(string value)
        {
            if (value.IndexOfAny(Special) < 0)
            {
                return value;
            }

            var sb = new StringBuilder(value.Length + 8);
            foreach (char c in value)
            {
                switch (c)
                {
                    case '\\': sb.Append("\\\\"); break;
                    case '\t': sb.Append("\\t"); break;
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
    }
}
