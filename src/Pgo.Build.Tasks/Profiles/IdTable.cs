using System.Collections.Generic;

namespace Pgo.Build.Profiles
{
    /// <summary>
    /// Records by the id a profile gives them. Producers number ids 1..n, which land in an array; any other id goes
    /// to a dictionary hashed with <see cref="KeyedHash"/>, so ids chosen to collide cost no more than others.
    /// </summary>
    internal sealed class IdTable<T>
        where T : class
    {
        private readonly T?[] _dense;
        private Dictionary<ulong, T>? _sparse;

        /// <param name="expected">How many records there are: ids 1..2·expected+16 are stored densely.</param>
        public IdTable(int expected)
        {
            _dense = new T?[(long)expected * 2 + 17 > int.MaxValue / 2 ? int.MaxValue / 2 : expected * 2 + 17];
        }

        public int Count { get; private set; }

        /// <summary>Adds a record; false when the id is already taken.</summary>
        public bool TryAdd(ulong id, T value)
        {
            if (id < (ulong)_dense.Length)
            {
                if (_dense[id] != null)
                {
                    return false;
                }

                _dense[id] = value;
            }
            else
            {
                _sparse ??= new Dictionary<ulong, T>(KeyedUInt64Comparer.Instance);
                if (_sparse.ContainsKey(id))
                {
                    return false;
                }

                _sparse.Add(id, value);
            }

            Count++;
            return true;
        }

        public T? Get(ulong id)
        {
            if (id < (ulong)_dense.Length)
            {
                return _dense[id];
            }

            return _sparse != null && _sparse.TryGetValue(id, out var value) ? value : null;
        }
    }
}
