using System;
using System.Collections.Generic;
using Pgo.Build.Metadata;
using Pgo.Build.Naming;

namespace Pgo.Build.Mibc
{
    /// <summary>The methods of an assembly by their dialect-free frame-name key (<see cref="FrameNames.KeyOf"/>); overloads share a key.</summary>
    internal static class MethodKeys
    {
        public static Dictionary<string, List<MethodSymbol>> Of(AssemblySymbols assembly)
        {
            var byKey = new Dictionary<string, List<MethodSymbol>>(StringComparer.Ordinal);
            foreach (var method in assembly.Methods())
            {
                string? key = FrameNames.KeyOf(method.Name);
                if (key == null)
                {
                    continue;
                }

                if (!byKey.TryGetValue(key, out var list))
                {
                    byKey.Add(key, list = new List<MethodSymbol>());
                }

                list.Add(method);
            }

            return byKey;
        }
    }
}
