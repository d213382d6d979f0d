using System;
using System.Collections.Generic;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using Pgo.Build.Metadata;
using Pgo.Build.RuntimePgo;

namespace Pgo.Build.Mibc
{
    /// <summary>
    /// Rejects receiver types that cannot occur at a call site of this build: when both the call's declaring type
    /// and the recorded receiver type are defined in this assembly, the receiver must derive from the declaring
    /// class or implement the declaring interface. A profile of another program, or a damaged one, then cannot
    /// make the compiler guard for a type that never arrives there. A type of another assembly is rejected when it
    /// cannot derive from the declaring type at all (a framework type, or a declaring type invisible outside).
    /// </summary>
    internal sealed class ReceiverCheck
    {
        private readonly AssemblySymbols _assembly;
        private readonly MetadataReader _reader;
        private readonly Dictionary<string, TypeDefinitionHandle> _types = new Dictionary<string, TypeDefinitionHandle>(StringComparer.Ordinal);
        private readonly Dictionary<(int Method, int IlOffset), TypeDefinitionHandle?> _declaring = new Dictionary<(int, int), TypeDefinitionHandle?>();
        private bool? _internalsVisibleTo;

        public ReceiverCheck(AssemblySymbols assembly)
        {
            _assembly = assembly;
            _reader = assembly.Reader;
            foreach (var handle in _reader.TypeDefinitions)
            {
                _types[MetadataNames.TypeFullName(_reader, handle)] = handle;
            }
        }

        /// <summary>False only when the receiver is known not to fit the call at <paramref name="ilOffset"/>.</summary>
        public bool MayReceive(int methodToken, int ilOffset, string assemblyQualifiedType)
        {
            if (IlFingerprint.IsEnumeratorType(assemblyQualifiedType))
            {
                return false; // pgo record's note of a rewritten foreach (for the IL rewrite), never a receiver
            }

            var declaring = DeclaringTypeOfCall(methodToken, ilOffset);
            if (declaring == null)
            {
                return true;
            }

            string receiverAssembly = RuntimeHandles.AssemblyPart(assemblyQualifiedType);
            if (receiverAssembly != _assembly.AssemblyName)
            {
                return MayBeDerivedElsewhere(declaring.Value, receiverAssembly);
            }

            string receiverName = RuntimeHandles.TypePart(assemblyQualifiedType).Trim();
            int instantiation = receiverName.IndexOf('[');
            if (instantiation > 0)
            {
                receiverName = receiverName.Substring(0, instantiation); // a generic instantiation: its definition's place in the hierarchy
            }

            return !_types.TryGetValue(receiverName, out var receiver) ||
                IsAssignableTo(receiver, declaring.Value, 0);
        }

        /// <summary>
        /// Whether a type of <paramref name="otherAssembly"/> can derive from or implement <paramref name="declaring"/>
        /// of this assembly: not when the declaring type is invisible outside it (and no InternalsVisibleTo opens it),
        /// nor when the other assembly is the framework's, which never references an application.
        /// </summary>
        private bool MayBeDerivedElsewhere(TypeDefinitionHandle declaring, string otherAssembly)
        {
            if (MetadataNames.IsFrameworkAssembly(otherAssembly) && !MetadataNames.IsFrameworkAssembly(_assembly.AssemblyName))
            {
                return false;
            }

            return IsVisibleOutside(declaring) || HasInternalsVisibleTo();
        }

        private bool IsVisibleOutside(TypeDefinitionHandle type)
        {
            for (int depth = 0; depth < 64; depth++)
            {
                var definition = _reader.GetTypeDefinition(type);
                var visibility = definition.Attributes & System.Reflection.TypeAttributes.VisibilityMask;
                if (visibility == System.Reflection.TypeAttributes.Public)
                {
                    return true;
                }

                if (visibility != System.Reflection.TypeAttributes.NestedPublic && visibility != System.Reflection.TypeAttributes.NestedFamily &&
                    visibility != System.Reflection.TypeAttributes.NestedFamORAssem)
                {
                    return false;
                }

                type = definition.GetDeclaringType();
            }

            return true;
        }

        private bool HasInternalsVisibleTo()
        {
            if (_internalsVisibleTo == null)
            {
                _internalsVisibleTo = false;
                foreach (var handle in _reader.GetAssemblyDefinition().GetCustomAttributes())
                {
                    if (MetadataNames.AttributeTypeName(_reader, _reader.GetCustomAttribute(handle)) == "System.Runtime.CompilerServices.InternalsVisibleToAttribute")
                    {
                        _internalsVisibleTo = true;
                        break;
                    }
                }
            }

            return _internalsVisibleTo.Value;
        }

        /// <summary>The type of this assembly named <paramref name="fullName"/> (<c>Ns.Outer+Inner</c>).</summary>
        public TypeDefinitionHandle? Type(string fullName) => _types.TryGetValue(fullName, out var handle) ? handle : (TypeDefinitionHandle?)null;

        /// <summary>
        /// The virtual and interface calls of a method whose target is declared in this assembly:
        /// (IL offset, target method name, declaring type).
        /// </summary>
        public List<(int IlOffset, string Name, TypeDefinitionHandle Declaring)> VirtualCalls(int methodToken)
        {
            var calls = new List<(int, string, TypeDefinitionHandle)>();
            try
            {
                foreach (var ins in IlReader.Read(_assembly.GetIl(methodToken)))
                {
                    if (ins.OpCode != OpCodes.Callvirt)
                    {
                        continue;
                    }

                    var target = MetadataTokens.EntityHandle(ins.Token);
                    if (target.Kind == HandleKind.MethodDefinition)
                    {
                        var method = _reader.GetMethodDefinition((MethodDefinitionHandle)target);
                        if ((method.Attributes & System.Reflection.MethodAttributes.Virtual) != 0)
                        {
                            calls.Add((ins.Offset, _reader.GetString(method.Name), method.GetDeclaringType()));
                        }
                    }
                    else if (target.Kind == HandleKind.MemberReference)
                    {
                        var member = _reader.GetMemberReference((MemberReferenceHandle)target);
                        if (member.Parent.Kind == HandleKind.TypeDefinition)
                        {
                            calls.Add((ins.Offset, _reader.GetString(member.Name), (TypeDefinitionHandle)member.Parent));
                        }
                    }
                }
            }
            catch (BadImageFormatException)
            {
                calls.Clear();
            }

            return calls;
        }

        /// <summary>Whether an object of <paramref name="type"/> can arrive at a call declared on <paramref name="declaring"/>.</summary>
        public bool Fits(TypeDefinitionHandle type, TypeDefinitionHandle declaring) => IsAssignableTo(type, declaring, 0);

        /// <summary>Whether the interface flag of the runtime's class histograms applies (the call is declared on an interface).</summary>
        public bool IsInterface(TypeDefinitionHandle type) =>
            (_reader.GetTypeDefinition(type).Attributes & System.Reflection.TypeAttributes.Interface) != 0;

        private TypeDefinitionHandle? DeclaringTypeOfCall(int methodToken, int ilOffset)
        {
            var key = (methodToken, ilOffset);
            if (_declaring.TryGetValue(key, out var known))
            {
                return known;
            }

            TypeDefinitionHandle? result = null;
            try
            {
                foreach (var ins in IlReader.Read(_assembly.GetIl(methodToken)))
                {
                    if (ins.Offset == ilOffset && (ins.OpCode == OpCodes.Callvirt || ins.OpCode == OpCodes.Call))
                    {
                        var target = MetadataTokens.EntityHandle(ins.Token);
                        if (target.Kind == HandleKind.MethodDefinition)
                        {
                            result = _reader.GetMethodDefinition((MethodDefinitionHandle)target).GetDeclaringType();
                        }
                        else if (target.Kind == HandleKind.MemberReference)
                        {
                            var parent = _reader.GetMemberReference((MemberReferenceHandle)target).Parent;
                            if (parent.Kind == HandleKind.TypeDefinition)
                            {
                                result = (TypeDefinitionHandle)parent;
                            }
                        }

                        break;
                    }
                }
            }
            catch (BadImageFormatException)
            {
                result = null;
            }

            _declaring.Add(key, result);
            return result;
        }

        private bool IsAssignableTo(TypeDefinitionHandle type, TypeDefinitionHandle target, int depth)
        {
            if (type == target)
            {
                return true;
            }

            if (depth > 64)
            {
                return true; // give up rather than reject
            }

            var definition = _reader.GetTypeDefinition(type);
            foreach (var implementation in definition.GetInterfaceImplementations())
            {
                var iface = _reader.GetInterfaceImplementation(implementation).Interface;
                if (iface.Kind != HandleKind.TypeDefinition)
                {
                    if (iface.Kind == HandleKind.TypeSpecification)
                    {
                        return true; // generic interfaces: not checked
                    }

                    continue;
                }

                if (IsAssignableTo((TypeDefinitionHandle)iface, target, depth + 1))
                {
                    return true;
                }
            }

            var baseType = definition.BaseType;
            if (baseType.IsNil)
            {
                return false;
            }

            if (baseType.Kind != HandleKind.TypeDefinition)
            {
                // A base type in another assembly (or generic) cannot lead back to a type of this one, except through
                // a generic instantiation: only reject when the base is a plain reference.
                return baseType.Kind == HandleKind.TypeSpecification;
            }

            return IsAssignableTo((TypeDefinitionHandle)baseType, target, depth + 1);
        }
    }
}
