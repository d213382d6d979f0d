using System;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;

namespace Pgo.Build.Metadata
{
    /// <summary>A token-independent text for what a metadata handle refers to (type, member, string, signature).</summary>
    public static class TokenText
    {
        public static string Of(MetadataReader reader, Handle handle)
        {
            try
            {
                switch (handle.Kind)
                {
                    case HandleKind.TypeDefinition:
                        return MetadataNames.TypeFullName(reader, (TypeDefinitionHandle)handle);
                    case HandleKind.TypeReference:
                        return MetadataNames.TypeFullName(reader, (TypeReferenceHandle)handle);
                    case HandleKind.TypeSpecification:
                        return reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(SignatureText.Instance, null);
                    case HandleKind.MethodDefinition:
                    {
                        var m = reader.GetMethodDefinition((MethodDefinitionHandle)handle);
                        var sig = m.DecodeSignature(SignatureText.Instance, null);
                        return MetadataNames.TypeFullName(reader, m.GetDeclaringType()) + "::" + reader.GetString(m.Name) + Arity(sig.GenericParameterCount) + SignatureText.Parameters(sig);
                    }

                    case HandleKind.FieldDefinition:
                    {
                        var f = reader.GetFieldDefinition((FieldDefinitionHandle)handle);
                        return MetadataNames.TypeFullName(reader, f.GetDeclaringType()) + "::" + reader.GetString(f.Name);
                    }

                    case HandleKind.MemberReference:
                    {
                        var r = reader.GetMemberReference((MemberReferenceHandle)handle);
                        string parent = r.Parent.IsNil ? "" : Of(reader, r.Parent);
                        string name = reader.GetString(r.Name);
                        if (r.GetKind() == MemberReferenceKind.Method)
                        {
                            var sig = r.DecodeMethodSignature(SignatureText.Instance, null);
                            return parent + "::" + name + Arity(sig.GenericParameterCount) + SignatureText.Parameters(sig);
                        }

                        return parent + "::" + name;
                    }

                    case HandleKind.MethodSpecification:
                    {
                        var s = reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                        return Of(reader, s.Method) + "<" + string.Join(",", s.DecodeSignature(SignatureText.Instance, null)) + ">";
                    }

                    case HandleKind.UserString:
                        return "\"" + reader.GetUserString((UserStringHandle)handle) + "\"";
                    case HandleKind.StandaloneSignature:
                        return Convert.ToBase64String(reader.GetBlobBytes(reader.GetStandaloneSignature((StandaloneSignatureHandle)handle).Signature));
                    case HandleKind.ModuleReference:
                        return reader.GetString(reader.GetModuleReference((ModuleReferenceHandle)handle).Name);
                    default:
                        return handle.Kind.ToString();
                }
            }
            catch (BadImageFormatException)
            {
                return "?" + MetadataTokens.GetToken(handle).ToString("x8");
            }
        }

        private static string Arity(int count) => count > 0 ? "``" + count : "";
    }
}
