using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;

namespace Pgo.Build.Profiles
{
    /// <summary>
    /// Merges profiles the way <c>go tool pprof -proto a b &gt; merged</c> does (google/pprof's
    /// <c>CompatibilizeSampleTypes</c> then <c>profile.Merge</c>), with these differences:
    /// sample types are matched by type and unit (pprof: by type only), samples whose values are all zero are
    /// kept (pprof drops them; our own PGO data has zero-valued columns), an absent period type matches any,
    /// and each input can be weighted.
    /// </summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item>The result has the sample types common to all inputs, in the first input's order; each input's values
    /// are reordered to match. The others are reported in <see cref="ProfileMergeResult.DroppedSampleTypes"/>.</item>
    /// <item>Samples with the same stack (per frame: address and lines, a function by name, system name, file and
    /// start line) and the same labels (compared as a sorted multiset) are summed; the result lists samples in
    /// order of first appearance, with the labels of that first appearance.</item>
    /// <item>Values are multiplied by their input's weight and rounded to nearest (halves away from zero).</item>
    /// <item>Duration: the sum. Time: the earliest non-zero. Period: the largest. Period type: the first present one.
    /// Comments: all, each once, in order. Default sample type: the first non-empty one that is a kept type.</item>
    /// </list>
    /// </remarks>
    public static class ProfileMerger
    {
        /// <param name="inputs">The profiles, each with the name messages use for it (e.g. its file name).</param>
        /// <param name="weights">One finite, positive factor per input; null for all 1.</param>
        /// <exception cref="ProfileMergeException">No sample type is common to all inputs, or two period types differ.</exception>
        /// <exception cref="ArgumentException">No inputs, a weight count that does not match, or a weight that is not finite and positive.</exception>
        public static ProfileMergeResult Merge(IReadOnlyList<(string Name, ProfileData Profile)> inputs, IReadOnlyList<double>? weights = null)
        {
            if (inputs == null)
            {
                throw new ArgumentNullException(nameof(inputs));
            }

            if (inputs.Count == 0)
            {
                throw new ArgumentException("no profiles to merge", nameof(inputs));
            }

            for (int i = 0; i < inputs.Count; i++)
            {
                if (inputs[i].Profile == null)
                {
                    throw new ArgumentException($"profile {i} ({inputs[i].Name}) is null", nameof(inputs));
                }
            }

            CheckWeights(inputs.Count, weights);

            // With every input at hand, the header problems come first, before any value is summed.
            var headers = new ProfileFold();
            foreach (var (name, profile) in inputs)
            {
                headers.CheckHeader(name, profile);
            }

            headers.CheckCommonTypes();
            var fold = new ProfileFold();
            for (int i = 0; i < inputs.Count; i++)
            {
                fold.Add(inputs[i].Name, inputs[i].Profile, weights?[i] ?? 1.0);
            }

            return fold.Finish();
        }

        /// <summary>Throws <see cref="ArgumentException"/> unless every weight is finite and positive.</summary>
        public static void CheckWeights(int count, IReadOnlyList<double>? weights)
        {
            if (weights == null)
            {
                return;
            }

            if (weights.Count != count)
            {
                throw new ArgumentException($"{weights.Count} weights for {count} profiles", nameof(weights));
            }

            foreach (double w in weights)
            {
                if (double.IsNaN(w) || double.IsInfinity(w) || w <= 0)
                {
                    throw new ArgumentException("weight " + w.ToString(CultureInfo.InvariantCulture) + " is not a finite number greater than 0", nameof(weights));
                }
            }
        }
    }

    /// <summary>
    /// <see cref="ProfileMerger.Merge"/> one input at a time: <see cref="Add"/> folds a profile into the merged result
    /// and keeps nothing of it but its header (so memory grows with the merged result, not with the number of
    /// inputs), <see cref="Finish"/> gives the result. The same rules as <see cref="ProfileMerger"/>; the sample types
    /// that are kept (common to all inputs) are known only at the end, so every column of the first input is summed
    /// until then. Keys are compared by number: strings are numbered once (<see cref="StringIds"/>), functions and
    /// locations are canonical objects compared by reference, numbers are hashed with <see cref="KeyedHash"/>.
    /// </summary>
    public sealed class ProfileFold
    {
        private readonly CancellationToken _cancellation;
        private readonly StringIds _strings = new StringIds();
        private readonly Dictionary<FunctionKey, ProfileFunction> _functions = new Dictionary<FunctionKey, ProfileFunction>(FunctionKey.Comparer.Instance);
        private readonly Dictionary<LocationKey, ProfileLocation> _locations = new Dictionary<LocationKey, ProfileLocation>(LocationKey.Comparer.Instance);
        private readonly Dictionary<SampleKey, ProfileSample> _samples = new Dictionary<SampleKey, ProfileSample>(SampleKey.Comparer.Instance);
        private readonly List<ProfileSample> _order = new List<ProfileSample>();
        private readonly List<(string Name, SampleType[] Types, string DefaultType)> _headers = new List<(string, SampleType[], string)>();
        private readonly List<string> _comments = new List<string>();
        private readonly HashSet<int> _seenComments = new HashSet<int>();
        private List<SampleType>? _columns;
        private HashSet<SampleType>? _common;
        private SampleType? _periodType;
        private string _periodTypeInput = "";
        private long _duration, _time, _period;

        public ProfileFold(CancellationToken cancellation = default)
        {
            _cancellation = cancellation;
        }

        /// <summary>Inputs folded so far.</summary>
        public int Count => _headers.Count;

        /// <summary>Folds <paramref name="profile"/> (named <paramref name="name"/> in messages) in, its values times <paramref name="weight"/>.</summary>
        /// <exception cref="ProfileMergeException">Its period type differs from an earlier input's, or a sum overflows.</exception>
        public void Add(string name, ProfileData profile, double weight = 1.0)
        {
            if (double.IsNaN(weight) || double.IsInfinity(weight) || weight <= 0)
            {
                throw new ArgumentException("weight " + weight.ToString(CultureInfo.InvariantCulture) + " is not a finite number greater than 0", nameof(weight));
            }

            var columns = CheckHeader(name, profile);
            _duration = AddChecked(_duration, profile.DurationNanos, name, "duration");
            if (profile.TimeNanos != 0 && (_time == 0 || profile.TimeNanos < _time))
            {
                _time = profile.TimeNanos;
            }

            _period = Math.Max(_period, profile.Period);
            foreach (var comment in profile.Comments)
            {
                if (_seenComments.Add(_strings.Id(comment)))
                {
                    _comments.Add(comment);
                }
            }

            FoldSamples(name, profile, columns, weight);
        }

        /// <summary>
        /// Records an input's header (period type, sample types) and returns, per column of the first input's sample
        /// types, the input's column for it (-1 when it has none).
        /// </summary>
        internal int[] CheckHeader(string name, ProfileData profile)
        {
            if (profile.PeriodType is SampleType type)
            {
                if (_periodType == null)
                {
                    _periodType = type;
                    _periodTypeInput = name;
                }
                else if (_periodType.Value != type)
                {
                    throw new ProfileMergeException($"incompatible period types: {_periodTypeInput}: {_periodType.Value}; {name}: {type}");
                }
            }

            var types = new SampleType[profile.SampleTypes.Count];
            for (int i = 0; i < types.Length; i++)
            {
                types[i] = profile.SampleTypes[i];
            }

            _headers.Add((name, types, profile.DefaultSampleType));
            var first = new Dictionary<SampleType, int>();
            for (int i = 0; i < types.Length; i++)
            {
                if (!first.ContainsKey(types[i]))
                {
                    first.Add(types[i], i); // a repeated type keeps its first column only
                }
            }

            if (_columns == null)
            {
                _columns = new List<SampleType>(first.Count);
                var added = new HashSet<SampleType>();
                foreach (var t in types)
                {
                    if (added.Add(t))
                    {
                        _columns.Add(t);
                    }
                }

                _common = new HashSet<SampleType>(_columns);
            }
            else
            {
                _common!.IntersectWith(first.Keys);
            }

            var map = new int[_columns.Count];
            for (int c = 0; c < map.Length; c++)
            {
                map[c] = first.TryGetValue(_columns[c], out int at) ? at : -1;
            }

            return map;
        }

        /// <summary>Throws when no sample type is common to the inputs seen so far (the message names each one's types).</summary>
        internal void CheckCommonTypes()
        {
            if (_common == null || _common.Count == 0)
            {
                var each = new StringBuilder();
                foreach (var (name, types, _) in _headers)
                {
                    if (each.Length > 0)
                    {
                        each.Append("; ");
                    }

                    each.Append(name).Append(": ").Append(types.Length == 0 ? "none" : string.Join(", ", types));
                }

                throw new ProfileMergeException("incompatible profiles: no common sample types (" + each + ")");
            }
        }

        /// <summary>The merged profile and the sample types left out.</summary>
        [MethodImpl(Jit.Optimized)]
        public ProfileMergeResult Finish()
        {
            if (_headers.Count == 0)
            {
                throw new ArgumentException("no profiles to merge");
            }

            CheckCommonTypes();
            var kept = new List<int>();
            var types = new List<SampleType>();
            for (int c = 0; c < _columns!.Count; c++)
            {
                if (_common!.Contains(_columns[c]))
                {
                    kept.Add(c);
                    types.Add(_columns[c]);
                }
            }

            IReadOnlyList<ProfileSample> samples = _order;
            if (kept.Count != _columns.Count)
            {
                var projected = new List<ProfileSample>(_order.Count);
                foreach (var sample in _order)
                {
                    var values = new long[kept.Count];
                    for (int i = 0; i < values.Length; i++)
                    {
                        values[i] = sample.Values[kept[i]];
                    }

                    projected.Add(new ProfileSample(sample.Stack, values, sample.Labels));
                }

                samples = projected;
            }

            var dropped = new List<DroppedSampleType>();
            string defaultSampleType = "";
            foreach (var (name, inputTypes, defaultType) in _headers)
            {
                var seen = new HashSet<SampleType>();
                foreach (var type in inputTypes)
                {
                    if (!_common!.Contains(type) || !seen.Add(type))
                    {
                        dropped.Add(new DroppedSampleType(name, type));
                    }
                }

                if (defaultSampleType.Length == 0 && defaultType.Length != 0 && types.Exists(t => t.Type == defaultType))
                {
                    defaultSampleType = defaultType;
                }
            }

            var merged = new ProfileData(types, samples, _duration, _period, _periodType, _time, _comments, defaultSampleType, 0, _locations.Count);
            return new ProfileMergeResult(merged, dropped);
        }

        [MethodImpl(Jit.Optimized)]
        private void FoldSamples(string name, ProfileData profile, int[] columns, double weight)
        {
            // Within one input, a location object maps to one merged location, a function object to one merged function:
            // through an array when the decoder numbered the locations, else by reference.
            var byIndex = profile.LocationCount > 0 ? new ProfileLocation?[profile.LocationCount] : null;
            var locations = byIndex == null ? new Dictionary<ProfileLocation, ProfileLocation>(ByReference<ProfileLocation>.Instance) : null;
            var functions = new Dictionary<ProfileFunction, ProfileFunction>(ByReference<ProfileFunction>.Instance);
            int width = columns.Length;
            int count = 0;
            var scratch = new ProfileLocation[16];
            foreach (var sample in profile.Samples)
            {
                if ((++count & 0x3ff) == 0)
                {
                    _cancellation.ThrowIfCancellationRequested();
                }

                if (sample.Values.Length != profile.SampleTypes.Count)
                {
                    throw new ArgumentException($"{name}: a sample has {sample.Values.Length} values for {profile.SampleTypes.Count} sample types", "inputs");
                }

                int depth = sample.Stack.Count;
                if (scratch.Length < depth)
                {
                    scratch = new ProfileLocation[Math.Max(depth, scratch.Length * 2)];
                }

                for (int i = 0; i < depth; i++)
                {
                    var source = sample.Stack[i];
                    ProfileLocation? location;
                    if (byIndex != null && source.Index >= 0 && source.Index < byIndex.Length)
                    {
                        location = byIndex[source.Index];
                        if (location == null)
                        {
                            location = byIndex[source.Index] = Location(source, functions);
                        }
                    }
                    else
                    {
                        locations ??= new Dictionary<ProfileLocation, ProfileLocation>(ByReference<ProfileLocation>.Instance);
                        if (!locations.TryGetValue(source, out location))
                        {
                            location = Location(source, functions);
                            locations.Add(source, location);
                        }
                    }

                    scratch[i] = location;
                }

                // Looked up with the scratch stack; a new merged sample gets its own copy.
                var stack = scratch;
                var key = new SampleKey(stack, depth, LabelIds(sample.Labels));
                if (_samples.TryGetValue(key, out var existing))
                {
                    for (int c = 0; c < width; c++)
                    {
                        if (columns[c] >= 0)
                        {
                            existing.Values[c] = AddChecked(existing.Values[c], Scale(sample.Values[columns[c]], weight, name), name, "a sample value");
                        }
                    }
                }
                else
                {
                    var values = new long[width];
                    for (int c = 0; c < width; c++)
                    {
                        values[c] = columns[c] >= 0 ? Scale(sample.Values[columns[c]], weight, name) : 0;
                    }

                    var labels = sample.Labels.Count == 0 ? null : new ProfileLabel[sample.Labels.Count];
                    for (int i = 0; labels != null && i < labels.Length; i++)
                    {
                        labels[i] = sample.Labels[i];
                    }

                    var own = new ProfileLocation[depth];
                    Array.Copy(scratch, own, depth);
                    var merged = new ProfileSample(own, values, labels);
                    _samples.Add(new SampleKey(own, depth, key.Labels, key.Hash), merged);
                    _order.Add(merged);
                }
            }
        }

        /// <summary>The labels as sorted (key, str, num, unit) numbers: compared as a multiset.</summary>
        private ulong[] LabelIds(IReadOnlyList<ProfileLabel> labels)
        {
            if (labels.Count == 0)
            {
                return Array.Empty<ulong>();
            }

            var quads = new (int Key, int Str, long Num, int Unit)[labels.Count];
            for (int i = 0; i < quads.Length; i++)
            {
                var l = labels[i];
                quads[i] = (_strings.Id(l.Key), _strings.Id(l.Str), l.Num, _strings.Id(l.NumUnit));
            }

            Array.Sort(quads);
            var ids = new ulong[quads.Length * 3];
            for (int i = 0; i < quads.Length; i++)
            {
                ids[3 * i] = ((ulong)(uint)quads[i].Key << 32) | (uint)quads[i].Str;
                ids[3 * i + 1] = (ulong)quads[i].Num;
                ids[3 * i + 2] = (uint)quads[i].Unit;
            }

            return ids;
        }

        [MethodImpl(Jit.Optimized)]
        private ProfileLocation Location(ProfileLocation source, Dictionary<ProfileFunction, ProfileFunction> functions)
        {
            var lines = new ProfileLine[source.Lines.Count];
            for (int i = 0; i < lines.Length; i++)
            {
                var function = source.Lines[i].Function;
                if (!functions.TryGetValue(function, out var canonical))
                {
                    canonical = Function(function);
                    functions.Add(function, canonical);
                }

                lines[i] = new ProfileLine(canonical, source.Lines[i].Line);
            }

            var key = new LocationKey(source.Address, lines);
            if (!_locations.TryGetValue(key, out var location))
            {
                location = new ProfileLocation((ulong)_locations.Count + 1, source.Address, lines) { Index = _locations.Count };
                _locations.Add(key, location);
            }

            return location;
        }

        private ProfileFunction Function(ProfileFunction function)
        {
            var key = new FunctionKey(_strings.Id(function.Name), _strings.Id(function.SystemName), _strings.Id(function.FileName), function.StartLine);
            if (!_functions.TryGetValue(key, out var canonical))
            {
                canonical = function;
                _functions.Add(key, canonical);
            }

            return canonical;
        }

        private static long Scale(long value, double weight, string name)
        {
            if (weight == 1.0)
            {
                return value;
            }

            double scaled = Math.Round(value * weight, MidpointRounding.AwayFromZero);
            // 2^63 is exactly representable; every double below it in magnitude fits a long.
            if (scaled >= 9223372036854775808.0 || scaled < -9223372036854775808.0)
            {
                throw new ProfileMergeException($"a sample value of {name} overflows a 64-bit integer when weighted");
            }

            return (long)scaled;
        }

        private static long AddChecked(long a, long b, string input, string what)
        {
            try
            {
                return checked(a + b);
            }
            catch (OverflowException)
            {
                throw new ProfileMergeException($"{what} overflows a 64-bit integer when {input} is added");
            }
        }

        private readonly struct FunctionKey
        {
            public FunctionKey(int name, int systemName, int fileName, long startLine)
            {
                Name = name;
                SystemName = systemName;
                FileName = fileName;
                StartLine = startLine;
            }

            public int Name { get; }
            public int SystemName { get; }
            public int FileName { get; }
            public long StartLine { get; }

            public sealed class Comparer : IEqualityComparer<FunctionKey>
            {
                public static readonly Comparer Instance = new Comparer();

                public bool Equals(FunctionKey x, FunctionKey y) =>
                    x.Name == y.Name && x.SystemName == y.SystemName && x.FileName == y.FileName && x.StartLine == y.StartLine;

                public int GetHashCode(FunctionKey k) =>
                    KeyedHash.Of(((ulong)(uint)k.Name << 32) | (uint)k.SystemName, (uint)k.FileName, (ulong)k.StartLine);
            }
        }

        /// <summary>A location's identity: its address and its lines (canonical function by reference, line number).</summary>
        private readonly struct LocationKey
        {
            public LocationKey(ulong address, ProfileLine[] lines)
            {
                Address = address;
                Lines = lines;
            }

            public ulong Address { get; }
            public ProfileLine[] Lines { get; }

            public sealed class Comparer : IEqualityComparer<LocationKey>
            {
                public static readonly Comparer Instance = new Comparer();

                public bool Equals(LocationKey x, LocationKey y)
                {
                    if (x.Address != y.Address || x.Lines.Length != y.Lines.Length)
                    {
                        return false;
                    }

                    for (int i = 0; i < x.Lines.Length; i++)
                    {
                        if (!ReferenceEquals(x.Lines[i].Function, y.Lines[i].Function) || x.Lines[i].Line != y.Lines[i].Line)
                        {
                            return false;
                        }
                    }

                    return true;
                }

                public int GetHashCode(LocationKey k)
                {
                    var h = KeyedHash.Add(KeyedHash.Start(), k.Address);
                    foreach (var line in k.Lines)
                    {
                        h = KeyedHash.Add(h, (uint)RuntimeHelpers.GetHashCode(line.Function));
                        h = KeyedHash.Add(h, (ulong)line.Line);
                    }

                    return KeyedHash.Finish(h);
                }
            }
        }

        /// <summary>A merged stack (canonical locations, compared by reference and hashed by their merged ids) and its labels.</summary>
        private readonly struct SampleKey
        {
            public SampleKey(ProfileLocation[] stack, int depth, ulong[] labels, int hash)
            {
                Stack = stack;
                Depth = depth;
                Labels = labels;
                Hash = hash;
            }

            public SampleKey(ProfileLocation[] stack, int depth, ulong[] labels)
            {
                Stack = stack;
                Depth = depth;
                Labels = labels;
                var h = KeyedHash.Start();
                for (int i = 0; i < depth; i++)
                {
                    h = KeyedHash.Add(h, stack[i].Id);
                }

                h = KeyedHash.Add(h, 0xFFFFFFFFFFFFFFFFUL);
                foreach (ulong label in labels)
                {
                    h = KeyedHash.Add(h, label);
                }

                Hash = KeyedHash.Finish(h);
            }

            /// <summary>The stack's frames: the first <see cref="Depth"/> of this array.</summary>
            public ProfileLocation[] Stack { get; }
            public int Depth { get; }
            public ulong[] Labels { get; }
            public int Hash { get; }

            public sealed class Comparer : IEqualityComparer<SampleKey>
            {
                public static readonly Comparer Instance = new Comparer();

                public bool Equals(SampleKey x, SampleKey y)
                {
                    if (x.Hash != y.Hash || x.Depth != y.Depth || x.Labels.Length != y.Labels.Length)
                    {
                        return false;
                    }

                    for (int i = 0; i < x.Depth; i++)
                    {
                        if (!ReferenceEquals(x.Stack[i], y.Stack[i]))
                        {
                            return false;
                        }
                    }

                    for (int i = 0; i < x.Labels.Length; i++)
                    {
                        if (x.Labels[i] != y.Labels[i])
                        {
                            return false;
                        }
                    }

                    return true;
                }

                public int GetHashCode(SampleKey k) => k.Hash;
            }
        }
    }

    /// <summary>What <see cref="ProfileMerger.Merge"/> produced.</summary>
    /// <param name="Profile">The merged profile.</param>
    /// <param name="DroppedSampleTypes">
    /// Every sample type of an input that the merged profile does not have (not common to all inputs, or a repeat
    /// of a type within one input), in input order; empty when nothing was dropped.
    /// </param>
    public sealed record ProfileMergeResult(ProfileData Profile, IReadOnlyList<DroppedSampleType> DroppedSampleTypes);

    /// <summary>A sample type of input <paramref name="Input"/> (its display name) left out of a merge.</summary>
    public readonly record struct DroppedSampleType(string Input, SampleType SampleType)
    {
        public override string ToString() => SampleType + " (" + Input + ")";
    }

    /// <summary>Profiles that cannot be merged; the message names each input and what it has.</summary>
    public sealed class ProfileMergeException : Exception
    {
        public ProfileMergeException(string message)
            : base(message)
        {
        }
    }
}
