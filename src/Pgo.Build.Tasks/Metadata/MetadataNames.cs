using System.Collections.Generic;
using System.Reflection.Metadata;
using System.Text;

namespace Pgo.Build.Metadata
{
    /// <summary>
    /// The two spellings of a type or method name: the metadata form (<c>Ns.Outer`1+Inner</c>, what the
    /// runtime and reflection print) and the readable form of pprof <c>Function.name</c>
    /// (<c>Ns.Outer&lt;T&gt;.Inner.Method&lt;U&gt;</c>, generic arity spelled with parameter names, nesting with '.').
    /// </summary>
    public static class MetadataNames
    {
        /// <summary>Metadata form of a type definition: namespace, '+' between nested types, arity suffixes kept.</summary>
        public static string TypeFullName(MetadataReader reader, TypeDefinitionHandle handle)
        {
            var type = reader.GetTypeDefinition(handle);
            string name = reader.GetString(type.Name);
            var declaring = type.GetDeclaringType();
            if (!declaring.IsNil)
            {
                return TypeFullName(reader, declaring) + "+" + name;
            }

            string ns = reader.GetString(type.Namespace);
            return ns.Length == 0 ? name : ns + "." + name;
        }

        /// <summary>The metadata name of a custom attribute's type, or "" when its constructor is neither a definition nor a reference.</summary>
        public static string AttributeTypeName(MetadataReader reader, CustomAttribute attribute)
        {
            var ctor = attribute.Constructor;
            if (ctor.Kind == HandleKind.MethodDefinition)
            {
                return TypeFullName(reader, reader.GetMethodDefinition((MethodDefinitionHandle)ctor).GetDeclaringType());
            }

            if (ctor.Kind == HandleKind.MemberReference)
            {
                var parent = reader.GetMemberReference((MemberReferenceHandle)ctor).Parent;
                return parent.Kind == HandleKind.TypeReference ? TypeFullName(reader, (TypeReferenceHandle)parent)
                    : parent.Kind == HandleKind.TypeDefinition ? TypeFullName(reader, (TypeDefinitionHandle)parent) : "";
            }

            return "";
        }

        /// <summary>An assembly of the .NET framework (System*, Microsoft.*, netstandard, mscorlib): it never references an application.</summary>
        public static bool IsFrameworkAssembly(string assembly) =>
            assembly.StartsWith("System", System.StringComparison.Ordinal) || assembly.StartsWith("Microsoft.", System.StringComparison.Ordinal) ||
            assembly == "netstandard" || assembly == "mscorlib";

        /// <summary>Whether a type definition is a value type: it derives from System.ValueType (System.Enum itself excepted) or System.Enum.</summary>
        public static bool IsValueType(MetadataReader reader, TypeDefinitionHandle handle)
        {
            var baseType = reader.GetTypeDefinition(handle).BaseType;
            if (baseType.IsNil)
            {
                return false; // interfaces, System.Object
            }

            string name = baseType.Kind switch
            {
                HandleKind.TypeReference => TypeFullName(reader, (TypeReferenceHandle)baseType),
                HandleKind.TypeDefinition => TypeFullName(reader, (TypeDefinitionHandle)baseType),
                _ => "",
            };
            return (name == "System.ValueType" && TypeFullName(reader, handle) != "System.Enum") || name == "System.Enum";
        }

        /// <summary>Metadata form of a type reference.</summary>
        public static string TypeFullName(MetadataReader reader, TypeReferenceHandle handle)
        {
            var type = reader.GetTypeReference(handle);
            string name = reader.GetString(type.Name);
            if (type.ResolutionScope.Kind == HandleKind.TypeReference)
            {
                return TypeFullName(reader, (TypeReferenceHandle)type.ResolutionScope) + "+" + name;
            }

            string ns = reader.GetString(type.Namespace);
            return ns.Length == 0 ? name : ns + "." + name;
        }

        /// <summary>Readable form of a type definition: <c>Ns.Outer&lt;T&gt;.Inner&lt;U&gt;</c>.</summary>
        public static string TypeReadableName(MetadataReader reader, TypeDefinitionHandle handle)
        {
            var chain = new List<TypeDefinitionHandle>();
            for (var h = handle; !h.IsNil; h = reader.GetTypeDefinition(h).GetDeclaringType())
            {
                chain.Add(h);
            }

            chain.Reverse();
            var sb = new StringBuilder();
            string ns = reader.GetString(reader.GetTypeDefinition(chain[0]).Namespace);
            if (ns.Length > 0)
            {
                sb.Append(ns).Append('.');
            }

            int inherited = 0;
            for (int i = 0; i < chain.Count; i++)
            {
                var type = reader.GetTypeDefinition(chain[i]);
                if (i > 0)
                {
                    sb.Append('.');
                }

                sb.Append(StripArity(reader.GetString(type.Name)));
                var parameters = type.GetGenericParameters();
                // C# nested types repeat their outer types' parameters first; only the rest are their own.
                AppendGenericParameters(reader, sb, parameters, inherited);
                inherited = parameters.Count;
            }

            return sb.ToString();
        }

        /// <summary>Readable method name: <c>Ns.Type.Method&lt;T&gt;</c>.</summary>
        public static string MethodReadableName(MetadataReader reader, MethodDefinitionHandle handle)
        {
            var method = reader.GetMethodDefinition(handle);
            var sb = new StringBuilder(TypeReadableName(reader, method.GetDeclaringType()));
            sb.Append('.').Append(reader.GetString(method.Name));
            AppendGenericParameters(reader, sb, method.GetGenericParameters(), 0);
            return sb.ToString();
        }

        /// <summary>
        /// Unambiguous identity: <c>Assembly!Ns.Outer`1+Inner::Method``1(int32,!!0)</c> — assembly, metadata type
        /// name, method name, generic arity and parameter types, the same on every machine and build.
        /// </summary>
        public static string MethodSystemName(MetadataReader reader, MethodDefinitionHandle handle, string assemblyName)
        {
            var method = reader.GetMethodDefinition(handle);
            var signature = method.DecodeSignature(SignatureText.Instance, null);
            var sb = new StringBuilder(assemblyName).Append('!');
            sb.Append(TypeFullName(reader, method.GetDeclaringType())).Append("::").Append(reader.GetString(method.Name));
            if (signature.GenericParameterCount > 0)
            {
                sb.Append("``").Append(signature.GenericParameterCount);
            }

            sb.Append(SignatureText.Parameters(signature));
            string methodName = reader.GetString(method.Name);
            if (methodName == "op_Implicit" || methodName == "op_Explicit")
            {
                // Conversion operators are overloaded on their return type alone.
                sb.Append(':').Append(signature.ReturnType);
            }

            return sb.ToString();
        }

        public static string StripArity(string name)
        {
            int tick = name.LastIndexOf('`');
            if (tick > 0)
            {
                for (int i = tick + 1; i < name.Length; i++)
                {
                    if (name[i] < '0' || name[i] > '9')
                    {
                        return name;
                    }
                }

                return tick + 1 < name.Length ? name.Substring(0, tick) : name;
            }

            return name;
        }

        private static void AppendGenericParameters(MetadataReader reader, StringBuilder sb, GenericParameterHandleCollection parameters, int skip)
        {
            if (parameters.Count <= skip)
            {
                return;
            }

            sb.Append('<');
            int i = 0;
            foreach (var p in parameters)
            {
                if (i >= skip)
                {
                    if (i > skip)
                    {
                        sb.Append(',');
                    }

                    sb.Append(reader.GetString(reader.GetGenericParameter(p).Name));
                }

                i++;
            }

            sb.Append('>');
        }
    }
}
