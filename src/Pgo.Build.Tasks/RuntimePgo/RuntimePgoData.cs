using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace Pgo.Build.RuntimePgo
{
    /// <summary>Instrumentation kinds of the runtime's PGO schema (dotnet/runtime corjit.h), the ones we name.</summary>
    public static class InstrumentationKind
    {
        public const int BasicBlockIntCount = 0x41;
        public const int BasicBlockLongCount = 0x42;
        public const int HandleHistogramIntCount = 0xB1;
        public const int HandleHistogramLongCount = 0x82;
        public const int HandleHistogramTypes = 0xC3;
        public const int HandleHistogramMethods = 0xC4;
        public const int Version = 0x100;
        public const int NumRuns = 0x140;
        public const int EdgeIntCount = 0x181;
        public const int EdgeLongCount = 0x182;
        public const int GetLikelyClass = 0x1C3;
        public const int GetLikelyMethod = 0x1C4;
        public const int ValueHistogramIntCount = 0x231;
        public const int ValueHistogramLongCount = 0x202;
        public const int ValueHistogram = 0x242;

        /// <summary>The low 4 bits of a kind: how each entry is stored and printed (corjit.h PgoInstrumentationKind).</summary>
        public const int DataMask = 0xF;

        /// <summary>No data: the runtime prints <c>None</c> per entry (the value, if any, is in <c>Other</c>).</summary>
        public const int DataNone = 0;

        /// <summary>32-bit entries, printed <c>%u</c>.</summary>
        public const int DataFourByte = 1;

        /// <summary>64-bit entries, printed as two 32-bit halves <c>%u %u</c> (low, then high).</summary>
        public const int DataEightByte = 2;

        public const int DataTypeHandle = 3;
        public const int DataMethodHandle = 4;

        /// <summary>Records whose values are type or method handles (texts), not numbers.</summary>
        public static bool IsHandleTable(int kind) =>
            kind == HandleHistogramTypes || kind == HandleHistogramMethods || kind == GetLikelyClass || kind == GetLikelyMethod;

        /// <summary>An edge count: its IL offset is the source block's, <c>Other</c> the target block's.</summary>
        public static bool IsEdge(int kind) => kind == EdgeIntCount || kind == EdgeLongCount;

        public static bool IsCallRecord(int kind) =>
            kind == HandleHistogramIntCount || kind == HandleHistogramLongCount || IsHandleTable(kind);
    }

    /// <summary>
    /// One schema record: kind, IL offset, the <c>Other</c> field and its values: one count per entry for 4- and 8-byte
    /// kinds (an 8-byte entry's two printed halves joined into one value), one text per entry for handle kinds.
    /// </summary>
    public sealed record RuntimePgoRecord(int Kind, int IlOffset, long Other, IReadOnlyList<long> Counts, IReadOnlyList<string> Handles);

    /// <summary>One method's instrumentation data as the runtime wrote it.</summary>
    public sealed record RuntimePgoMethod(
        long CodeHash, long MethodHash, int IlSize, string MethodName, string Signature, IReadOnlyList<RuntimePgoRecord> Records)
    {
        /// <summary>Type part of <see cref="MethodName"/> (<c>Ns.Type+Nested`1[System.__Canon]</c>), "" for global methods.</summary>
        public string TypeName => SplitName().Type;

        /// <summary>Simple method name (<c>Eval</c>, <c>.ctor</c>).</summary>
        public string SimpleName => SplitName().Method;

        private (string Type, string Method) SplitName()
        {
            // The type may contain '.' inside generic arguments; the method name follows the last '.' outside brackets,
            // and ".ctor"/".cctor" keep their leading dot.
            int depth = 0;
            int split = -1;
            for (int i = 0; i < MethodName.Length; i++)
            {
                char c = MethodName[i];
                if (c == '[')
                {
                    depth++;
                }
                else if (c == ']')
                {
                    depth--;
                }
                else if (c == '.' && depth == 0)
                {
                    split = i;
                }
            }

            if (split > 0 && MethodName[split - 1] == '.')
            {
                split--;
            }

            return split < 0 ? ("", MethodName) : (MethodName.Substring(0, split), MethodName.Substring(split + 1));
        }
    }

    /// <summary>
    /// Reads the text the runtime writes at shutdown with <c>DOTNET_WritePGOData=1</c> and
    /// <c>DOTNET_PGODataPath</c> (dotnet/runtime src/coreclr/vm/pgo.cpp). Malformed input throws
    /// <see cref="FormatException"/> naming the line.
    /// </summary>
    public static class RuntimePgoText
    {
        public static IReadOnlyList<RuntimePgoMethod> Read(string path)
        {
            using var reader = new StreamReader(path);
            return Read(reader);
        }

        public static IReadOnlyList<RuntimePgoMethod> Read(TextReader reader)
        {
            var methods = new List<RuntimePgoMethod>();
            int lineNumber = 0;
            string? Next()
            {
                string? l = reader.ReadLine();
                if (l != null)
                {
                    lineNumber++;
                }

                return l;
            }

            string? line = Next();
            while (line != null)
            {
                if (!line.StartsWith("@@@", StringComparison.Ordinal))
                {
                    line = Next();
                    continue;
                }

                var header = Fields(line, lineNumber);
                long codeHash = Hex(header, "codehash", lineNumber);
                long methodHash = Hex(header, "methodhash", lineNumber);
                int ilSize = (int)Hex(header, "ilSize", lineNumber);
                int recordCount = (int)Hex(header, "records", lineNumber);
                string name = Prefixed(Next(), "MethodName: ", lineNumber);
                string signature = Prefixed(Next(), "Signature: ", lineNumber);
                var records = new List<RuntimePgoRecord>(recordCount);
                for (int r = 0; r < recordCount; r++)
                {
                    string schema = Prefixed(Next(), "Schema ", lineNumber);
                    var f = Fields(schema, lineNumber);
                    int kind = (int)Dec(f, "InstrumentationKind", lineNumber);
                    int ilOffset = (int)Dec(f, "ILOffset", lineNumber);
                    int count = (int)Dec(f, "Count", lineNumber);
                    long other = Dec(f, "Other", lineNumber);
                    var counts = new List<long>();
                    var handles = new List<string>();
                    int data = kind & InstrumentationKind.DataMask;

                    // The runtime prints one line per entry, and nothing at all for data kinds it does not know.
                    for (int i = 0; i < count && data <= InstrumentationKind.DataMethodHandle; i++)
                    {
                        string value = Next() ?? throw new FormatException($"line {lineNumber}: unexpected end of PGO data");
                        int colon = value.IndexOf(": ", StringComparison.Ordinal);
                        if (colon > 0)
                        {
                            handles.Add(value.Substring(colon + 2));
                        }
                        else if (data != InstrumentationKind.DataNone || value.Trim() != "None")
                        {
                            counts.Add(Count(value, data, lineNumber));
                        }
                    }

                    records.Add(new RuntimePgoRecord(kind, ilOffset, other, counts, handles));
                }

                methods.Add(new RuntimePgoMethod(codeHash, methodHash, ilSize, name, signature, records));
                line = Next();
            }

            return methods;
        }

        /// <summary>One entry's number: <c>%u</c>, or <c>%u %u</c> (low and high half) for 8-byte kinds.</summary>
        private static long Count(string value, int data, int lineNumber)
        {
            var parts = value.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            if (data == InstrumentationKind.DataEightByte)
            {
                if (parts.Length == 2 &&
                    uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out uint low) &&
                    uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out uint high))
                {
                    return (long)(((ulong)high << 32) | low);
                }

                throw new FormatException($"line {lineNumber}: expected an 8-byte count as two 32-bit halves, found '{value}'");
            }

            if (parts.Length == 1 && long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long n))
            {
                return n;
            }

            throw new FormatException($"line {lineNumber}: expected a count, found '{value}'");
        }

        private static string Prefixed(string? line, string prefix, int lineNumber)
        {
            if (line == null || !line.StartsWith(prefix, StringComparison.Ordinal))
            {
                throw new FormatException($"line {lineNumber}: expected '{prefix.Trim()}'");
            }

            return line.Substring(prefix.Length);
        }

        private static Dictionary<string, string> Fields(string line, int lineNumber)
        {
            var parts = line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = parts.Length > 0 && parts[0] == "@@@" ? 1 : 0; i + 1 < parts.Length; i += 2)
            {
                map[parts[i]] = parts[i + 1];
            }

            return map;
        }

        private static long Hex(Dictionary<string, string> f, string key, int lineNumber)
        {
            if (f.TryGetValue(key, out var s) && s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) &&
                long.TryParse(s.Substring(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long v))
            {
                return v;
            }

            throw new FormatException($"line {lineNumber}: missing or invalid '{key}'");
        }

        private static long Dec(Dictionary<string, string> f, string key, int lineNumber)
        {
            if (f.TryGetValue(key, out var s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v))
            {
                return v;
            }

            throw new FormatException($"line {lineNumber}: missing or invalid '{key}'");
        }
    }
}
