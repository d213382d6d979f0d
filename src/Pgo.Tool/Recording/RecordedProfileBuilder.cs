using System;
using System.Collections.Generic;
using System.Linq;
using Pgo.Build.Metadata;
using Pgo.Build.Profiles;
using Pgo.Build.RuntimePgo;

namespace Pgo.Tool.Recording
{
    /// <summary>What went into a recorded profile, for the tool's summary and for tests.</summary>
    internal sealed record RecordStats(
        int CpuSamples, int ExternalSamples, int UnresolvedFrames, int PgoMethods, int PgoMethodsResolved, int PgoMethodsAmbiguous, int PgoSamples);

    /// <summary>
    /// Builds the pprof profile of a recording: CPU samples (samples/count, cpu/nanoseconds) from the trace,
    /// and the runtime's instrumentation data as calls/count and blocks/count samples (docs/profile-encoding.md).
    /// </summary>
    internal sealed class RecordedProfileBuilder
    {
        public const long SamplingPeriodNanos = 1_000_000; // EventPipe SampleProfiler: one stack per thread per millisecond.

        private static readonly SampleType[] Types =
        {
            new SampleType("samples", "count"),
            new SampleType("cpu", "nanoseconds"),
            new SampleType(EmbeddedPgo.CallsType, EmbeddedPgo.CountUnit),
            new SampleType(EmbeddedPgo.BlocksType, EmbeddedPgo.CountUnit),
        };

        private readonly TraceContents _trace;
        private readonly Symbolizer _symbols;
        private readonly Dictionary<ProfileLine, ProfileLocation> _locations = new Dictionary<ProfileLine, ProfileLocation>();
        private readonly List<ProfileSample> _samples = new List<ProfileSample>();

        public RecordedProfileBuilder(TraceContents trace, Symbolizer symbols)
        {
            _trace = trace;
            _symbols = symbols;
        }

        /// <param name="progress">called now and then with (samples symbolized, samples in the trace).</param>
        public (ProfileData Profile, RecordStats Stats) Build(IReadOnlyList<RuntimePgoMethod> pgo, DateTime startUtc, TimeSpan duration, IReadOnlyList<string> comments, Action<int, int>? progress = null)
        {
            int cpu = AddCpuSamples(progress);
            var (resolved, ambiguous, pgoSamples) = AddPgoSamples(pgo);
            var profile = new ProfileData(
                Types,
                _samples,
                durationNanos: (long)(duration.TotalMilliseconds * 1_000_000),
                period: SamplingPeriodNanos,
                periodType: new SampleType("cpu", "nanoseconds"),
                timeNanos: (startUtc - DateTime.UnixEpoch).Ticks * 100,
                comments: comments,
                defaultSampleType: "cpu");
            return (profile, new RecordStats(cpu, _trace.ExternalSamples, _symbols.UnresolvedFrames, pgo.Count, resolved, ambiguous, pgoSamples));
        }

        private int AddCpuSamples(Action<int, int>? progress)
        {
            var counts = new Dictionary<StackKey, long>();
            var order = new List<StackKey>();
            int total = 0, seen = 0;
            foreach (var sample in _trace.Samples)
            {
                if ((++seen & 1023) == 0)
                {
                    progress?.Invoke(seen, _trace.Samples.Count);
                }

                var stack = new List<ProfileLocation>(sample.Addresses.Length);
                for (int i = 0; i < sample.Addresses.Length; i++)
                {
                    var frame = _symbols.Frame(sample.Addresses[i], isLeaf: i == 0);
                    if (frame.HasValue && !(stack.Count == 0 && IsSuspensionFrame(frame.Value.Function)))
                    {
                        stack.Add(Location(frame.Value));
                    }
                }

                if (stack.Count == 0)
                {
                    continue;
                }

                total++;
                var key = new StackKey(stack.ToArray());
                if (counts.TryGetValue(key, out long n))
                {
                    counts[key] = n + 1;
                }
                else
                {
                    counts.Add(key, 1);
                    order.Add(key);
                }
            }

            foreach (var key in order)
            {
                long n = counts[key];
                _samples.Add(new ProfileSample(key.Stack, new[] { n, n * SamplingPeriodNanos, 0L, 0L }));
            }

            return total;
        }

        /// <summary>
        /// The sampler stops threads at GC safe points: a thread in a loop is seen inside the JIT's GC poll helper.
        /// Those leaf frames are an artifact of sampling, so the stack starts at the managed code that polled.
        /// </summary>
        internal static bool IsSuspensionFrame(ProfileFunction function) =>
            function.Name.StartsWith("System.Threading.Thread.PollGC", StringComparison.Ordinal) ||
            function.Name.StartsWith("System.Threading.Thread.FastPollGC", StringComparison.Ordinal) ||
            function.Name.StartsWith("System.Threading.Thread.<PollGC>", StringComparison.Ordinal);

        private (int Resolved, int Ambiguous, int Samples) AddPgoSamples(IReadOnlyList<RuntimePgoMethod> pgo)
        {
            var byRuntimeName = new Dictionary<string, List<JittedMethod>>(StringComparer.Ordinal);
            foreach (var method in _trace.Code.Select(c => c.Method).Distinct())
            {
                string key = method.RuntimeName + "|" + method.Signature;
                if (!byRuntimeName.TryGetValue(key, out var list))
                {
                    byRuntimeName.Add(key, list = new List<JittedMethod>());
                }

                if (!list.Any(m => m.ModuleId == method.ModuleId && m.Token == method.Token))
                {
                    list.Add(method);
                }
            }

            int resolved = 0, ambiguous = 0, before = _samples.Count;
            foreach (var entry in pgo)
            {
                if (!byRuntimeName.TryGetValue(entry.MethodName + "|" + entry.Signature, out var candidates))
                {
                    continue;
                }

                var matches = candidates.Select(_symbols.Function).Where(f => f.Symbol != null && f.Symbol.CurrentIlSize == entry.IlSize).ToList();
                if (matches.Select(m => m.Symbol!.SystemName).Distinct().Count() != 1)
                {
                    if (matches.Count > 1)
                    {
                        ambiguous++;
                    }

                    continue;
                }

                resolved++;
                AddMethodRecords(entry, matches[0].Function, matches[0].Symbol!);
                AddGuardCalls(candidates.First(c => _symbols.Function(c).Symbol?.SystemName == matches[0].Symbol!.SystemName), matches[0].Function, matches[0].Symbol!);
            }

            return (resolved, ambiguous, _samples.Count - before);
        }

        private void AddMethodRecords(RuntimePgoMethod entry, ProfileFunction function, MethodSymbol symbol)
        {
            var methodLabels = new List<ProfileLabel>
            {
                Num(EmbeddedPgo.IlSizeLabel, symbol.IlSize),
                Num(EmbeddedPgo.IlHashLabel, symbol.IlHash),
                Num(EmbeddedPgo.MethodHashLabel, entry.MethodHash),
            };
            if (entry.MethodName.IndexOf('[') >= 0)
            {
                methodLabels.Add(new ProfileLabel(EmbeddedPgo.InstantiationLabel, entry.MethodName, 0, ""));
            }

            foreach (var record in entry.Records)
            {
                // Lines from the file as it is; offsets (and an edge's target) as the compiler wrote the IL, the
                // identity the profile keeps (a method an IL rewrite moved: MethodSymbol.Moves).
                var site = Location(new ProfileLine(function, symbol.LineAt(record.IlOffset)));
                var labels = new List<ProfileLabel>(methodLabels)
                {
                    Num(EmbeddedPgo.KindLabel, record.Kind),
                    Num(EmbeddedPgo.IlOffsetLabel, Original(symbol, record.IlOffset)),
                    Num(EmbeddedPgo.OtherLabel, InstrumentationKind.IsEdge(record.Kind) ? Original(symbol, (int)record.Other) : record.Other),
                };
                bool call = InstrumentationKind.IsCallRecord(record.Kind);
                if (InstrumentationKind.IsHandleTable(record.Kind))
                {
                    bool types = record.Kind == InstrumentationKind.HandleHistogramTypes || record.Kind == InstrumentationKind.GetLikelyClass;
                    var histogram = record.Handles.Where(h => h != "NULL" && h != "UNKNOWN")
                        .GroupBy(h => h, StringComparer.Ordinal)
                        .Select(g => (Handle: g.Key, Count: (long)g.Count()))
                        .OrderByDescending(x => x.Count).ThenBy(x => x.Handle, StringComparer.Ordinal);
                    foreach (var (handle, count) in histogram)
                    {
                        var target = Location(new ProfileLine(types ? TypeFunction(handle) : DelegateTargetFunction(handle), 0));
                        var entryLabels = new List<ProfileLabel>(labels)
                        {
                            new ProfileLabel(types ? EmbeddedPgo.TypeLabel : EmbeddedPgo.MethodLabel, handle, 0, ""),
                        };
                        _samples.Add(new ProfileSample(new[] { target, site }, new[] { 0L, 0L, count, 0L }, entryLabels));
                    }

                    continue;
                }

                for (int i = 0; i < record.Counts.Count; i++)
                {
                    var valueLabels = labels;
                    if (record.Counts.Count > 1)
                    {
                        valueLabels = new List<ProfileLabel>(labels) { Num(EmbeddedPgo.IndexLabel, i) };
                    }

                    long value = record.Counts[i];
                    _samples.Add(new ProfileSample(new[] { site }, call ? new[] { 0L, 0L, value, 0L } : new[] { 0L, 0L, 0L, value }, valueLabels));
                }
            }
        }

        /// <summary>
        /// A recorded method of a build with delegate guards: one entry per guard call (a delegate-target record at the
        /// call, naming the guard: its name lists its targets), so the next build keeps those guards even where the
        /// guard was inlined and left no record of its own (Go's iterative stability; Rewriting.GuardName).
        /// </summary>
        private void AddGuardCalls(JittedMethod method, ProfileFunction function, MethodSymbol symbol)
        {
            string assembly = symbol.SystemName.Substring(0, Math.Max(0, symbol.SystemName.IndexOf('!')));
            AddEnumeratorCalls(method, function, symbol, assembly);
            var calls = _symbols.GuardCalls(method);
            if (calls.Count == 0)
            {
                return;
            }

            foreach (var (ilOffset, guard, host) in calls)
            {
                string handle = guard + "|@|" + host + ", " + assembly;
                var labels = new List<ProfileLabel>
                {
                    Num(EmbeddedPgo.IlSizeLabel, symbol.IlSize),
                    Num(EmbeddedPgo.IlHashLabel, symbol.IlHash),
                    Num(EmbeddedPgo.KindLabel, InstrumentationKind.HandleHistogramMethods),
                    Num(EmbeddedPgo.IlOffsetLabel, Original(symbol, ilOffset)),
                    Num(EmbeddedPgo.OtherLabel, 0x20000000L), // the runtime's delegate flag
                    new ProfileLabel(EmbeddedPgo.MethodLabel, handle, 0, ""),
                };
                var site = Location(new ProfileLine(function, symbol.LineAt(ilOffset)));
                var target = Location(new ProfileLine(DelegateTargetFunction(handle), 0));
                _samples.Add(new ProfileSample(new[] { target, site }, new[] { 0L, 0L, 1L, 0L }, labels));
            }
        }

        /// <summary>
        /// A recorded method of a build whose <c>foreach</c> loops were rewritten for a recorded List&lt;T&gt; or T[]: one
        /// receiver-type entry per rewritten loop, naming the rewrite's value type, so the next
        /// build rewrites the same loops (its <c>GetEnumerator</c> was replaced by a direct call and recorded no receivers).
        /// </summary>
        private void AddEnumeratorCalls(JittedMethod method, ProfileFunction function, MethodSymbol symbol, string assembly)
        {
            foreach (var (ilOffset, type) in _symbols.EnumeratorCalls(method))
            {
                string handle = type + ", " + assembly;
                var labels = new List<ProfileLabel>
                {
                    Num(EmbeddedPgo.IlSizeLabel, symbol.IlSize),
                    Num(EmbeddedPgo.IlHashLabel, symbol.IlHash),
                    Num(EmbeddedPgo.KindLabel, InstrumentationKind.HandleHistogramTypes),
                    Num(EmbeddedPgo.IlOffsetLabel, Original(symbol, ilOffset)),
                    Num(EmbeddedPgo.OtherLabel, 0),
                    new ProfileLabel(EmbeddedPgo.TypeLabel, handle, 0, ""),
                };
                var site = Location(new ProfileLine(function, symbol.LineAt(ilOffset)));
                var target = Location(new ProfileLine(TypeFunction(handle), 0));
                _samples.Add(new ProfileSample(new[] { target, site }, new[] { 0L, 0L, 1L, 0L }, labels));
            }
        }

        private static long Original(MethodSymbol symbol, int ilOffset) => symbol.Moves?.ToOriginal(ilOffset) ?? ilOffset;

        private ProfileFunction TypeFunction(string assemblyQualifiedType) =>
            _symbols.Named(RuntimeHandles.DisplayName(assemblyQualifiedType), "type:" + assemblyQualifiedType);

        private ProfileFunction DelegateTargetFunction(string handle) =>
            _symbols.Named(RuntimeHandles.DisplayName(handle), "method:" + handle);

        private static ProfileLabel Num(string key, long value) => new ProfileLabel(key, "", value, "");

        private ProfileLocation Location(ProfileLine line)
        {
            if (!_locations.TryGetValue(line, out var location))
            {
                location = new ProfileLocation((ulong)_locations.Count + 1, 0, new[] { line });
                _locations.Add(line, location);
            }

            return location;
        }

        private sealed class StackKey : IEquatable<StackKey>
        {
            private readonly int _hash;

            public StackKey(ProfileLocation[] stack)
            {
                Stack = stack;
                int h = 17;
                foreach (var l in stack)
                {
                    h = h * 31 + (int)l.Id;
                }

                _hash = h;
            }

            public ProfileLocation[] Stack { get; }

            public bool Equals(StackKey? other) => other != null && other.Stack.Length == Stack.Length && Stack.Zip(other.Stack, (a, b) => a.Id == b.Id).All(x => x);

            public override bool Equals(object? obj) => Equals(obj as StackKey);

            public override int GetHashCode() => _hash;
        }
    }
}
