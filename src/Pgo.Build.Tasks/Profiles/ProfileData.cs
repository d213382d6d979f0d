using System;
using System.Collections.Generic;

namespace Pgo.Build.Profiles
{
    /// <summary>A sample type of the profile, e.g. <c>samples/count</c> or <c>cpu/nanoseconds</c>.</summary>
    public readonly record struct SampleType(string Type, string Unit)
    {
        public override string ToString() => Type + "/" + Unit;
    }

    /// <summary>A function record with its strings resolved.</summary>
    public sealed record ProfileFunction(string Name, string SystemName, string FileName, long StartLine);

    /// <summary>One frame of a location: a function and a source line (0 when unknown).</summary>
    public readonly record struct ProfileLine(ProfileFunction Function, long Line);

    /// <summary>
    /// A program location. <see cref="Lines"/> follows pprof: index 0 is the innermost (inlined) frame,
    /// the last one the function the code was compiled into.
    /// </summary>
    /// <remarks>
    /// pprof mappings are not kept: a location has no mapping id, and <see cref="ProfileEncoder"/> writes none, so
    /// <see cref="Address"/> is the raw address the producer recorded (PGO identifies code by function and line).
    /// Line columns and <c>is_folded</c> are not kept either.
    /// </remarks>
    public sealed class ProfileLocation
    {
        public ProfileLocation(ulong id, ulong address, IReadOnlyList<ProfileLine> lines)
        {
            Id = id;
            Address = address;
            Lines = lines;
        }

        public ulong Id { get; }
        public ulong Address { get; }
        public IReadOnlyList<ProfileLine> Lines { get; }

        /// <summary>
        /// The location's position among <see cref="ProfileData.LocationCount"/> locations of the profile the decoder
        /// made it for (0..n-1, distinct), or -1: lets later stages map locations through arrays, not hash tables.
        /// </summary>
        internal int Index { get; set; } = -1;
    }

    /// <summary>
    /// A sample label with its strings resolved: a string label has <see cref="Str"/> set, a numeric one
    /// <see cref="Num"/> (and possibly <see cref="NumUnit"/>); unset strings are "".
    /// </summary>
    public readonly record struct ProfileLabel(string Key, string Str, long Num, string NumUnit)
    {
        public override string ToString() => !string.IsNullOrEmpty(Str) || (Num == 0 && string.IsNullOrEmpty(NumUnit))
            ? Key + "=" + Str
            : Key + "=" + Num.ToString(System.Globalization.CultureInfo.InvariantCulture) + (string.IsNullOrEmpty(NumUnit) ? "" : " " + NumUnit);
    }

    /// <summary>A sample: its stack (leaf first, as in pprof), one value per sample type and its labels.</summary>
    public sealed class ProfileSample
    {
        public ProfileSample(IReadOnlyList<ProfileLocation> stack, long[] values, IReadOnlyList<ProfileLabel>? labels = null)
        {
            Stack = stack;
            Values = values;
            Labels = labels ?? Array.Empty<ProfileLabel>();
        }

        public IReadOnlyList<ProfileLocation> Stack { get; }
        public long[] Values { get; }

        /// <summary>The sample's labels in the order the profile lists them (empty when it has none).</summary>
        public IReadOnlyList<ProfileLabel> Labels { get; }
    }

    /// <summary>
    /// A decoded, validated pprof profile with every id and string index resolved:
    /// what the call-graph stage consumes. Free of protobuf types so a test can build one by hand.
    /// </summary>
    public sealed class ProfileData
    {
        public ProfileData(
            IReadOnlyList<SampleType> sampleTypes,
            IReadOnlyList<ProfileSample> samples,
            long durationNanos = 0,
            long period = 0,
            SampleType? periodType = null,
            long timeNanos = 0,
            IReadOnlyList<string>? comments = null,
            string? defaultSampleType = null,
            long decodedBytes = 0)
            : this(sampleTypes, samples, durationNanos, period, periodType, timeNanos, comments, defaultSampleType, decodedBytes, 0)
        {
        }

        internal ProfileData(
            IReadOnlyList<SampleType> sampleTypes,
            IReadOnlyList<ProfileSample> samples,
            long durationNanos,
            long period,
            SampleType? periodType,
            long timeNanos,
            IReadOnlyList<string>? comments,
            string? defaultSampleType,
            long decodedBytes,
            int locationCount)
        {
            DecodedBytes = decodedBytes;
            LocationCount = locationCount;
            SampleTypes = sampleTypes;
            Samples = samples;
            DurationNanos = durationNanos;
            Period = period;
            PeriodType = periodType;
            TimeNanos = timeNanos;
            Comments = comments ?? Array.Empty<string>();
            DefaultSampleType = defaultSampleType ?? "";
        }

        public static ProfileData Empty { get; } = new ProfileData(new SampleType[0], new ProfileSample[0]);

        public IReadOnlyList<SampleType> SampleTypes { get; }
        public IReadOnlyList<ProfileSample> Samples { get; }
        public long DurationNanos { get; }
        public long Period { get; }

        /// <summary>The kind of event <see cref="Period"/> counts, e.g. <c>cpu/nanoseconds</c>; null when the profile has none.</summary>
        public SampleType? PeriodType { get; }

        /// <summary>When the profile was collected, in nanoseconds since the Unix epoch (0 when unknown).</summary>
        public long TimeNanos { get; }

        /// <summary>Free-form comments (pprof's <c>comment</c> field).</summary>
        public IReadOnlyList<string> Comments { get; }

        /// <summary>
        /// When the decoder made this profile, how many locations it has, each with its own <see cref="ProfileLocation.Index"/>
        /// below this; 0 otherwise (then locations are told apart by reference).
        /// </summary>
        internal int LocationCount { get; }

        /// <summary>Size of the protobuf message this profile was decoded from (0 when built another way): what limits scale with.</summary>
        public long DecodedBytes { get; }

        /// <summary>The sample type (its <see cref="SampleType.Type"/>) a viewer shows by default; "" when unset.</summary>
        public string DefaultSampleType { get; }
    }
}
