using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Text;

namespace Pgo.Build.Metadata
{
    /// <summary>
    /// Reads one managed assembly and its portable PDB (embedded, or found through the debug directory or
    /// beside the assembly) and answers method questions by MethodDef token. Methods are built lazily and cached.
    /// </summary>
    public sealed class AssemblySymbols : IDisposable
    {
        private readonly PEReader _pe;
        private readonly MetadataReaderProvider? _pdbProvider;
        private readonly MetadataReader _pdb;
        private readonly Dictionary<int, MethodSymbol?> _methods = new Dictionary<int, MethodSymbol?>();

        private AssemblySymbols(string path, PEReader pe, MetadataReader reader, MetadataReaderProvider? pdbProvider, string? pdbPath)
        {
            Path = path;
            _pe = pe;
            Reader = reader;
            _pdbProvider = pdbProvider;
            _pdb = pdbProvider?.GetMetadataReader() ?? null!;
            PdbPath = pdbPath;
            AssemblyName = reader.IsAssembly
                ? reader.GetString(reader.GetAssemblyDefinition().Name)
                : System.IO.Path.GetFileNameWithoutExtension(path);
        }

        public string Path { get; }

        public string AssemblyName { get; }

        /// <summary>The PDB used, or null when the assembly has none (names only, no lines).</summary>
        public string? PdbPath { get; }

        public bool HasPdb => _pdbProvider != null;

        public MetadataReader Reader { get; }

        /// <summary>Opens <paramref name="path"/>; null when it is not a managed assembly or cannot be read.</summary>
        public static AssemblySymbols? TryOpen(string path)
        {
            FileStream? stream = null;
            PEReader? pe = null;
            try
            {
                stream = File.OpenRead(path);
                pe = new PEReader(stream);
                if (!pe.HasMetadata)
                {
                    pe.Dispose();
                    return null;
                }

                var reader = pe.GetMetadataReader();
                MetadataReaderProvider? pdb = null;
                string? pdbPath = null;
                try
                {
                    pe.TryOpenAssociatedPortablePdb(path, OpenIfExists, out pdb, out pdbPath);
                }
                catch (BadImageFormatException)
                {
                    pdb = null;
                }

                return new AssemblySymbols(path, pe, reader, pdb, pdb == null ? null : pdbPath ?? path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is BadImageFormatException || e is InvalidOperationException)
            {
                pe?.Dispose();
                stream?.Dispose();
                return null;
            }
        }

        /// <summary>The method with MethodDef token <paramref name="token"/>, or null when there is none.</summary>
        public MethodSymbol? GetMethod(int token)
        {
            if (!_methods.TryGetValue(token, out var symbol))
            {
                symbol = Build(token);
                _methods.Add(token, symbol);
            }

            return symbol;
        }

        /// <summary>Every method definition, in token order.</summary>
        public IEnumerable<MethodSymbol> Methods()
        {
            foreach (var handle in Reader.MethodDefinitions)
            {
                var symbol = GetMethod(MetadataTokens.GetToken(handle));
                if (symbol != null)
                {
                    yield return symbol;
                }
            }
        }

        /// <summary>The IL body of a method, or an empty array.</summary>
        public byte[] GetIl(int token)
        {
            var method = Reader.GetMethodDefinition((MethodDefinitionHandle)MetadataTokens.EntityHandle(token));
            if (method.RelativeVirtualAddress == 0)
            {
                return new byte[0];
            }

            return _pe.GetMethodBody(method.RelativeVirtualAddress).GetILBytes() ?? new byte[0];
        }

        public void Dispose()
        {
            _pdbProvider?.Dispose();
            _pe.Dispose();
        }

        private MethodSymbol? Build(int token)
        {
            if ((token >> 24) != 0x06 || (token & 0xffffff) == 0 || (token & 0xffffff) > Reader.MethodDefinitions.Count)
            {
                return null;
            }

            var handle = (MethodDefinitionHandle)MetadataTokens.EntityHandle(token);
            var method = Reader.GetMethodDefinition(handle);
            string name = MetadataNames.MethodReadableName(Reader, handle);
            string systemName;
            int parameterCount;
            try
            {
                var signature = method.DecodeSignature(SignatureText.Instance, null);
                parameterCount = signature.ParameterTypes.Length;
                systemName = MetadataNames.MethodSystemName(Reader, handle, AssemblyName);
            }
            catch (BadImageFormatException)
            {
                return null;
            }

            int ilSize = 0;
            long ilHash = 0;
            if (method.RelativeVirtualAddress != 0)
            {
                var body = _pe.GetMethodBody(method.RelativeVirtualAddress);
                var il = body.GetILBytes() ?? new byte[0];
                ilSize = il.Length;
                ilHash = IlFingerprint.Compute(Reader, body, il);
            }

            // A method whose offsets an IL rewrite moved keeps the compiler's identity (Rewriting.EnumeratorWriter).
            var moves = ilSize > 0 ? MovesOf(method, ilSize) : null;
            if (moves != null)
            {
                ilSize = moves.OriginalIlSize;
                ilHash = moves.OriginalIlHash;
            }

            string fileName = "";
            var offsets = new List<int>();
            var lines = new List<int>();
            if (_pdbProvider != null)
            {
                var debug = _pdb.GetMethodDebugInformation(handle);
                foreach (var sp in debug.GetSequencePoints())
                {
                    if (sp.IsHidden)
                    {
                        continue;
                    }

                    if (offsets.Count == 0)
                    {
                        fileName = _pdb.GetString(_pdb.GetDocument(sp.Document).Name);
                    }

                    offsets.Add(sp.Offset);
                    lines.Add(sp.StartLine);
                }
            }

            return new MethodSymbol(token, name, systemName, MetadataNames.TypeFullName(Reader, method.GetDeclaringType()),
                Reader.GetString(method.Name), parameterCount, ilSize, ilHash, fileName, offsets.ToArray(), lines.ToArray()) { Moves = moves };
        }

        /// <summary>The method's <c>&lt;PgoIlMoved&gt;</c> attribute, read; null without one (or one that does not read or fit).</summary>
        private IlMoves? MovesOf(MethodDefinition method, int currentIlSize)
        {
            try
            {
                foreach (var handle in method.GetCustomAttributes())
                {
                    var attribute = Reader.GetCustomAttribute(handle);
                    if (attribute.Constructor.Kind != HandleKind.MethodDefinition)
                    {
                        continue;
                    }

                    var type = Reader.GetMethodDefinition((MethodDefinitionHandle)attribute.Constructor).GetDeclaringType();
                    if (Reader.GetString(Reader.GetTypeDefinition(type).Name) != IlMoves.AttributeTypeName)
                    {
                        continue;
                    }

                    var blob = Reader.GetBlobReader(attribute.Value);
                    string? text = blob.ReadUInt16() == 1 ? blob.ReadSerializedString() : null;
                    return text == null ? null : IlMoves.Decode(text, currentIlSize);
                }
            }
            catch (BadImageFormatException)
            {
            }

            return null;
        }

        private static Stream? OpenIfExists(string path) => File.Exists(path) ? File.OpenRead(path) : null;
    }

    /// <summary>
    /// A 63-bit fingerprint of a method body that does not depend on metadata tokens: opcodes, immediate
    /// operands, the names and signatures that token operands refer to, the locals and the exception regions.
    /// Adding or removing other methods renumbers tokens but leaves this value unchanged.
    /// </summary>
    public static class IlFingerprint
    {
        /// <summary>The nested type the delegate-call rewrite puts its guards in (Rewriting.DelegateGuardWriter).</summary>
        public const string DelegateGuardTypeName = "<PgoDelegateGuards>";

        /// <summary>The value-type enumerator the foreach rewrite adds for loops over a recorded List&lt;T&gt; (Rewriting.EnumeratorWriter).</summary>
        public const string ListEnumeratorTypeName = "<PgoListEnumerator>`1";

        /// <summary>The value-type enumerator the foreach rewrite adds for loops over a recorded T[] (Rewriting.EnumeratorWriter).</summary>
        public const string ArrayEnumeratorTypeName = "<PgoArrayEnumerator>`1";

        private static readonly string[] EnumeratorPrefixes = { ListEnumeratorTypeName + "<", ArrayEnumeratorTypeName + "<" };

        /// <summary>Whether <paramref name="name"/> is (or starts with) one of the foreach rewrite's value types.</summary>
        public static bool IsEnumeratorType(string name) =>
            name.StartsWith(ListEnumeratorTypeName, StringComparison.Ordinal) || name.StartsWith(ArrayEnumeratorTypeName, StringComparison.Ordinal);

        private static string? EnumeratorPrefixOf(string text)
        {
            foreach (string prefix in EnumeratorPrefixes)
            {
                if (text.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return prefix;
                }
            }

            return null;
        }

        /// <summary>
        /// The calls of a method's IL to guards of the delegate-call rewrite: (IL offset, guard name, the guard's
        /// declaring type as the runtime names it). Empty for a method without them or with IL this reader rejects.
        /// </summary>
        public static IReadOnlyList<(int IlOffset, string Guard, string HostType)> GuardCalls(MetadataReader reader, byte[] il)
        {
            var result = new List<(int, string, string)>();
            try
            {
                foreach (var ins in IlReader.Read(il))
                {
                    if (!ins.HasToken || ins.OpCode.Value != System.Reflection.Emit.OpCodes.Call.Value)
                    {
                        continue;
                    }

                    var handle = MetadataTokens.EntityHandle(ins.Token);
                    if (handle.Kind == HandleKind.MethodSpecification)
                    {
                        handle = reader.GetMethodSpecification((MethodSpecificationHandle)handle).Method;
                    }

                    if (handle.Kind != HandleKind.MethodDefinition)
                    {
                        continue;
                    }

                    var method = reader.GetMethodDefinition((MethodDefinitionHandle)handle);
                    var type = method.GetDeclaringType();
                    if (reader.GetString(reader.GetTypeDefinition(type).Name) == DelegateGuardTypeName)
                    {
                        result.Add((ins.Offset, reader.GetString(method.Name), MetadataNames.TypeFullName(reader, type)));
                    }
                }
            }
            catch (BadImageFormatException)
            {
                result.Clear();
            }

            return result;
        }

        /// <summary>
        /// The IL offsets of a method's <c>foreach</c> loops the enumerator rewrite took (its <c>call
        /// &lt;PgoEnumerator&gt;`1::Of</c>, where the compiler wrote <c>GetEnumerator</c>). A recording of a rewritten build
        /// notes them, since the rewritten loop leaves no receiver types of its own there. Empty for other methods or IL this
        /// reader rejects.
        /// </summary>
        public static IReadOnlyList<(int IlOffset, string Type)> EnumeratorCalls(MetadataReader reader, byte[] il)
        {
            var result = new List<(int, string)>();
            try
            {
                foreach (var ins in IlReader.Read(il))
                {
                    if (ins.HasToken && ins.OpCode.Value == System.Reflection.Emit.OpCodes.Call.Value
                        && MetadataTokens.EntityHandle(ins.Token).Kind == HandleKind.MemberReference)
                    {
                        string called = TokenText.Of(reader, MetadataTokens.Handle(ins.Token));
                        string? prefix = EnumeratorPrefixOf(called);
                        if (prefix != null && called.EndsWith(">::" + EnumeratorOf, StringComparison.Ordinal))
                        {
                            result.Add((ins.Offset, prefix.Substring(0, prefix.Length - 1)));
                        }
                    }
                }
            }
            catch (BadImageFormatException)
            {
                result.Clear();
            }

            return result;
        }

        private const string EnumeratorOf = "Of(System.Collections.Generic.IEnumerable`1<!0>)";

        /// <summary>
        /// A delegate call as the compiler wrote it (<c>callvirt D::Invoke</c>) or as the delegate-call rewrite left it
        /// (<c>call &lt;PgoDelegateGuards&gt;::InvokeN</c>, the same size): one fingerprint for both, so the runtime data of a
        /// rewritten build's recording applies to the next build and the rewrite does not look like an edit.
        /// </summary>
        private static bool IsDelegateInvoke(MetadataReader reader, IlInstruction ins)
        {
            if (!ins.HasToken || (ins.OpCode.Value != System.Reflection.Emit.OpCodes.Callvirt.Value && ins.OpCode.Value != System.Reflection.Emit.OpCodes.Call.Value))
            {
                return false;
            }

            try
            {
                var handle = MetadataTokens.EntityHandle(ins.Token);
                if (handle.Kind == HandleKind.MethodSpecification)
                {
                    handle = reader.GetMethodSpecification((MethodSpecificationHandle)handle).Method;
                }

                bool isCallvirt = ins.OpCode.Value == System.Reflection.Emit.OpCodes.Callvirt.Value;
                switch (handle.Kind)
                {
                    case HandleKind.MemberReference:
                        return isCallvirt && reader.GetString(reader.GetMemberReference((MemberReferenceHandle)handle).Name) == "Invoke";
                    case HandleKind.MethodDefinition:
                    {
                        var method = reader.GetMethodDefinition((MethodDefinitionHandle)handle);
                        return isCallvirt
                            ? reader.GetString(method.Name) == "Invoke"
                            : reader.GetString(reader.GetTypeDefinition(method.GetDeclaringType()).Name) == DelegateGuardTypeName;
                    }

                    default:
                        return false;
                }
            }
            catch (BadImageFormatException)
            {
                return false;
            }
        }

        /// <summary>
        /// A <c>foreach</c> as the compiler wrote it (<c>callvirt IEnumerable`1::GetEnumerator</c>, <c>ldloc.s e</c>,
        /// <c>callvirt</c> of <c>MoveNext</c>, <c>get_Current</c>, <c>Dispose</c>) or as the enumerator rewrite left it
        /// (<c>call &lt;PgoEnumerator&gt;`1::Of</c>, <c>ldloca.s e</c>, <c>call</c>s of the value type, the same sizes): the
        /// rewritten instruction's line as the compiler's instruction spells it, so both have one fingerprint and a
        /// rewritten build's recording applies to the next build. Null for any other instruction.
        /// </summary>
        private static string? EnumeratorSpelling(MetadataReader reader, IlInstruction ins, HashSet<long> rewrittenLocals)
        {
            short code = ins.OpCode.Value;
            if (code == System.Reflection.Emit.OpCodes.Ldloca_S.Value || code == System.Reflection.Emit.OpCodes.Ldloca.Value)
            {
                return rewrittenLocals.Contains(ins.Operand)
                    ? (code == System.Reflection.Emit.OpCodes.Ldloca_S.Value ? System.Reflection.Emit.OpCodes.Ldloc_S.Value : System.Reflection.Emit.OpCodes.Ldloc.Value).ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + ins.Operand.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : null;
            }

            if (code != System.Reflection.Emit.OpCodes.Call.Value || !ins.HasToken)
            {
                return null;
            }

            string called = TokenText.Of(reader, MetadataTokens.Handle(ins.Token));
            int end = called.LastIndexOf(">::", StringComparison.Ordinal);
            string? prefix = EnumeratorPrefixOf(called);
            if (prefix == null || end < 0)
            {
                return null;
            }

            string element = called.Substring(prefix.Length, end - prefix.Length);
            string member = called.Substring(end + 3);
            string? original = member switch
            {
                EnumeratorOf => "System.Collections.Generic.IEnumerable`1<" + element + ">::GetEnumerator()",
                "MoveNext()" => "System.Collections.IEnumerator::MoveNext()",
                "get_Current()" => "System.Collections.Generic.IEnumerator`1<" + element + ">::get_Current()",
                "Dispose()" => "System.IDisposable::Dispose()",
                _ => null,
            };
            return original == null ? null : System.Reflection.Emit.OpCodes.Callvirt.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + original;
        }

        public static long Compute(MetadataReader reader, MethodBodyBlock body, byte[] il)
        {
            var text = new StringBuilder();
            HashSet<long>? rewrittenLocals = null;
            text.Append("maxstack ").Append(body.MaxStack).Append(" init ").Append(body.LocalVariablesInitialized).Append('\n');
            if (!body.LocalSignature.IsNil)
            {
                try
                {
                    var locals = reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(SignatureText.Instance, null);
                    for (int i = 0; i < locals.Length; i++)
                    {
                        if (EnumeratorPrefixOf(locals[i]) != null)
                        {
                            (rewrittenLocals ??= new HashSet<long>()).Add(i);
                        }
                    }

                    string joined = string.Join(",", locals);
                    foreach (string prefix in EnumeratorPrefixes)
                    {
                        joined = joined.Replace(prefix, "System.Collections.Generic.IEnumerator`1<");
                    }

                    text.Append("locals ").Append(joined).Append('\n');
                }
                catch (BadImageFormatException)
                {
                    text.Append("locals ?\n");
                }
            }

            foreach (var region in body.ExceptionRegions)
            {
                text.Append("eh ").Append(region.Kind).Append(' ').Append(region.TryOffset).Append(' ').Append(region.TryLength)
                    .Append(' ').Append(region.HandlerOffset).Append(' ').Append(region.HandlerLength).Append(' ')
                    .Append(region.FilterOffset).Append(' ').Append(region.CatchType.IsNil ? "" : TokenText.Of(reader, region.CatchType)).Append('\n');
            }

            try
            {
                foreach (var ins in IlReader.Read(il))
                {
                    if (IsDelegateInvoke(reader, ins))
                    {
                        text.Append("invoke\n");
                        continue;
                    }

                    if (rewrittenLocals != null && EnumeratorSpelling(reader, ins, rewrittenLocals) is string original)
                    {
                        text.Append(original).Append('\n');
                        continue;
                    }

                    text.Append(ins.OpCode.Value);
                    if (ins.HasToken)
                    {
                        text.Append(' ').Append(TokenText.Of(reader, MetadataTokens.Handle(ins.Token)));
                    }
                    else if (ins.OpCode.OperandType != System.Reflection.Emit.OperandType.InlineNone)
                    {
                        text.Append(' ').Append(ins.Operand);
                    }

                    text.Append('\n');
                }
            }
            catch (BadImageFormatException)
            {
                text.Append("raw ").Append(Convert.ToBase64String(il));
            }

            using var sha = SHA256.Create();
            byte[] hash = sha.ComputeHash(Encoding.UTF8.GetBytes(text.ToString()));
            long value = 0;
            for (int i = 0; i < 8; i++)
            {
                value = (value << 8) | hash[i];
            }

            return value & long.MaxValue;
        }
    }
}
