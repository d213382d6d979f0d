using System;
using System.Collections.Generic;
using System.Linq;
using Pgo.Build.Metadata;
using Pgo.Build.RuntimePgo;

namespace Pgo.Build.Matching
{
    /// <summary>The recorded data of one method of this build whose IL is unchanged since the recording.</summary>
    /// <remarks>
    /// <see cref="TypeArguments"/>: for a method of a generic type, the instantiation the runtime recorded
    /// (<c>System.__Canon</c> for shared code, value types exactly); empty for other methods.
    /// </remarks>
    public sealed record MatchedMethod(MethodSymbol Method, IReadOnlyList<RuntimeRecord> Records)
    {
        public IReadOnlyList<string> TypeArguments { get; init; } = Array.Empty<string>();
    }

    /// <summary>How the recorded methods of one assembly matched this build (for the summary and docs).</summary>
    public sealed record RecordMatchReport(int Recorded, int Matched, int Changed, int Missing, int GenericSkipped)
    {
        public override string ToString() =>
            $"{Matched} of {Recorded} recorded methods matched ({Changed} changed since recording, {Missing} not found, {GenericSkipped} instantiated generic methods skipped)";
    }

    /// <summary>
    /// Matches the runtime records of a profile to the methods of one compiled assembly: by metadata identity
    /// (<c>system_name</c>), then by IL fingerprint. Only methods whose IL is unchanged keep their records: their IL
    /// offsets are exact. An edited method loses its own records and nothing else (source stability).
    /// </summary>
    public static class RuntimeRecordMatcher
    {
        public static (IReadOnlyList<MatchedMethod> Matched, RecordMatchReport Report) Match(AssemblySymbols assembly, IEnumerable<RuntimeRecord> records)
        {
            string prefix = assembly.AssemblyName + "!";
            var bySystemName = new Dictionary<string, MethodSymbol>(StringComparer.Ordinal);
            foreach (var method in assembly.Methods())
            {
                bySystemName[method.SystemName] = method;
            }

            var matched = new List<MatchedMethod>();
            int recorded = 0, changed = 0, missing = 0, generic = 0;
            var groups = records
                .Where(r => r.Method.StartsWith(prefix, StringComparison.Ordinal))
                .GroupBy(r => (r.Method, r.Instantiation, r.IlHash))
                .OrderBy(g => g.Key.Method, StringComparer.Ordinal).ThenBy(g => g.Key.Instantiation, StringComparer.Ordinal).ThenBy(g => g.Key.IlHash);
            foreach (var group in groups)
            {
                recorded++;
                IReadOnlyList<string> typeArguments = Array.Empty<string>();
                if (group.Key.Instantiation.Length > 0)
                {
                    var parsed = RuntimeTypeName.TypeArguments(group.Key.Instantiation);
                    if (parsed == null)
                    {
                        generic++; // an instantiated generic method: not written yet
                        continue;
                    }

                    typeArguments = parsed;
                }

                if (!bySystemName.TryGetValue(group.Key.Method, out var method))
                {
                    missing++;
                    continue;
                }

                var first = group.First();
                if (first.IlHash != method.IlHash || first.IlSize != method.IlSize)
                {
                    changed++;
                    continue;
                }

                var list = group.ToList();
                list.Sort(RuntimeRecord.Compare);
                matched.Add(new MatchedMethod(method, list) { TypeArguments = typeArguments });
            }

            return (matched, new RecordMatchReport(recorded, matched.Count, changed, missing, generic));
        }
    }
}
