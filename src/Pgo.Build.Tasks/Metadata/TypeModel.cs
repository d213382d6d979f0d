using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace Pgo.Build.Metadata
{
    /// <summary>
    /// A type as a generic argument: a named type (with its assembly, nesting and arguments, and whether it is a
    /// value type), <c>System.__Canon</c>, an array, a pointer, a byref, or a still unbound generic parameter
    /// (<c>!0</c>, <c>!!0</c>). Immutable; equal when <see cref="Key"/> is. Gives the runtime's version-resilient
    /// hash, its canonical form (the shared code the runtime compiles) and its name in the runtime's spelling.
    /// </summary>
    public abstract class TypeModel : IEquatable<TypeModel>
    {
        /// <summary>What kind of type a <see cref="TypeModel"/> is.</summary>
        public enum Kinds
        {
            Named,
            Canon,
            Array,
            Pointer,
            ByRef,
            Variable,
        }

        private string? _key;

        /// <summary>The shared-code placeholder that stands for every reference type in a canonical instantiation.</summary>
        public static TypeModel Canon { get; } = new CanonType();

        public abstract bool IsValueType { get; }

        /// <summary>Whether an unbound generic parameter occurs in it.</summary>
        public abstract bool HasVariables { get; }

        /// <summary>Nesting depth of generic arguments and element types (1 for a plain type).</summary>
        public abstract int Depth { get; }

        /// <summary>Runtime spelling plus the defining assembly of every named type: the identity of the type.</summary>
        public string Key => _key ??= BuildKey();

        /// <summary>The runtime's version-resilient hash (<see cref="VersionResilientHash"/>).</summary>
        public abstract int Hash();

        /// <summary>
        /// What the runtime compiles for this type as a generic argument: every reference type is
        /// <c>System.__Canon</c>; value types stay, their own arguments made canonical; pointers stay.
        /// </summary>
        public abstract TypeModel Canonical();

        /// <summary>
        /// The type with <c>!i</c> replaced by <paramref name="typeArguments"/>[i] and <c>!!i</c> by
        /// <paramref name="methodArguments"/>[i]; null when an index has no argument.
        /// </summary>
        public abstract TypeModel? Substitute(IReadOnlyList<TypeModel> typeArguments, IReadOnlyList<TypeModel> methodArguments);

        /// <summary>The runtime's spelling, as in its PGO text: <c>Ns.Outer`1+Inner[System.__Canon,System.Int32]</c>, <c>System.Int32[]</c>.</summary>
        public override string ToString()
        {
            var sb = new StringBuilder();
            Append(sb, false);
            return sb.ToString();
        }

        public bool Equals(TypeModel? other) => other is not null && string.Equals(Key, other.Key, StringComparison.Ordinal);

        public override bool Equals(object? obj) => Equals(obj as TypeModel);

        public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Key);

        /// <summary>The hash of a method of <paramref name="owningType"/> named <paramref name="name"/>, instantiated over <paramref name="methodArguments"/>.</summary>
        public static int MethodHash(TypeModel owningType, string name, IReadOnlyList<TypeModel> methodArguments) =>
            VersionResilientHash.Method(owningType.Hash(), name, methodArguments.Select(a => a.Hash()).ToList());

        /// <summary>A named type: a type definition, or a generic type instantiated over <paramref name="arguments"/>.</summary>
        public static TypeModel Named(string assembly, string ns, string name, TypeModel? enclosing, bool isValueType, IReadOnlyList<TypeModel>? arguments = null) =>
            new NamedType(assembly, ns, name, enclosing as NamedType, isValueType, arguments ?? System.Array.Empty<TypeModel>());

        public static TypeModel Array(TypeModel element, int rank, bool isVector) => new ArrayType(element, rank, isVector);

        public static TypeModel Pointer(TypeModel element) => new ModifiedType(element, '*');

        public static TypeModel ByRef(TypeModel element) => new ModifiedType(element, '&');

        /// <summary>A generic parameter: <c>!index</c> of the type, or <c>!!index</c> of the method.</summary>
        public static TypeModel Variable(int index, bool ofMethod) => new VariableType(index, ofMethod);

        /// <summary>The same type with <paramref name="arguments"/> (a definition's instantiation); null for anything but a named type.</summary>
        public TypeModel? Instantiate(IReadOnlyList<TypeModel> arguments) =>
            this is NamedType named ? new NamedType(named.Assembly, named.NamespaceValue, named.NameValue, named.EnclosingType, named.IsValueType, arguments) : null;

        public abstract Kinds Kind { get; }

        /// <summary>A named type's namespace (empty for nested types) and name (with its arity suffix).</summary>
        public string Namespace => this is NamedType named ? named.NamespaceValue : "";

        public string Name => this is NamedType named ? named.NameValue : "";

        /// <summary>The enclosing type definition of a nested named type.</summary>
        public TypeModel? Enclosing => (this as NamedType)?.EnclosingType;

        /// <summary>The element type of an array, pointer or byref.</summary>
        public TypeModel? Element => this is ArrayType array ? array.ElementType : (this as ModifiedType)?.ElementType;

        /// <summary>The rank of an array, and whether it is a vector (<c>T[]</c>) rather than a multi-dimensional array.</summary>
        public (int Rank, bool IsVector) ArrayShape => this is ArrayType array ? (array.Rank, array.IsVector) : (0, false);

        /// <summary>The defining assembly of a named type (as far as it could be resolved); null for other types.</summary>
        public string? AssemblyName => this is NamedType named ? named.Assembly : null;

        /// <summary>Its generic arguments (empty for a non-generic or a non-named type).</summary>
        public IReadOnlyList<TypeModel> Arguments => this is NamedType named ? named.TypeArguments : System.Array.Empty<TypeModel>();

        internal abstract void Append(StringBuilder sb, bool withAssembly);

        private string BuildKey()
        {
            var sb = new StringBuilder();
            Append(sb, true);
            return sb.ToString();
        }

        private static void AppendArguments(StringBuilder sb, IReadOnlyList<TypeModel> arguments, bool withAssembly)
        {
            sb.Append('[');
            for (int i = 0; i < arguments.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(',');
                }

                arguments[i].Append(sb, withAssembly);
            }

            sb.Append(']');
        }

        private sealed class NamedType : TypeModel
        {
            public NamedType(string assembly, string ns, string name, NamedType? enclosing, bool isValueType, IReadOnlyList<TypeModel> arguments)
            {
                Assembly = assembly;
                NamespaceValue = ns;
                NameValue = name;
                EnclosingType = enclosing;
                IsValueTypeValue = isValueType;
                TypeArguments = arguments;
                HasVariables = arguments.Any(a => a.HasVariables);
                Depth = 1 + (arguments.Count == 0 ? 0 : arguments.Max(a => a.Depth));
            }

            public string Assembly { get; }
            public string NamespaceValue { get; }
            public string NameValue { get; }
            public NamedType? EnclosingType { get; }
            public override Kinds Kind => Kinds.Named;
            public IReadOnlyList<TypeModel> TypeArguments { get; }
            private bool IsValueTypeValue { get; }

            public override bool IsValueType => IsValueTypeValue;
            public override bool HasVariables { get; }
            public override int Depth { get; }

            public override int Hash()
            {
                // Enclosing types count as definitions: a nested type carries all the arguments itself.
                int hash = VersionResilientHash.TypeName(NamespaceValue, NameValue);
                if (EnclosingType != null)
                {
                    hash = VersionResilientHash.Nested(EnclosingType.Hash(), hash);
                }

                return TypeArguments.Count == 0 ? hash : VersionResilientHash.GenericInstance(hash, TypeArguments.Select(a => a.Hash()));
            }

            public override TypeModel Canonical()
            {
                if (!IsValueType)
                {
                    return Canon;
                }

                return TypeArguments.Count == 0 ? this : new NamedType(Assembly, NamespaceValue, NameValue, EnclosingType, true, TypeArguments.Select(a => a.Canonical()).ToList());
            }

            public override TypeModel? Substitute(IReadOnlyList<TypeModel> typeArguments, IReadOnlyList<TypeModel> methodArguments)
            {
                if (!HasVariables)
                {
                    return this;
                }

                var arguments = new List<TypeModel>(TypeArguments.Count);
                foreach (var a in TypeArguments)
                {
                    var bound = a.Substitute(typeArguments, methodArguments);
                    if (bound == null)
                    {
                        return null;
                    }

                    arguments.Add(bound);
                }

                return new NamedType(Assembly, NamespaceValue, NameValue, EnclosingType, IsValueType, arguments);
            }

            internal override void Append(StringBuilder sb, bool withAssembly)
            {
                if (withAssembly)
                {
                    sb.Append('[').Append(Assembly).Append(']');
                }

                AppendName(sb);
                if (TypeArguments.Count > 0)
                {
                    AppendArguments(sb, TypeArguments, withAssembly);
                }
            }

            private void AppendName(StringBuilder sb)
            {
                if (EnclosingType != null)
                {
                    EnclosingType.AppendName(sb);
                    sb.Append('+');
                }
                else if (NamespaceValue.Length > 0)
                {
                    sb.Append(NamespaceValue).Append('.');
                }

                sb.Append(NameValue);
            }
        }

        private sealed class CanonType : TypeModel
        {
            public override Kinds Kind => Kinds.Canon;
            public override bool IsValueType => false;
            public override bool HasVariables => false;
            public override int Depth => 1;
            public override int Hash() => VersionResilientHash.TypeName("System", "__Canon");
            public override TypeModel Canonical() => this;
            public override TypeModel? Substitute(IReadOnlyList<TypeModel> typeArguments, IReadOnlyList<TypeModel> methodArguments) => this;
            internal override void Append(StringBuilder sb, bool withAssembly) => sb.Append("System.__Canon");
        }

        private sealed class ArrayType : TypeModel
        {
            public ArrayType(TypeModel element, int rank, bool isVector)
            {
                ElementType = element;
                Rank = rank;
                IsVector = isVector;
            }

            public TypeModel ElementType { get; }
            public int Rank { get; }
            public bool IsVector { get; }
            public override Kinds Kind => Kinds.Array;

            public override bool IsValueType => false;
            public override bool HasVariables => ElementType.HasVariables;
            public override int Depth => 1 + ElementType.Depth;
            public override int Hash() => VersionResilientHash.Array(ElementType.Hash(), Rank);
            public override TypeModel Canonical() => Canon;

            public override TypeModel? Substitute(IReadOnlyList<TypeModel> typeArguments, IReadOnlyList<TypeModel> methodArguments)
            {
                var element = ElementType.Substitute(typeArguments, methodArguments);
                return element == null ? null : ReferenceEquals(element, ElementType) ? this : new ArrayType(element, Rank, IsVector);
            }

            internal override void Append(StringBuilder sb, bool withAssembly)
            {
                ElementType.Append(sb, withAssembly);
                sb.Append('[').Append(IsVector ? "" : Rank == 1 ? "*" : new string(',', Rank - 1)).Append(']');
            }
        }

        private sealed class ModifiedType : TypeModel
        {
            private readonly char _suffix;

            public ModifiedType(TypeModel element, char suffix)
            {
                ElementType = element;
                _suffix = suffix;
            }

            public TypeModel ElementType { get; }
            public override Kinds Kind => _suffix == '*' ? Kinds.Pointer : Kinds.ByRef;

            public override bool IsValueType => _suffix == '*';
            public override bool HasVariables => ElementType.HasVariables;
            public override int Depth => 1 + ElementType.Depth;
            public override int Hash() => _suffix == '*' ? VersionResilientHash.Pointer(ElementType.Hash()) : VersionResilientHash.ByRef(ElementType.Hash());
            public override TypeModel Canonical() => this;

            public override TypeModel? Substitute(IReadOnlyList<TypeModel> typeArguments, IReadOnlyList<TypeModel> methodArguments)
            {
                var element = ElementType.Substitute(typeArguments, methodArguments);
                return element == null ? null : ReferenceEquals(element, ElementType) ? this : new ModifiedType(element, _suffix);
            }

            internal override void Append(StringBuilder sb, bool withAssembly)
            {
                ElementType.Append(sb, withAssembly);
                sb.Append(_suffix);
            }
        }

        private sealed class VariableType : TypeModel
        {
            private readonly int _index;
            private readonly bool _ofMethod;

            public VariableType(int index, bool ofMethod)
            {
                _index = index;
                _ofMethod = ofMethod;
            }

            public override Kinds Kind => Kinds.Variable;

            public override bool IsValueType => false;
            public override bool HasVariables => true;
            public override int Depth => 1;
            public override int Hash() => throw new InvalidOperationException("an unbound generic parameter has no hash");
            public override TypeModel Canonical() => this;

            public override TypeModel? Substitute(IReadOnlyList<TypeModel> typeArguments, IReadOnlyList<TypeModel> methodArguments)
            {
                var arguments = _ofMethod ? methodArguments : typeArguments;
                return _index < arguments.Count ? arguments[_index] : null;
            }

            internal override void Append(StringBuilder sb, bool withAssembly) => sb.Append(_ofMethod ? "!!" : "!").Append(_index);
        }
    }
}
