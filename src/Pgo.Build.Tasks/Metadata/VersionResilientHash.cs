using System.Collections.Generic;
using System.Text;

namespace Pgo.Build.Metadata
{
    /// <summary>
    /// The .NET runtime's version-resilient hash of types and methods (CoreCLR's <c>GetVersionResilientMethodHashCode</c>,
    /// the <c>methodhash</c> of its PGO data): built from names only (namespace, name, nesting, type and method
    /// instantiations), never from tokens or assembly names, so it is the same in every build and on every machine.
    /// Written from the algorithm's description in dotnet/runtime (<c>versionresilienthashcode.cpp</c>,
    /// <c>typehashingalgorithms.h</c>); <see cref="TypeModel"/> applies it to whole types.
    /// </summary>
    public static class VersionResilientHash
    {
        /// <summary>
        /// The hash of a name: two interleaved rotate-and-xor streams over its UTF-8 bytes, each byte taken as a
        /// signed 8-bit value (the runtime hashes <c>char</c> strings); 0 for the empty name.
        /// </summary>
        public static int Name(string name)
        {
            if (name.Length == 0)
            {
                return 0;
            }

            byte[] bytes = Encoding.UTF8.GetBytes(name);
            int hash1 = 0x6DA3B944;
            int hash2 = 0;
            for (int i = 0; i < bytes.Length; i += 2)
            {
                hash1 = unchecked(hash1 + RotateLeft(hash1, 5)) ^ (sbyte)bytes[i];
                if (i + 1 >= bytes.Length)
                {
                    break;
                }

                hash2 = unchecked(hash2 + RotateLeft(hash2, 5)) ^ (sbyte)bytes[i + 1];
            }

            hash1 = unchecked(hash1 + RotateLeft(hash1, 8));
            hash2 = unchecked(hash2 + RotateLeft(hash2, 8));
            return hash1 ^ hash2;
        }

        /// <summary>A type definition's own name: namespace and name hashed apart (CoreCLR's form, not NativeAOT's).</summary>
        public static int TypeName(string ns, string name) => Name(ns) ^ Name(name);

        /// <summary>A nested type: its enclosing type definition's hash mixed with its own name's.</summary>
        public static int Nested(int enclosing, int nameHash) => unchecked(enclosing + RotateLeft(enclosing, 11)) ^ nameHash;

        /// <summary>An instantiation (of a type, or of a method's name) over the arguments' hashes, in order.</summary>
        public static int GenericInstance(int definition, IEnumerable<int> arguments)
        {
            int hash = definition;
            foreach (int argument in arguments)
            {
                hash = unchecked(hash + RotateLeft(hash, 13)) ^ argument;
            }

            return unchecked(hash + RotateLeft(hash, 15));
        }

        /// <summary>An array of any rank (a vector is rank 1, like a one-dimensional array).</summary>
        public static int Array(int element, int rank)
        {
            int hash = unchecked((int)0xd5313556 + rank);
            hash = unchecked(hash + RotateLeft(hash, 13)) ^ element;
            return unchecked(hash + RotateLeft(hash, 15));
        }

        public static int Pointer(int pointee) => unchecked(pointee + RotateLeft(pointee, 5)) ^ 0x12D0;

        public static int ByRef(int parameter) => unchecked(parameter + RotateLeft(parameter, 7)) ^ 0x4C85;

        /// <summary>
        /// A method: its owning type (as instantiated) xor its name, the name instantiated over the method's own type
        /// arguments when it has any. The signature is not part of it: overloads share a hash.
        /// </summary>
        public static int Method(int owningType, string name, IReadOnlyList<int> methodArguments) =>
            owningType ^ (methodArguments.Count > 0 ? GenericInstance(Name(name), methodArguments) : Name(name));

        private static int RotateLeft(int value, int count) => unchecked((int)(((uint)value << count) | ((uint)value >> (32 - count))));
    }
}
