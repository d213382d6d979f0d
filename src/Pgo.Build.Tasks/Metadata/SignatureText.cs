using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Text;

namespace Pgo.Build.Metadata
{
    /// <summary>
    /// Spells signature types in ILAsm style (<c>int32</c>, <c>string</c>, <c>Ns.Outer+Inner`1&lt;!0&gt;</c>,
    /// <c>!!0</c>, <c>int32[]</c>, <c>uint8&amp;</c>): one unambiguous text per metadata signature, independent of
    /// tokens, so that a method keeps its identity across builds and machines.
    /// </summary>
    public sealed class SignatureText : ISignatureTypeProvider<string, object?>
    {
        public static SignatureText Instance { get; } = new SignatureText();

        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode switch
        {
            PrimitiveTypeCode.Boolean => "bool",
            PrimitiveTypeCode.Char => "char",
            PrimitiveTypeCode.SByte => "int8",
            PrimitiveTypeCode.Byte => "uint8",
            PrimitiveTypeCode.Int16 => "int16",
            PrimitiveTypeCode.UInt16 => "uint16",
            PrimitiveTypeCode.Int32 => "int32",
            PrimitiveTypeCode.UInt32 => "uint32",
            PrimitiveTypeCode.Int64 => "int64",
            PrimitiveTypeCode.UInt64 => "uint64",
            PrimitiveTypeCode.Single => "float32",
            PrimitiveTypeCode.Double => "float64",
            PrimitiveTypeCode.IntPtr => "native int",
            PrimitiveTypeCode.UIntPtr => "native uint",
            PrimitiveTypeCode.String => "string",
            PrimitiveTypeCode.Object => "object",
            PrimitiveTypeCode.TypedReference => "typedref",
            _ => "void",
        };

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) =>
            MetadataNames.TypeFullName(reader, handle);

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) =>
            MetadataNames.TypeFullName(reader, handle);

        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public string GetSZArrayType(string elementType) => elementType + "[]";

        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[" + new string(',', shape.Rank - 1) + "]";

        public string GetByReferenceType(string elementType) => elementType + "&";

        public string GetPointerType(string elementType) => elementType + "*";

        public string GetPinnedType(string elementType) => elementType + " pinned";

        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) =>
            genericType + "<" + string.Join(",", typeArguments) + ">";

        public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;

        public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;

        public string GetFunctionPointerType(MethodSignature<string> signature) =>
            "method " + signature.ReturnType + " *(" + string.Join(",", signature.ParameterTypes) + ")";

        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) =>
            unmodifiedType + (isRequired ? " modreq(" : " modopt(") + modifier + ")";

        /// <summary><c>(int32,string)</c> for a method signature.</summary>
        public static string Parameters(MethodSignature<string> signature)
        {
            var sb = new StringBuilder("(");
            for (int i = 0; i < signature.ParameterTypes.Length; i++)
            {
                if (i > 0)
                {
                    sb.Append(',');
                }

                sb.Append(signature.ParameterTypes[i]);
            }

            if (signature.Header.CallingConvention == SignatureCallingConvention.VarArgs)
            {
                sb.Append(signature.ParameterTypes.Length > 0 ? ",..." : "...");
            }

            return sb.Append(')').ToString();
        }
    }
}
