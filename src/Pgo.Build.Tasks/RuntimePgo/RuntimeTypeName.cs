using System;
using System.Collections.Generic;

namespace Pgo.Build.RuntimePgo
{
    /// <summary>
    /// The runtime's spelling of instantiated names in its PGO text: <c>Ns.Outer`2+Inner[System.__Canon,System.Int64].Method</c>,
    /// arguments themselves possibly instantiated (<c>KeyValuePair`2[System.__Canon,System.Int64]</c>).
    /// </summary>
    public static class RuntimeTypeName
    {
        /// <summary>
        /// The type arguments of an instantiated method name (<c>Type`1[Arg].Method</c>); null when the name has
        /// none or instantiates the method itself (<c>Type.Method[Arg]</c>), which is not supported.
        /// </summary>
        public static IReadOnlyList<string>? TypeArguments(string instantiatedMethodName)
        {
            if (instantiatedMethodName.EndsWith("]", StringComparison.Ordinal))
            {
                return null;
            }

            int lastDot = instantiatedMethodName.LastIndexOf('.');
            if (lastDot > 0 && instantiatedMethodName[lastDot - 1] == '.')
            {
                lastDot--; // a constructor: Type`1[Arg]..ctor, Type`1[Arg]..cctor
            }

            if (lastDot <= 0 || instantiatedMethodName[lastDot - 1] != ']')
            {
                return null;
            }

            var (_, arguments) = SplitInstantiation(instantiatedMethodName.Substring(0, lastDot));
            return arguments.Count == 0 ? null : arguments;
        }

        /// <summary><c>Name`2[A,B[C]]</c> → (<c>Name`2</c>, [<c>A</c>, <c>B[C]</c>]); a name without brackets → (name, []).</summary>
        public static (string Name, IReadOnlyList<string> Arguments) SplitInstantiation(string typeName)
        {
            int open = typeName.IndexOf('[');
            if (open < 0 || !typeName.EndsWith("]", StringComparison.Ordinal))
            {
                return (typeName, Array.Empty<string>());
            }

            var arguments = new List<string>();
            int depth = 0, start = open + 1;
            for (int i = open + 1; i < typeName.Length - 1; i++)
            {
                char c = typeName[i];
                if (c == '[')
                {
                    depth++;
                }
                else if (c == ']')
                {
                    depth--;
                }
                else if (c == ',' && depth == 0)
                {
                    arguments.Add(typeName.Substring(start, i - start).Trim());
                    start = i + 1;
                }
            }

            arguments.Add(typeName.Substring(start, typeName.Length - 1 - start).Trim());
            return (typeName.Substring(0, open), arguments);
        }
    }
}
