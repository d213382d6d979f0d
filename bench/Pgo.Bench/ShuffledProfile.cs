using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Pgo.Build.IO;
using Pgo.Build.Profiles;
using Pgo.Build.RuntimePgo;

namespace Pgo.Bench
{
    /// <summary>
    /// Writes an unrepresentative copy of a recorded profile for the safety benchmark: every receiver type of the
    /// embedded type histograms is replaced by another type seen in the profile (a rotation over the sorted list),
    /// so each call site's histogram points at a wrong receiver. CPU samples are left as they are.
    /// Usage: Pgo.Bench shuffle in.pgo out.pgo
    /// </summary>
    public static class ShuffledProfile
    {
        public static int Run(string input, string output)
        {
            var profile = ProfileDecoder.Decode(File.ReadAllBytes(input));
            var (shuffled, rotated) = Rotate(profile);
            if (rotated < 2)
            {
                Console.Error.WriteLine("fewer than two receiver types: nothing to shuffle");
                return 1;
            }

            AtomicFile.Write(output, ProfileEncoder.Encode(shuffled));
            Console.WriteLine($"{output}: {rotated} receiver types rotated");
            return 0;
        }

        /// <summary>The profile with every recorded receiver type replaced by the next one in ordinal order (a rotation), and how many types there are.</summary>
        public static (ProfileData Profile, int Types) Rotate(ProfileData profile)
        {
            var types = profile.Samples.SelectMany(s => s.Labels).Where(l => l.Key == EmbeddedPgo.TypeLabel).Select(l => l.Str)
                .Distinct().OrderBy(t => t, StringComparer.Ordinal).ToList();
            var replacement = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < types.Count; i++)
            {
                replacement[types[i]] = types[(i + 1) % types.Count];
            }

            var samples = profile.Samples.Select(s => new ProfileSample(s.Stack, s.Values,
                s.Labels.Select(l => l.Key == EmbeddedPgo.TypeLabel ? l with { Str = replacement[l.Str] } : l).ToList())).ToList();
            var shuffled = new ProfileData(profile.SampleTypes, samples, profile.DurationNanos, profile.Period, profile.PeriodType,
                profile.TimeNanos, profile.Comments.Concat(new[] { "receiver types rotated by Pgo.Bench shuffle (unrepresentative on purpose)" }).ToList(),
                profile.DefaultSampleType);
            return (shuffled, types.Count);
        }
    }
}
