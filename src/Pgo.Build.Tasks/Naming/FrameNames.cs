using System;
using System.Text;

namespace Pgo.Build.Naming
{
    /// <summary>Which producer's spelling a frame name is written in (docs/profile-dialects.md).</summary>
    public enum FrameDialect
    {
        /// <summary><c>pgo record</c>: readable name plus <c>Asm!Ns.Outer`1+Inner::Method(sig)</c> system name.</summary>
        Recorder,

        /// <summary>Pyroscope .NET: <c>Ns!Type.Nested&lt;T&gt;.Method&lt;M&gt;</c>.</summary>
        Pyroscope,

        /// <summary>Datadog .NET: <c>|lm:Asm |ns:Ns |ct:Type |cg:&lt;T&gt; |fn:Method |fg:&lt;M&gt; |sg:(args)</c>.</summary>
        Datadog,

        /// <summary>perf map (DOTNET_PerfMapEnabled): <c>ret [Asm] Ns.Type+Nested::Method(args)[Tier]</c>.</summary>
        PerfMap,

        /// <summary>EventPipe / TraceEvent: <c>Module!Ns.Type+Nested.Method(args)</c>, <c>List`1[System.__Canon]</c>.</summary>
        EventPipe,

        /// <summary>OpenTelemetry eBPF profiler: <c>Ns.Outer/Inner.Method</c>.</summary>
        OpenTelemetry,

        /// <summary>Any other dotted name (a plain .NET name, or another language's): matched by name alone.</summary>
        Plain,
    }

    /// <summary>
    /// A profile frame parsed into a .NET method identity. <see cref="Key"/> is the name every dialect agrees on:
    /// namespace, declaring types from the outermost, and method, joined with '.', without generic arguments,
    /// arity markers or parameters (<c>Ns.Outer.Inner.Method</c>; compiler-generated names such as
    /// <c>&lt;Invoke&gt;d__9</c> are kept as they are). Overloads and generic arities share a key.
    /// </summary>
    public sealed record MethodIdentity(string Key, FrameDialect Dialect, string? Assembly)
    {
        /// <summary>The method's simple name (after the last separator of <see cref="Key"/>).</summary>
        public string MethodName => Key.Substring(FrameNames.LastSeparator(Key) + 1);
    }

    /// <summary>Parses the frame-name dialects of .NET profilers into <see cref="MethodIdentity"/>.</summary>
    public static class FrameNames
    {
        /// <summary>
        /// The method a frame names, or null when it names none: native or unknown frames (<c>?!?</c>,
        /// <c>[native] …</c>, addresses), and broken names with an empty type such as Pyroscope's <c>!.Concat</c>.
        /// </summary>
        public static MethodIdentity? Parse(string name, string? systemName = null, string? fileName = null)
        {
            name = name.Trim();
            if (IsGoSource(fileName))
            {
                return null;
            }

            if (systemName != null && LooksLikeRecorderSystemName(systemName))
            {
                int bang = systemName.IndexOf('!');
                var key = KeyOf(systemName.Substring(bang + 1));
                return key == null ? null : new MethodIdentity(key, FrameDialect.Recorder, systemName.Substring(0, bang));
            }

            if (name.Length == 0)
            {
                return null;
            }

            if (name.StartsWith("|", StringComparison.Ordinal) && name.IndexOf("|fn:", StringComparison.Ordinal) >= 0)
            {
                return ParseDatadog(name);
            }

            int open = name.IndexOf('(');
            int colons = name.IndexOf("::", StringComparison.Ordinal);
            int bracket = name.IndexOf(" [", StringComparison.Ordinal);
            if (colons > 0 && bracket >= 0 && bracket < colons && open > colons)
            {
                return ParsePerfMap(name, bracket);
            }

            int bangAt = name.IndexOf('!');
            if (open >= 0 && bangAt > open)
            {
                bangAt = -1; // "!!0" in a parameter list, not a module or namespace separator
            }

            if (name.IndexOf('?', bangAt + 1) >= 0)
            {
                return null; // "?!?": a frame the producer could not name ("?!Ns.Type.Method()" only lost its module)
            }

            if (bangAt >= 0 && open > bangAt && name.EndsWith(")", StringComparison.Ordinal))
            {
                var key = KeyOf(name.Substring(bangAt + 1));
                string module = name.Substring(0, bangAt);
                return key == null ? null : new MethodIdentity(key, FrameDialect.EventPipe, module == "?" ? null : NullIfEmpty(module));
            }

            if (bangAt >= 0 && open < 0)
            {
                // Pyroscope: the part before '!' is the namespace (empty for the global one), the file name the assembly.
                string ns = name.Substring(0, bangAt);
                string rest = name.Substring(bangAt + 1);
                if (rest.Length == 0 || rest[0] == '.' || ns.IndexOf('<') >= 0)
                {
                    return null; // "!.Concat": the producer lost the type
                }

                var key = KeyOf(ns.Length == 0 ? rest : ns + "." + rest);
                return key == null ? null : new MethodIdentity(key, FrameDialect.Pyroscope, NullIfEmpty(fileName));
            }

            if (bangAt >= 0)
            {
                return null;
            }

            int slash = name.IndexOf('/');
            if (slash > 0)
            {
                // OpenTelemetry nests types with '/': the segment before the first '/' is a type ("Ns.Outer/Inner.M"),
                // which .NET names with a capital (or '<' when compiler-generated); a Go package path
                // ("example.com/pkg.F", "net/http.F") has a lower-case element there.
                int segment = name.LastIndexOf('.', slash) + 1;
                bool typeBeforeSlash = char.IsUpper(name[segment]) || name[segment] == '<';
                var key = typeBeforeSlash && open < 0 && name.IndexOf(' ') < 0 ? KeyOf(name) : null;
                return key == null ? null : new MethodIdentity(key, FrameDialect.OpenTelemetry, NullIfEmpty(fileName));
            }

            string head = open >= 0 ? name.Substring(0, open) : name; // "Ns.Type.Method(class System.Object)": TraceEvent's own names
            if (head.IndexOf(' ') >= 0 || name.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || name.StartsWith("[", StringComparison.Ordinal))
            {
                return null;
            }

            var plain = KeyOf(name);
            return plain == null ? null : new MethodIdentity(plain, FrameDialect.Plain, NullIfEmpty(fileName));
        }

        /// <summary>A frame of a Go program (its source file is a .go file): never a .NET method.</summary>
        public static bool IsGoSource(string? fileName) =>
            fileName != null && fileName.EndsWith(".go", StringComparison.Ordinal);

        /// <summary>
        /// The dialect-free key of a qualified name: separators '.', '+', '/' and '::' become '.', generic argument
        /// lists (<c>&lt;T&gt;</c>, <c>[System.__Canon]</c>), arity markers (<c>`1</c>, <c>``1</c>) and the parameter
        /// list are dropped; names that begin with '&lt;' (compiler-generated) and <c>.ctor</c>/<c>.cctor</c> are kept.
        /// Null when the name has no type part or an empty segment.
        /// </summary>
        public static string? KeyOf(string qualified)
        {
            var sb = new StringBuilder(qualified.Length);
            bool segmentStart = true;
            int segments = 0;
            int i = 0;
            while (i < qualified.Length)
            {
                char c = qualified[i];
                if (segmentStart)
                {
                    if (c == '<')
                    {
                        int end = MatchingClose(qualified, i, '<', '>');
                        if (end < 0)
                        {
                            return null;
                        }

                        sb.Append(qualified, i, end - i + 1);
                        i = end + 1;
                        segmentStart = false;
                        segments++;
                        continue;
                    }

                    if (c == '.' && (string.CompareOrdinal(qualified, i, ".ctor", 0, 5) == 0 || string.CompareOrdinal(qualified, i, ".cctor", 0, 6) == 0))
                    {
                        int length = qualified[i + 1] == 'c' && qualified.Length > i + 2 && qualified[i + 2] == 'c' ? 6 : 5;
                        sb.Append(qualified, i, length);
                        i += length;
                        segmentStart = false;
                        segments++;
                        continue;
                    }

                    if (IsSeparator(qualified, i, out _) || c == '(' || c == '[' || c == '`')
                    {
                        return null; // empty segment
                    }

                    segments++;
                    segmentStart = false;
                }

                if (c == '(')
                {
                    break;
                }

                if (IsSeparator(qualified, i, out int width))
                {
                    sb.Append('.');
                    i += width;
                    segmentStart = true;
                    continue;
                }

                if (c == '<' || c == '[')
                {
                    int end = MatchingClose(qualified, i, c, c == '<' ? '>' : ']');
                    if (end < 0)
                    {
                        return null;
                    }

                    i = end + 1;
                    continue;
                }

                if (c == '`')
                {
                    i++;
                    if (i < qualified.Length && qualified[i] == '`')
                    {
                        i++;
                    }

                    while (i < qualified.Length && char.IsDigit(qualified[i]))
                    {
                        i++;
                    }

                    continue;
                }

                if (char.IsWhiteSpace(c))
                {
                    return null;
                }

                sb.Append(c);
                i++;
            }

            if (segmentStart || segments < 2)
            {
                return null; // "Method" alone or a trailing separator: no type to match against
            }

            return sb.ToString();
        }

        /// <summary>Index of the '.' before the method name in a key (a <c>.ctor</c> keeps its own dot).</summary>
        internal static int LastSeparator(string key)
        {
            // A '.' inside a compiler-generated name ("<.cctor>b__0") is not a separator; "Type..ctor" splits before ".ctor".
            int depth = 0;
            for (int i = key.Length - 1; i >= 0; i--)
            {
                char c = key[i];
                if (c == '>')
                {
                    depth++;
                }
                else if (c == '<')
                {
                    depth--;
                }
                else if (c == '.' && depth == 0)
                {
                    return i > 0 && key[i - 1] == '.' ? i - 1 : i;
                }
            }

            return -1;
        }

        private static MethodIdentity? ParseDatadog(string name)
        {
            string? Field(string tag)
            {
                int at = name.IndexOf("|" + tag + ":", StringComparison.Ordinal);
                if (at < 0)
                {
                    return null;
                }

                int start = at + tag.Length + 2;
                int end = name.IndexOf(" |", start, StringComparison.Ordinal);
                return (end < 0 ? name.Substring(start) : name.Substring(start, end - start)).Trim();
            }

            string? module = Field("lm");
            string ns = Field("ns") ?? "";
            string type = Field("ct") ?? "";
            string method = Field("fn") ?? "";
            if (type.Length == 0 || method.Length == 0 || (module != null && module.StartsWith("[", StringComparison.Ordinal)))
            {
                return null; // "|lm:[native] GC |ns: |ct: |fn:..." and other synthetic frames
            }

            var key = KeyOf((ns.Length == 0 ? "" : ns + ".") + type + "." + method);
            return key == null ? null : new MethodIdentity(key, FrameDialect.Datadog, NullIfEmpty(module));
        }

        private static MethodIdentity? ParsePerfMap(string name, int bracket)
        {
            int close = name.IndexOf(']', bracket);
            if (close < 0 || close + 2 > name.Length)
            {
                return null;
            }

            string assembly = name.Substring(bracket + 2, close - bracket - 2);
            var key = KeyOf(name.Substring(close + 1).TrimStart());
            return key == null ? null : new MethodIdentity(key, FrameDialect.PerfMap, NullIfEmpty(assembly));
        }

        private static bool LooksLikeRecorderSystemName(string systemName)
        {
            int bang = systemName.IndexOf('!');
            int colons = systemName.IndexOf("::", StringComparison.Ordinal);
            int open = systemName.IndexOf('(');
            return bang > 0 && colons > bang && open > colons;
        }

        private static bool IsSeparator(string s, int i, out int width)
        {
            char c = s[i];
            if (c == ':' && i + 1 < s.Length && s[i + 1] == ':')
            {
                width = 2;
                return true;
            }

            width = 1;
            return c == '.' || c == '+' || c == '/';
        }

        private static int MatchingClose(string s, int open, char opening, char closing)
        {
            int depth = 0;
            for (int i = open; i < s.Length; i++)
            {
                if (s[i] == opening)
                {
                    depth++;
                }
                else if (s[i] == closing && --depth == 0)
                {
                    return i;
                }
            }

            return -1;
        }

        private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
    }
}
