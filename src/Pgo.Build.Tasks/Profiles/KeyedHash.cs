using System;
using System.Collections.Generic;
using System.Security.Cryptography;

namespace Pgo.Build.Profiles
{
    /// <summary>
    /// Hash codes for numbers a profile's author chooses (ids, addresses, line numbers, label values): SipHash-1-3
    /// over the 64-bit words with a key drawn once per process, so no file can pick keys that collide
    /// (<c>ulong.GetHashCode</c> folds the two halves: every <c>i&lt;&lt;32|i</c> hashes to 0). Equal words give
    /// equal codes within a process; codes differ between processes and never leave one.
    /// </summary>
    public static class KeyedHash
    {
        private static readonly ulong K0, K1;

        static KeyedHash()
        {
            var key = new byte[16];
            using (var rng = RandomNumberGenerator.Create())
            {
                rng.GetBytes(key);
            }

            K0 = BitConverter.ToUInt64(key, 0);
            K1 = BitConverter.ToUInt64(key, 8);
        }

        public static int Of(ulong a) => Finish(Round(Start(), a), 1);

        public static int Of(ulong a, ulong b) => Finish(Round(Round(Start(), a), b), 2);

        public static int Of(ulong a, ulong b, ulong c) => Finish(Round(Round(Round(Start(), a), b), c), 3);

        public static int Of(ulong a, ulong b, ulong c, ulong d) => Finish(Round(Round(Round(Round(Start(), a), b), c), d), 4);

        /// <summary>Hash state for keys of any number of words: <c>Start</c>, <c>Add</c> each word, then <c>Finish</c>.</summary>
        public struct State
        {
            internal ulong V0, V1, V2, V3;
            internal int Words;
        }

        public static State Start() => new State
        {
            V0 = K0 ^ 0x736f6d6570736575UL,
            V1 = K1 ^ 0x646f72616e646f6dUL,
            V2 = K0 ^ 0x6c7967656e657261UL,
            V3 = K1 ^ 0x7465646279746573UL,
        };

        public static State Add(State s, ulong word)
        {
            s = Round(s, word);
            s.Words++;
            return s;
        }

        public static int Finish(State s) => Finish(s, s.Words);

        private static State Round(State s, ulong m)
        {
            s.V3 ^= m;
            Sip(ref s);
            s.V0 ^= m;
            return s;
        }

        private static int Finish(State s, int words)
        {
            // The length goes into the last block as in SipHash, so keys of different word counts differ.
            ulong b = (ulong)words << 59;
            s.V3 ^= b;
            Sip(ref s);
            s.V0 ^= b;
            s.V2 ^= 0xff;
            Sip(ref s);
            Sip(ref s);
            Sip(ref s);
            ulong h = s.V0 ^ s.V1 ^ s.V2 ^ s.V3;
            return (int)h ^ (int)(h >> 32);
        }

        private static void Sip(ref State s)
        {
            unchecked
            {
                s.V0 += s.V1;
                s.V1 = Rotl(s.V1, 13);
                s.V1 ^= s.V0;
                s.V0 = Rotl(s.V0, 32);
                s.V2 += s.V3;
                s.V3 = Rotl(s.V3, 16);
                s.V3 ^= s.V2;
                s.V0 += s.V3;
                s.V3 = Rotl(s.V3, 21);
                s.V3 ^= s.V0;
                s.V2 += s.V1;
                s.V1 = Rotl(s.V1, 17);
                s.V1 ^= s.V2;
                s.V2 = Rotl(s.V2, 32);
            }
        }

        private static ulong Rotl(ulong x, int b) => (x << b) | (x >> (64 - b));
    }

    /// <summary>An equality comparer for 64-bit keys chosen by a file (see <see cref="KeyedHash"/>).</summary>
    public sealed class KeyedUInt64Comparer : IEqualityComparer<ulong>
    {
        public static KeyedUInt64Comparer Instance { get; } = new KeyedUInt64Comparer();

        public bool Equals(ulong x, ulong y) => x == y;

        public int GetHashCode(ulong obj) => KeyedHash.Of(obj);
    }
}

namespace Pgo.Build.Profiles
{
    /// <summary>
    /// <c>MethodImplOptions.AggressiveOptimization</c> (512; absent from .NET Framework's enum, where it is ignored): the
    /// loops over a profile's records are compiled optimized at once. A one-shot tool (pgo merge) runs them a few
    /// times, so tier-0 code would do most of the work.
    /// </summary>
    internal static class Jit
    {
        public const System.Runtime.CompilerServices.MethodImplOptions Optimized = (System.Runtime.CompilerServices.MethodImplOptions)512;
    }
}
