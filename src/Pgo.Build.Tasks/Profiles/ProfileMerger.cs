using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

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
            SampleType? periodType = CommonPeriodType(inputs);
            var (types, dropped) = CommonSampleTypes(inputs);

            var merger = new Merger(types.Count);
            long duration = 0;
            long time = 0;
            long period = 0;
            var comments = new List<string>();
            var seenComments = new HashSet<string>(StringComparer.Ordinal);
            string defaultSampleType = "";
            for (int i = 0; i < inputs.Count; i++)
            {
                var (name, profile) = inputs[i];
                duration = Add(duration, profile.DurationNanos, name, "duration");
                if (profile.TimeNanos != 0 && (time == 0 || profile.TimeNanos < time))
                {
                    time = profile.TimeNanos;
                }

                period = Math.Max(period, profile.Period);
                foreach (var comment in profile.Comments)
                {
                    if (seenComments.Add(comment))
                    {
                        comments.Add(comment);
                    }
                }

                if (defaultSampleType.Length == 0 && profile.DefaultSampleType.Length != 0 && types.Any(t => t.Type == profile.DefaultSampleType))
                {
                    defaultSampleType = profile.DefaultSampleType;
                }

                var columns = types.Select(t => IndexOf(profile.SampleTypes, t)).ToArray();
                merger.Add(name, profile, columns, weights?[i] ?? 1.0);
            }

            var merged = new ProfileData(types, merger.Samples, duration, period, periodType, time, comments, defaultSampleType);
            return new ProfileMergeResult(merged, dropped);
        }

        private static void CheckWeights(int count, IReadOnlyList<double>? weights)
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

        private static SampleType? CommonPeriodType(IReadOnlyList<(string Name, ProfileData Profile)> inputs)
        {
            SampleType? first = null;
            string firstName = "";
            foreach (var (name, profile) in inputs)
            {
                if (profile.PeriodType is SampleType type)
                {
                    if (first == null)
                    {
                        first = type;
                        firstName = name;
                    }
                    else if (first.Value != type)
                    {
                        throw new ProfileMergeException($"incompatible period types: {firstName}: {first.Value}; {name}: {type}");
                    }
                }
            }

            return first;
        }

        private static (List<SampleType> Common, List<DroppedSampleType> Dropped) CommonSampleTypes(IReadOnlyList<(string Name, ProfileData Profile)> inputs)
        {
            var common = new List<SampleType>();
            foreach (var type in inputs[0].Profile.SampleTypes)
            {
                if (!common.Contains(type) && inputs.All(input => input.Profile.SampleTypes.Contains(type)))
                {
                    common.Add(type);
                }
            }

            if (common.Count == 0)
            {
                string each = string.Join("; ", inputs.Select(input =>
                    input.Name + ": " + (input.Profile.SampleTypes.Count == 0 ? "none" : string.Join(", ", input.Profile.SampleTypes))));
                throw new ProfileMergeException("incompatible profiles: no common sample types (" + each + ")");
            }

            var dropped = new List<DroppedSampleType>();
            foreach (var (name, profile) in inputs)
            {
                var kept = new HashSet<SampleType>();
                foreach (var type in profile.SampleTypes)
                {
                    // A repeated type keeps its first column only.
                    if (!common.Contains(type) || !kept.Add(type))
                    {
                        dropped.Add(new DroppedSampleType(name, type));
                    }
                }
            }

            return (common, dropped);
        }

        private static int IndexOf(IReadOnlyList<SampleType> types, SampleType type)
        {
            for (int i = 0; i < types.Count; i++)
            {
                if (types[i] == type)
                {
                    return i;
                }
            }

            throw new InvalidOperationException("sample type " + type + " vanished");
        }

        private static long Add(long a, long b, string input, string what)
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

        private sealed class Merger
        {
            private readonly int _width;
            private readonly Dictionary<ProfileFunction, ProfileFunction> _functions = new Dictionary<ProfileFunction, ProfileFunction>();
            private readonly Dictionary<LocationKey, ProfileLocation> _locations = new Dictionary<LocationKey, ProfileLocation>();
            private readonly Dictionary<SampleKey, ProfileSample> _samples = new Dictionary<SampleKey, ProfileSample>();

            public Merger(int width)
            {
                _width = width;
            }

            public List<ProfileSample> Samples { get; } = new List<ProfileSample>();

            public void Add(string name, ProfileData profile, int[] columns, double weight)
            {
                // Within one input, a location object maps to one merged location.
                var locations = new Dictionary<ProfileLocation, ProfileLocation>();
                foreach (var sample in profile.Samples)
                {
                    if (sample.Values.Length != profile.SampleTypes.Count)
                    {
                        throw new ArgumentException($"{name}: a sample has {sample.Values.Length} values for {profile.SampleTypes.Count} sample types", "inputs");
                    }

                    var stack = new ProfileLocation[sample.Stack.Count];
                    for (int i = 0; i < stack.Length; i++)
                    {
                        var source = sample.Stack[i];
                        if (!locations.TryGetValue(source, out var location))
                        {
                            location = Location(source);
                            locations.Add(source, location);
                        }

                        stack[i] = location;
                    }

                    var values = new long[_width];
                    for (int c = 0; c < values.Length; c++)
                    {
                        values[c] = Scale(sample.Values[columns[c]], weight, name);
                    }

                    var key = new SampleKey(stack, sample.Labels);
                    if (_samples.TryGetValue(key, out var existing))
                    {
                        for (int c = 0; c < values.Length; c++)
                        {
                            existing.Values[c] = ProfileMerger.Add(existing.Values[c], values[c], name, "a sample value");
                        }
                    }
                    else
                    {
                        var merged = new ProfileSample(stack, values, sample.Labels.ToArray());
                        _samples.Add(key, merged);
                        Samples.Add(merged);
                    }
                }
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

            private ProfileLocation Location(ProfileLocation source)
            {
                var key = new LocationKey(source.Address, source.Lines);
                if (!_locations.TryGetValue(key, out var location))
                {
                    var lines = new ProfileLine[source.Lines.Count];
                    for (int i = 0; i < lines.Length; i++)
                    {
                        lines[i] = new ProfileLine(Function(source.Lines[i].Function), source.Lines[i].Line);
                    }

                    location = new ProfileLocation((ulong)_locations.Count + 1, source.Address, lines);
                    _locations.Add(key, location);
                }

                return location;
            }

            private ProfileFunction Function(ProfileFunction function)
            {
                if (!_functions.TryGetValue(function, out var canonical))
                {
                    canonical = function;
                    _functions.Add(function, canonical);
                }

                return canonical;
            }
        }

        /// <summary>A merged stack (its locations are canonical, so compared by reference) and its labels, sorted.</summary>
        private sealed class SampleKey : IEquatable<SampleKey>
        {
            private readonly ProfileLocation[] _stack;
            private readonly ProfileLabel[] _labels;
            private readonly int _hash;

            public SampleKey(ProfileLocation[] stack, IReadOnlyList<ProfileLabel> labels)
            {
                _stack = stack;
                _labels = labels.ToArray();
                Array.Sort(_labels, CompareLabels);
                int hash = stack.Length;
                foreach (var location in stack)
                {
                    hash = unchecked((hash * 31) + location.Id.GetHashCode());
                }

                foreach (var label in _labels)
                {
                    hash = unchecked((hash * 31) + label.GetHashCode());
                }

                _hash = hash;
            }

            public bool Equals(SampleKey? other)
            {
                if (other == null || other._hash != _hash || other._stack.Length != _stack.Length || other._labels.Length != _labels.Length)
                {
                    return false;
                }

                for (int i = 0; i < _stack.Length; i++)
                {
                    if (!ReferenceEquals(_stack[i], other._stack[i]))
                    {
                        return false;
                    }
                }

                for (int i = 0; i < _labels.Length; i++)
                {
                    if (_labels[i] != other._labels[i])
                    {
                        return false;
                    }
                }

                return true;
            }

            public override bool Equals(object? obj) => Equals(obj as SampleKey);

            public override int GetHashCode() => _hash;

            private static int CompareLabels(ProfileLabel a, ProfileLabel b)
            {
                int c = string.CompareOrdinal(a.Key, b.Key);
                if (c == 0)
                {
                    c = string.CompareOrdinal(a.Str, b.Str);
                }

                if (c == 0)
                {
                    c = a.Num.CompareTo(b.Num);
                }

                if (c == 0)
                {
                    c = string.CompareOrdinal(a.NumUnit, b.NumUnit);
                }

                return c;
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
