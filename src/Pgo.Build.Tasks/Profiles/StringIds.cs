using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace Pgo.Build.Profiles
{
    /// <summary>
    /// Numbers distinct strings 0, 1, 2, ... in order of first sight. A string object seen before is found by
    /// reference (constant time, whatever its length); only a new object is hashed by content, so a long name
    /// shared by many records (the decoder gives equal strings one object) is hashed once, not once per use.
    /// </summary>
    public sealed class StringIds
    {
        private readonly Dictionary<string, int> _byReference = new Dictionary<string, int>(ByReference<string>.Instance);
        private readonly Dictionary<string, int> _byContent = new Dictionary<string, int>(StringComparer.Ordinal);
        private readonly List<string> _strings = new List<string>();

        public int Count => _strings.Count;

        public string this[int id] => _strings[id];

        public int Id(string s)
        {
            if (_byReference.TryGetValue(s, out int id))
            {
                return id;
            }

            if (!_byContent.TryGetValue(s, out id))
            {
                id = _strings.Count;
                _strings.Add(s);
                _byContent.Add(s, id);
            }

            _byReference.Add(s, id);
            return id;
        }

    }

    /// <summary>Object identity as equality (records and strings otherwise compare by value, in time that grows with them).</summary>
    public sealed class ByReference<T> : IEqualityComparer<T>
        where T : class
    {
        public static readonly ByReference<T> Instance = new ByReference<T>();

        public bool Equals(T? x, T? y) => ReferenceEquals(x, y);

        public int GetHashCode(T obj) => RuntimeHelpers.GetHashCode(obj);
    }

    /// <summary>
    /// Functions compared by their strings' references and start line: right within one decoded profile, whose
    /// equal strings are one object; the start line is hashed with <see cref="KeyedHash"/>.
    /// </summary>
    internal sealed class InternedFunctionComparer : IEqualityComparer<ProfileFunction>
    {
        public static readonly InternedFunctionComparer Instance = new InternedFunctionComparer();

        public bool Equals(ProfileFunction? x, ProfileFunction? y) =>
            ReferenceEquals(x, y) || (x != null && y != null && ReferenceEquals(x.Name, y.Name) && ReferenceEquals(x.SystemName, y.SystemName) &&
                ReferenceEquals(x.FileName, y.FileName) && x.StartLine == y.StartLine);

        public int GetHashCode(ProfileFunction obj) => KeyedHash.Of(
            (ulong)RuntimeHelpers.GetHashCode(obj.Name), (ulong)RuntimeHelpers.GetHashCode(obj.SystemName),
            (ulong)RuntimeHelpers.GetHashCode(obj.FileName), (ulong)obj.StartLine);
    }
}
