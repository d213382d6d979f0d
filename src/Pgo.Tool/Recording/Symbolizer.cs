using System;
using System.Collections.Generic;
using System.IO;
using Pgo.Build.Metadata;
using Pgo.Build.Naming;
using Pgo.Build.Profiles;

namespace Pgo.Tool.Recording
{
    /// <summary>
    /// Turns code addresses and (module, token, IL offset) triples into pprof functions and lines, through each
    /// module's metadata and portable PDB. Functions are shared, so equal methods are one pprof function.
    /// </summary>
    internal sealed class Symbolizer : IDisposable
    {
        private readonly TraceContents _trace;
        private readonly Dictionary<string, AssemblySymbols?> _assemblies = new Dictionary<string, AssemblySymbols?>(StringComparer.Ordinal);
        private readonly Dictionary<(ulong, int), (ProfileFunction Function, MethodSymbol? Symbol)> _functions = new Dictionary<(ulong, int), (ProfileFunction, MethodSymbol?)>();
        private readonly Dictionary<string, ProfileFunction> _named = new Dictionary<string, ProfileFunction>(StringComparer.Ordinal);

        public Symbolizer(TraceContents trace)
        {
            _trace = trace;
        }

        public int UnresolvedFrames { get; private set; }

        /// <summary>The frame at a stack address; <paramref name="isLeaf"/> false means a return address (step back one byte).</summary>
        public ProfileLine? Frame(ulong address, bool isLeaf)
        {
            ulong lookup = isLeaf ? address : address - 1;
            var code = _trace.Find(lookup);
            if (code == null)
            {
                UnresolvedFrames++;
                return null;
            }

            var (function, symbol) = Function(code.Method);
            int? il = code.IlOffsetAt((uint)(lookup - code.Start));
            long line = symbol != null && il.HasValue ? symbol.LineAt(il.Value) : 0;
            return new ProfileLine(function, line);
        }

        /// <summary>The pprof function of a method, and its metadata when the module could be read.</summary>
        public (ProfileFunction Function, MethodSymbol? Symbol) Function(JittedMethod method)
        {
            var key = (method.ModuleId, method.Token);
            if (_functions.TryGetValue(key, out var known))
            {
                return known;
            }

            MethodSymbol? symbol = null;
            _trace.Modules.TryGetValue(method.ModuleId, out var path);
            if (method.Token != 0 && path != null)
            {
                symbol = Assembly(path)?.GetMethod(method.Token);
                if (symbol != null && symbol.MethodName != method.Name)
                {
                    symbol = null; // a file of that path exists here but is another build (a trace from another machine)
                }
            }

            ProfileFunction function = symbol != null
                ? new ProfileFunction(symbol.Name, symbol.SystemName, symbol.FileName, symbol.StartLine)
                : FromRuntimeNames(method, path);
            function = Intern(function);
            var result = (function, symbol);
            _functions.Add(key, result);
            return result;
        }

        /// <summary>
        /// The calls of a method to guards of Pgo.Build's delegate-call rewrite (a guarded build being recorded): the
        /// recording notes them, since an inlined guard leaves no record of its own (IlFingerprint.GuardCalls).
        /// </summary>
        public IReadOnlyList<(int IlOffset, string Guard, string HostType)> GuardCalls(JittedMethod method)
        {
            _trace.Modules.TryGetValue(method.ModuleId, out var path);
            var assembly = path == null || method.Token == 0 ? null : Assembly(path);
            return assembly == null ? Array.Empty<(int, string, string)>() : IlFingerprint.GuardCalls(assembly.Reader, assembly.GetIl(method.Token));
        }

        /// <summary>The IL offsets of a method's <c>foreach</c> loops rewritten by Pgo.Build (IlFingerprint.EnumeratorCalls).</summary>
        public IReadOnlyList<(int IlOffset, string Type)> EnumeratorCalls(JittedMethod method)
        {
            _trace.Modules.TryGetValue(method.ModuleId, out var path);
            var assembly = path == null || method.Token == 0 ? null : Assembly(path);
            return assembly == null ? Array.Empty<(int, string)>() : IlFingerprint.EnumeratorCalls(assembly.Reader, assembly.GetIl(method.Token));
        }

        /// <summary>
        /// A method whose module cannot be read here (a trace from another machine): its identity from the runtime's
        /// own names, in our format: readable <c>Ns.Outer.Inner.Method</c> and <c>Asm!Ns.Outer`1+Inner::Method(args)</c>
        /// with the runtime's spelling of the parameter types; no file, no lines.
        /// </summary>
        internal static ProfileFunction FromRuntimeNames(JittedMethod method, string? modulePath)
        {
            string type = StripInstantiation(method.Namespace);
            string readable = FrameNames.KeyOf(type.Length == 0 ? method.Name : type + "." + method.Name) ?? method.RuntimeName;
            int open = method.Signature.IndexOf('(');
            string parameters = open < 0 ? "()" : method.Signature.Substring(open).Replace(" ", "");
            string assembly = modulePath == null ? "?" : Path.GetFileNameWithoutExtension(modulePath.Replace('\\', '/').Substring(modulePath.Replace('\\', '/').LastIndexOf('/') + 1));
            return new ProfileFunction(readable, assembly + "!" + type + "::" + method.Name + parameters, "", 0);
        }

        /// <summary><c>Dictionary`2[System.__Canon,System.__Canon]</c> → <c>Dictionary`2</c> (the definition, not an instantiation).</summary>
        private static string StripInstantiation(string typeName)
        {
            var sb = new System.Text.StringBuilder(typeName.Length);
            int depth = 0;
            foreach (char c in typeName)
            {
                if (c == '[')
                {
                    depth++;
                }
                else if (c == ']')
                {
                    depth--;
                }
                else if (depth == 0)
                {
                    sb.Append(c);
                }
            }

            return sb.ToString();
        }

        /// <summary>A function that stands for a name only (a receiver type, a delegate target).</summary>
        public ProfileFunction Named(string name, string systemName) => Intern(new ProfileFunction(name, systemName, "", 0));

        public AssemblySymbols? Assembly(string path)
        {
            if (!_assemblies.TryGetValue(path, out var symbols))
            {
                symbols = AssemblySymbols.TryOpen(path);
                _assemblies.Add(path, symbols);
            }

            return symbols;
        }

        public void Dispose()
        {
            foreach (var a in _assemblies.Values)
            {
                a?.Dispose();
            }
        }

        private ProfileFunction Intern(ProfileFunction function)
        {
            string key = function.SystemName + "\n" + function.Name + "\n" + function.FileName + "\n" + function.StartLine;
            if (!_named.TryGetValue(key, out var existing))
            {
                _named.Add(key, function);
                existing = function;
            }

            return existing;
        }
    }
}
