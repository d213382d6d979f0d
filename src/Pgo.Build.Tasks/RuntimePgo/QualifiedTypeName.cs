using System;
using System.Collections.Generic;
using Pgo.Build.Metadata;

namespace Pgo.Build.RuntimePgo
{
    /// <summary>
    /// A type as the runtime names it in a receiver-type record, parsed: <c>Ns.Outer`1+Inner[[Arg, ArgAsm, ...]], Asm,
    /// Version=...</c> (arguments assembly-qualified in their own brackets; the unqualified <c>Outer`1[Arg1,Arg2]</c> of
    /// method names is read too), with array suffixes <c>[]</c> and <c>[,]</c>. Pointers, byrefs and escaped names are
    /// not read (null).
    /// </summary>
    public sealed class QualifiedTypeName
    {
        private const int MaxDepth = 32;

        private QualifiedTypeName(string assembly, string fullName, IReadOnlyList<QualifiedTypeName> arguments, IReadOnlyList<int> arrayRanks)
        {
            Assembly = assembly;
            FullName = fullName;
            Arguments = arguments;
            ArrayRanks = arrayRanks;
        }

        /// <summary>Simple name of the defining assembly; "" when the text does not say.</summary>
        public string Assembly { get; }

        /// <summary>Metadata name of the definition: <c>Ns.Outer`1+Inner</c>.</summary>
        public string FullName { get; }

        /// <summary>Generic arguments of the whole nesting chain, in order (empty for a non-generic type).</summary>
        public IReadOnlyList<QualifiedTypeName> Arguments { get; }

        /// <summary>Array suffixes, innermost first (rank 1 is a vector <c>[]</c>).</summary>
        public IReadOnlyList<int> ArrayRanks { get; }

        public static QualifiedTypeName? Parse(string text)
        {
            if (text.IndexOf('\\') >= 0)
            {
                return null;
            }

            int pos = 0;
            var result = ParseQualified(text, ref pos, 0, topLevel: true);
            return result != null && pos == text.Length ? result : null;
        }

        /// <summary>
        /// The type as the program's model: definitions from <paramref name="definition"/> (assembly, full name →
        /// the open definition, null when unknown), <c>System.__Canon</c> as the canonical type; null when any part
        /// cannot be resolved.
        /// </summary>
        public TypeModel? ToModel(Func<string, string, TypeModel?> definition)
        {
            if (FullName == "System.__Canon")
            {
                return Arguments.Count == 0 && ArrayRanks.Count == 0 ? TypeModel.Canon : null;
            }

            var open = Assembly.Length == 0 ? null : definition(Assembly, FullName);
            if (open == null || open.Arguments.Count != 0)
            {
                return null;
            }

            var type = open;
            if (Arguments.Count > 0)
            {
                var arguments = new TypeModel[Arguments.Count];
                for (int i = 0; i < arguments.Length; i++)
                {
                    if (Arguments[i].ToModel(definition) is not TypeModel argument)
                    {
                        return null;
                    }

                    arguments[i] = argument;
                }

                type = open.Instantiate(arguments);
                if (type == null)
                {
                    return null;
                }
            }

            foreach (int rank in ArrayRanks)
            {
                type = TypeModel.Array(type, rank, rank == 1);
            }

            return type;
        }

        private static QualifiedTypeName? ParseQualified(string text, ref int pos, int depth, bool topLevel)
        {
            var type = ParseType(text, ref pos, depth);
            if (type == null)
            {
                return null;
            }

            if (pos < text.Length && text[pos] == ',')
            {
                // ", Asm, Version=..., Culture=..., PublicKeyToken=..." up to the end, or to the argument's closing bracket.
                int end = topLevel ? text.Length : text.IndexOf(']', pos);
                if (end < 0)
                {
                    return null;
                }

                string rest = text.Substring(pos + 1, end - pos - 1);
                int comma = rest.IndexOf(',');
                string assembly = (comma < 0 ? rest : rest.Substring(0, comma)).Trim();
                pos = end;
                return assembly.Length == 0 ? null : new QualifiedTypeName(assembly, type.FullName, type.Arguments, type.ArrayRanks);
            }

            return type;
        }

        private static QualifiedTypeName? ParseType(string text, ref int pos, int depth)
        {
            if (depth > MaxDepth)
            {
                return null;
            }

            int start = pos;
            while (pos < text.Length && text[pos] != '[' && text[pos] != ']' && text[pos] != ',' && text[pos] != '*' && text[pos] != '&')
            {
                pos++;
            }

            string name = text.Substring(start, pos - start).Trim();
            if (name.Length == 0)
            {
                return null;
            }

            var arguments = new List<QualifiedTypeName>();
            if (pos + 1 < text.Length && text[pos] == '[' && text[pos + 1] != ']' && text[pos + 1] != ',')
            {
                pos++; // '['
                while (true)
                {
                    QualifiedTypeName? argument;
                    if (text[pos] == '[')
                    {
                        pos++;
                        argument = ParseQualified(text, ref pos, depth + 1, topLevel: false);
                        if (argument == null || pos >= text.Length || text[pos] != ']')
                        {
                            return null;
                        }

                        pos++;
                    }
                    else
                    {
                        argument = ParseType(text, ref pos, depth + 1);
                        if (argument == null)
                        {
                            return null;
                        }
                    }

                    arguments.Add(argument);
                    if (pos >= text.Length)
                    {
                        return null;
                    }

                    if (text[pos] == ']')
                    {
                        pos++;
                        break;
                    }

                    if (text[pos] != ',' || ++pos >= text.Length)
                    {
                        return null;
                    }
                }
            }

            var ranks = new List<int>();
            while (pos + 1 < text.Length && text[pos] == '[' && (text[pos + 1] == ']' || text[pos + 1] == ','))
            {
                int rank = 1;
                pos++;
                while (pos < text.Length && text[pos] == ',')
                {
                    rank++;
                    pos++;
                }

                if (pos >= text.Length || text[pos] != ']')
                {
                    return null;
                }

                pos++;
                ranks.Add(rank);
            }

            if (pos < text.Length && (text[pos] == '*' || text[pos] == '&'))
            {
                return null;
            }

            return new QualifiedTypeName("", name, arguments, ranks);
        }
    }
}
