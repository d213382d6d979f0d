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
    }

    /// <summary>A sample: its stack (leaf first, as in pprof) and one value per sample type.</summary>
    public sealed class ProfileSample
    {
        public ProfileSample(IReadOnlyList<ProfileLocation> stack, long[] values)
        {
            Stack = stack;
            Values = values;
        }

        public IReadOnlyList<ProfileLocation> Stack { get; }
        public long[] Values { get; }
    }

    /// <summary>
    /// A decoded, validated pprof profile with every id and string index resolved:
    /// what the call-graph stage consumes. Free of protobuf types so a test can build one by hand.
    /// </summary>
    public sealed class ProfileData
    {
        public ProfileData(IReadOnlyList<SampleType> sampleTypes, IReadOnlyList<ProfileSample> samples, long durationNanos = 0, long period = 0)
        {
            SampleTypes = sampleTypes;
            Samples = samples;
            DurationNanos = durationNanos;
            Period = period;
        }

        public static ProfileData Empty { get; } = new ProfileData(new SampleType[0], new ProfileSample[0]);

        public IReadOnlyList<SampleType> SampleTypes { get; }
        public IReadOnlyList<ProfileSample> Samples { get; }
        public long DurationNanos { get; }
        public long Period { get; }
    }
}
