using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using Pgo.Build.Metadata;

namespace Pgo.Build.Matching
{
    /// <summary>One canonical instantiation of a generic method: its declaring type's arguments and its own, and the runtime's hash of it.</summary>
    public sealed class MethodInstantiation
    {
        public MethodInstantiation(TypeModel owningType, IReadOnlyList<TypeModel> methodArguments, int hash)
        {
            OwningType = owningType;
            MethodArguments = methodArguments;
            Hash = hash;
        }

        /// <summary>The declaring type as instantiated (its definition when it is not generic).</summary>
        public TypeModel OwningType { get; }

        public IReadOnlyList<TypeModel> MethodArguments { get; }

        /// <summary>The runtime's version-resilient method hash of this instantiation (its <c>methodhash</c>).</summary>
        public int Hash { get; }

        /// <summary>The declaring type's arguments (empty when it is not generic).</summary>
        public IReadOnlyList<TypeModel> TypeArguments => OwningType.Arguments;

        public override string ToString() => OwningType + "::[" + string.Join(",", MethodArguments) + "]";
    }

    /// <summary>
    /// The instantiations of generic methods a program can run, as the runtime compiles them (canonical: every
    /// reference-type argument is <c>System.__Canon</c>, value types exact), collected from its metadata: every
    /// closed MethodSpec and every closed generic-type member reference of its assemblies, then, to a fixed point,
    /// what the bodies of those instantiated methods call with their own parameters bound (<c>Filter&lt;!!0&gt;</c>
    /// inside <c>Outer&lt;int&gt;</c> is <c>Filter&lt;int&gt;</c>). Instantiations made only through reflection
    /// (<c>MakeGenericMethod</c>) or generic virtual methods reached through an override are not seen.
    /// </summary>
    public sealed class GenericInstantiations
    {
        /// <summary>Instantiations deeper than this (generic arguments nested in arguments) are not followed.</summary>
        public const int MaxDepth = 8;

        /// <summary>At most this many instantiated methods are expanded (recursive generics can be unbounded).</summary>
        public const int MaxContexts = 200_000;

        private readonly ProgramMetadata _program;
        private readonly Dictionary<(string Assembly, int Token), Dictionary<string, MethodInstantiation>> _byMethod =
            new Dictionary<(string, int), Dictionary<string, MethodInstantiation>>();
        private readonly HashSet<string> _seen = new HashSet<string>(StringComparer.Ordinal);
        private readonly Queue<Context> _queue = new Queue<Context>();
        private readonly Dictionary<(string, int), List<Call>> _calls = new Dictionary<(string, int), List<Call>>();
        private readonly Dictionary<(string, int), Call?> _decoded = new Dictionary<(string, int), Call?>();

        private GenericInstantiations(ProgramMetadata program)
        {
            _program = program;
        }

        /// <summary>Instantiated methods expanded (generic methods and methods of generic types).</summary>
        public int Contexts => _seen.Count;

        /// <summary>Generic method instantiations found (all methods).</summary>
        public int Count => _byMethod.Values.Sum(m => m.Count);

        /// <summary>Whether <see cref="MaxContexts"/> stopped the expansion.</summary>
        public bool Truncated { get; private set; }

        /// <summary>Collects the instantiations of the program whose metadata <paramref name="program"/> gives, seeded from <paramref name="seedAssemblies"/>.</summary>
        public static GenericInstantiations Collect(ProgramMetadata program, IEnumerable<string> seedAssemblies)
        {
            var result = new GenericInstantiations(program);
            foreach (string name in seedAssemblies.Distinct(StringComparer.OrdinalIgnoreCase).OrderBy(n => n, StringComparer.Ordinal))
            {
                if (program.Get(name) is ProgramMetadata.AssemblyIndex assembly)
                {
                    result.Seed(assembly);
                }
            }

            result.Expand();
            result._calls.Clear(); // only the instantiations are kept
            result._decoded.Clear();
            return result;
        }

        /// <summary>The instantiations one assembly makes of its own generic methods (calls into other assemblies are not followed).</summary>
        public static GenericInstantiations Of(AssemblySymbols assembly)
        {
            using var program = new ProgramMetadata(new[] { assembly }, Array.Empty<string>());
            return Collect(program, new[] { assembly.AssemblyName });
        }

        /// <summary>The canonical instantiations found for the generic method <paramref name="token"/> of <paramref name="assembly"/>, in a stable order.</summary>
        public IReadOnlyList<MethodInstantiation> Of(string assembly, int token) =>
            _byMethod.TryGetValue((assembly, token), out var found)
                ? found.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value).ToList()
                : (IReadOnlyList<MethodInstantiation>)Array.Empty<MethodInstantiation>();

        /// <summary>A method to expand: definition plus bound, canonical arguments.</summary>
        private readonly record struct Context(ProgramMetadata.AssemblyIndex Assembly, MethodDefinitionHandle Method, IReadOnlyList<TypeModel> TypeArguments, IReadOnlyList<TypeModel> MethodArguments);

        /// <summary>A call in a method body: its target and the arguments, possibly still naming the caller's parameters.</summary>
        private readonly record struct Call(ProgramMetadata.AssemblyIndex Assembly, MethodDefinitionHandle Method, IReadOnlyList<TypeModel> TypeArguments, IReadOnlyList<TypeModel> MethodArguments);

        private void Seed(ProgramMetadata.AssemblyIndex assembly)
        {
            var reader = assembly.Reader;
            foreach (var handle in EnumerateMethodSpecs(reader))
            {
                if (Decode(assembly, handle) is Call call)
                {
                    Add(call, Array.Empty<TypeModel>(), Array.Empty<TypeModel>());
                }
            }

            foreach (var handle in reader.MemberReferences)
            {
                var parent = reader.GetMemberReference(handle).Parent;
                if (parent.Kind == HandleKind.TypeSpecification && Decode(assembly, handle) is Call call)
                {
                    Add(call, Array.Empty<TypeModel>(), Array.Empty<TypeModel>());
                }
            }
        }

        private static IEnumerable<MethodSpecificationHandle> EnumerateMethodSpecs(MetadataReader reader)
        {
            int rows = reader.GetTableRowCount(TableIndex.MethodSpec);
            for (int row = 1; row <= rows; row++)
            {
                yield return MetadataTokens.MethodSpecificationHandle(row);
            }
        }

        private void Expand()
        {
            while (_queue.Count > 0)
            {
                var context = _queue.Dequeue();
                foreach (var call in CallsOf(context.Assembly, context.Method))
                {
                    Add(call, context.TypeArguments, context.MethodArguments);
                }
            }
        }

        /// <summary>Binds a call's arguments in the caller's context, makes them canonical and records the instantiation.</summary>
        private void Add(Call call, IReadOnlyList<TypeModel> typeArguments, IReadOnlyList<TypeModel> methodArguments)
        {
            var (typeArity, methodArity) = call.Assembly.Arity(call.Method);
            if (typeArity + methodArity == 0 || call.TypeArguments.Count != typeArity || call.MethodArguments.Count != methodArity)
            {
                return;
            }

            var boundType = Bind(call.TypeArguments, typeArguments, methodArguments);
            var boundMethod = Bind(call.MethodArguments, typeArguments, methodArguments);
            if (boundType == null || boundMethod == null)
            {
                return; // still open (a caller that is not itself instantiated), or deeper than followed
            }

            string key = call.Assembly.Name + "|" + MetadataTokens.GetToken(call.Method) + "|" +
                string.Join(",", boundType.Select(t => t.Key)) + "|" + string.Join(",", boundMethod.Select(t => t.Key));
            if (!_seen.Add(key))
            {
                return;
            }

            if (methodArity > 0)
            {
                var definition = call.Assembly.Reader.GetMethodDefinition(call.Method);
                var owning = call.Assembly.Definition(definition.GetDeclaringType());
                if (boundType.Count > 0)
                {
                    owning = owning.Instantiate(boundType)!;
                }

                string name = call.Assembly.Reader.GetString(definition.Name);
                var instantiation = new MethodInstantiation(owning, boundMethod, TypeModel.MethodHash(owning, name, boundMethod));
                var id = (call.Assembly.Name, MetadataTokens.GetToken(call.Method));
                if (!_byMethod.TryGetValue(id, out var list))
                {
                    _byMethod.Add(id, list = new Dictionary<string, MethodInstantiation>(StringComparer.Ordinal));
                }

                list[key] = instantiation;
            }

            if (_seen.Count >= MaxContexts)
            {
                Truncated = true;
                return;
            }

            _queue.Enqueue(new Context(call.Assembly, call.Method, boundType, boundMethod));
        }

        /// <summary>The arguments with the caller's parameters bound, canonical; null when any stays open or is too deep.</summary>
        private static IReadOnlyList<TypeModel>? Bind(IReadOnlyList<TypeModel> arguments, IReadOnlyList<TypeModel> typeArguments, IReadOnlyList<TypeModel> methodArguments)
        {
            var result = new TypeModel[arguments.Count];
            for (int i = 0; i < arguments.Count; i++)
            {
                var bound = arguments[i].Substitute(typeArguments, methodArguments)?.Canonical();
                if (bound == null || bound.HasVariables || bound.Depth > MaxDepth)
                {
                    return null;
                }

                result[i] = bound;
            }

            return result;
        }

        /// <summary>The generic calls of a method body (targets with arguments to bind), decoded once per method.</summary>
        private List<Call> CallsOf(ProgramMetadata.AssemblyIndex assembly, MethodDefinitionHandle method)
        {
            var id = (assembly.Name, MetadataTokens.GetToken(method));
            if (_calls.TryGetValue(id, out var calls))
            {
                return calls;
            }

            calls = new List<Call>();
            var seen = new HashSet<int>();
            try
            {
                foreach (var ins in IlReader.Read(assembly.Symbols.GetIl(id.Item2)))
                {
                    if (!IsCallLike(ins.OpCode) || !seen.Add(ins.Token))
                    {
                        continue;
                    }

                    var handle = MetadataTokens.EntityHandle(ins.Token);
                    if ((handle.Kind == HandleKind.MethodSpecification || handle.Kind == HandleKind.MemberReference) && Decode(assembly, handle) is Call call)
                    {
                        calls.Add(call);
                    }
                }
            }
            catch (BadImageFormatException)
            {
            }

            _calls.Add(id, calls);
            return calls;
        }

        private static bool IsCallLike(OpCode op) =>
            op == OpCodes.Call || op == OpCodes.Callvirt || op == OpCodes.Newobj || op == OpCodes.Ldftn || op == OpCodes.Ldvirtftn ||
            op == OpCodes.Jmp || op == OpCodes.Ldtoken;

        /// <summary>A MethodSpec or a generic type's member reference as a call (null when it resolves to no definition in the program).</summary>
        private Call? Decode(ProgramMetadata.AssemblyIndex assembly, EntityHandle handle)
        {
            var id = (assembly.Name, MetadataTokens.GetToken(handle));
            if (!_decoded.TryGetValue(id, out var call))
            {
                call = DecodeOnce(assembly, handle);
                _decoded.Add(id, call);
            }

            return call;
        }

        private static Call? DecodeOnce(ProgramMetadata.AssemblyIndex assembly, EntityHandle handle)
        {
            try
            {
                var reader = assembly.Reader;
                EntityHandle method = handle;
                IReadOnlyList<TypeModel> methodArguments = Array.Empty<TypeModel>();
                if (handle.Kind == HandleKind.MethodSpecification)
                {
                    var spec = reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                    method = spec.Method;
                    methodArguments = spec.DecodeSignature(assembly, null);
                }

                if (assembly.ResolveMethod(method) is not var (target, definition, typeArguments))
                {
                    return null;
                }

                return new Call(target, definition, typeArguments, methodArguments);
            }
            catch (Exception e) when (e is BadImageFormatException || e is NotSupportedException)
            {
                return null;
            }
        }
    }
}
