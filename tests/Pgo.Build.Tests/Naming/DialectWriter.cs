using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Pgo.Build.Naming;
using Pgo.Build.Profiles;

namespace Pgo.Build.Tests.Naming
{
    /// <summary>
    /// Test helper: spells a method the way another .NET profiler would (research/dotnet-pprof.md), and rewrites a
    /// profile recorded by 'pgo record' into such a producer's profile: frame names in its dialect, no system
    /// names, start lines or lines, no embedded runtime PGO data.
    /// </summary>
    internal static class DialectWriter
    {
        public static readonly FrameDialect[] Foreign =
        {
            FrameDialect.Pyroscope, FrameDialect.Datadog, FrameDialect.PerfMap, FrameDialect.EventPipe, FrameDialect.OpenTelemetry,
        };

        /// <summary>
        /// A method's frame name in <paramref name="dialect"/>, from its assembly, metadata type name
        /// (<c>Ns.Outer`1+Inner</c>) and method name.
        /// </summary>
        public static string Render(FrameDialect dialect, string assembly, string typeFullName, string method)
        {
            var (ns, types) = Split(typeFullName);
            switch (dialect)
            {
                case FrameDialect.Pyroscope:
                    return ns + "!" + string.Join(".", types.Select(t => Angle(t))) + "." + method;
                case FrameDialect.Datadog:
                    return $"|lm:{assembly} |ns:{ns} |ct:{string.Join(".", types.Select(StripArity))} |cg:{GenericList(types)} |fn:{method} |fg: |sg:()";
                case FrameDialect.PerfMap:
                    return $"void [{assembly}] {typeFullName}::{method}()[OptimizedTier1]";
                case FrameDialect.EventPipe:
                    return assembly + "!" + string.Join("+", Prefix(ns, types.Select(t => t.Contains('`') ? t + "[System.__Canon]" : t))) + "." + method + "()";
                case FrameDialect.OpenTelemetry:
                    return (ns.Length == 0 ? "" : ns + ".") + string.Join("/", types.Select(StripArity)) + "." + method;
                default:
                    throw new ArgumentOutOfRangeException(nameof(dialect));
            }
        }

        /// <summary>
        /// <paramref name="profile"/> (recorded by 'pgo record', whose system names say assembly, type and method) as
        /// <paramref name="dialect"/>'s producer would have written it.
        /// </summary>
        /// <remarks>
        /// <see cref="FrameDialect.Recorder"/> keeps our own names and system names and drops only what other
        /// producers lack (lines, start lines, runtime data): the same information as every other dialect.
        /// </remarks>
        public static ProfileData Rewrite(ProfileData profile, FrameDialect dialect)
        {
            var functions = new Dictionary<ProfileFunction, ProfileFunction>();
            ProfileFunction Map(ProfileFunction f)
            {
                if (!functions.TryGetValue(f, out var mapped))
                {
                    mapped = dialect == FrameDialect.Recorder ? new ProfileFunction(f.Name, f.SystemName, "", 0)
                        : Parse(f.SystemName) is var (assembly, type, method)
                        ? new ProfileFunction(Render(dialect, assembly, type, method), "", dialect == FrameDialect.Pyroscope ? assembly : "", 0)
                        : new ProfileFunction(f.Name, "", "", 0);
                    functions.Add(f, mapped);
                }

                return mapped;
            }

            var locations = new Dictionary<ulong, ProfileLocation>();
            var samples = new List<ProfileSample>();
            int count = profile.SampleTypes.ToList().FindIndex(t => t.Type == "samples");
            int cpu = profile.SampleTypes.ToList().FindIndex(t => t.Type == "cpu");
            foreach (var sample in profile.Samples)
            {
                if (sample.Values[cpu] == 0)
                {
                    continue; // the runtime's own PGO data (0 CPU): only 'pgo record' has it
                }

                var stack = sample.Stack.Select(l =>
                {
                    if (!locations.TryGetValue(l.Id, out var mapped))
                    {
                        mapped = new ProfileLocation(l.Id, 0, l.Lines.Select(line => new ProfileLine(Map(line.Function), 0)).ToArray());
                        locations.Add(l.Id, mapped);
                    }

                    return mapped;
                }).ToArray();
                samples.Add(new ProfileSample(stack, new[] { sample.Values[count], sample.Values[cpu] }));
            }

            var types = new[] { new SampleType("samples", "count"), new SampleType("cpu", "nanoseconds") };
            return new ProfileData(types, samples, profile.DurationNanos, profile.Period, profile.PeriodType, profile.TimeNanos,
                Array.Empty<string>(), profile.DefaultSampleType);
        }

        /// <summary>(assembly, metadata type name, method) of a 'pgo record' system name <c>Asm!Ns.T`1+N::M``1(args)</c>.</summary>
        public static (string Assembly, string Type, string Method)? Parse(string systemName)
        {
            int bang = systemName.IndexOf('!');
            int colons = systemName.IndexOf("::", StringComparison.Ordinal);
            int open = systemName.IndexOf('(');
            if (bang <= 0 || colons < bang || open < colons)
            {
                return null;
            }

            string method = systemName.Substring(colons + 2, open - colons - 2);
            int ticks = method.IndexOf("``", StringComparison.Ordinal);
            return (systemName.Substring(0, bang), systemName.Substring(bang + 1, colons - bang - 1), ticks < 0 ? method : method.Substring(0, ticks));
        }

        private static (string Namespace, string[] Types) Split(string typeFullName)
        {
            var types = typeFullName.Split('+');
            int dot = types[0].LastIndexOf('.');
            string ns = dot < 0 ? "" : types[0].Substring(0, dot);
            types[0] = types[0].Substring(dot + 1);
            return (ns, types);
        }

        private static IEnumerable<string> Prefix(string ns, IEnumerable<string> types)
        {
            var list = types.ToList();
            if (ns.Length > 0)
            {
                list[0] = ns + "." + list[0];
            }

            return list;
        }

        private static string StripArity(string type)
        {
            int tick = type.IndexOf('`');
            return tick < 0 ? type : type.Substring(0, tick);
        }

        private static int Arity(string type)
        {
            int tick = type.IndexOf('`');
            return tick < 0 ? 0 : int.Parse(type.Substring(tick + 1), System.Globalization.CultureInfo.InvariantCulture);
        }

        private static string Angle(string type)
        {
            int arity = Arity(type);
            return arity == 0 ? type : StripArity(type) + "<" + string.Join(", ", Enumerable.Range(0, arity).Select(i => "T" + i)) + ">";
        }

        private static string GenericList(string[] types)
        {
            int arity = types.Sum(Arity);
            return arity == 0 ? "" : "<" + string.Join(", ", Enumerable.Range(0, arity).Select(i => "T" + i)) + ">";
        }
    }
}
