using System;
using System.Collections.Generic;

namespace Pgo.Build.Metadata
{
    /// <summary>
    /// A method definition as the profile sees it: its names, source position and a fingerprint of its IL.
    /// </summary>
    public sealed class MethodSymbol
    {
        private readonly int[] _offsets;
        private readonly int[] _lines;

        internal MethodSymbol(int token, string name, string systemName, string typeFullName, string methodName,
            int parameterCount, int ilSize, long ilHash, string fileName, int[] offsets, int[] lines)
        {
            Token = token;
            Name = name;
            SystemName = systemName;
            TypeFullName = typeFullName;
            MethodName = methodName;
            ParameterCount = parameterCount;
            IlSize = ilSize;
            IlHash = ilHash;
            FileName = fileName;
            _offsets = offsets;
            _lines = lines;
        }

        /// <summary>MethodDef token in this build (changes between builds; never stored in profiles as identity).</summary>
        public int Token { get; }

        /// <summary>Readable pprof name, e.g. <c>Ns.Outer&lt;T&gt;.Inner.Method</c>.</summary>
        public string Name { get; }

        /// <summary>Unambiguous identity, e.g. <c>App!Ns.Outer`1+Inner::Method(int32)</c>.</summary>
        public string SystemName { get; }

        /// <summary>Metadata type name as the runtime prints it, e.g. <c>Ns.Outer`1+Inner</c>.</summary>
        public string TypeFullName { get; }

        public string MethodName { get; }

        public int ParameterCount { get; }

        /// <summary>IL body size in bytes (0 for abstract, extern and runtime-implemented methods).</summary>
        public int IlSize { get; }

        /// <summary>Token-independent fingerprint of the IL body (0 when there is none); see docs/profile-encoding.md.</summary>
        public long IlHash { get; }

        /// <summary>
        /// Set when an IL rewrite moved this method's offsets: <see cref="IlSize"/> and <see cref="IlHash"/> are then the
        /// compiler's, recorded data is in the compiler's offsets, and the IL (and the PDB's <see cref="SequencePoints"/>)
        /// in the rewritten ones.
        /// </summary>
        public IlMoves? Moves { get; init; }

        /// <summary>The size of the IL as it is in this file (the rewritten size when <see cref="Moves"/> is set).</summary>
        public int CurrentIlSize => Moves?.CurrentIlSize ?? IlSize;

        /// <summary>Source file of the method's first sequence point; empty without a PDB.</summary>
        public string FileName { get; }

        /// <summary>Line of the first non-hidden sequence point; 0 without a PDB.</summary>
        public int StartLine => _lines.Length > 0 ? _lines[0] : 0;

        public bool HasLines => _lines.Length > 0;

        /// <summary>Non-hidden sequence points (IL offset, start line), in IL order.</summary>
        public IEnumerable<(int Offset, int Line)> SequencePoints
        {
            get
            {
                for (int i = 0; i < _offsets.Length; i++)
                {
                    yield return (_offsets[i], _lines[i]);
                }
            }
        }

        /// <summary>
        /// Source line of the instruction at <paramref name="ilOffset"/>: the last non-hidden sequence point at or
        /// before it; 0 when unknown (no PDB, or before the first point).
        /// </summary>
        public int LineAt(int ilOffset)
        {
            int index = Array.BinarySearch(_offsets, ilOffset);
            if (index < 0)
            {
                index = ~index - 1;
            }

            return index >= 0 ? _lines[index] : 0;
        }

        public override string ToString() => SystemName;
    }
}
