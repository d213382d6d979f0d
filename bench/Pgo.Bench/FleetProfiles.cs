using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Pgo.Build.Profiles;
using Pgo.Fuzz;
using static Pgo.Fuzz.ProtoTree;

namespace Pgo.Bench
{
    /// <summary>
    /// A fleet of CPU profiles for the merge benchmark, derived from real ones in ../shared/testdata (Go's compiler
    /// profile most of the time, google/pprof's large.cpu and Go's PGO test profiles sometimes): each with its sample
    /// values scaled, a random subset of its samples (5-40%, a few thousand: a 30 s recording at 100 Hz), its string table in another order, mappings of its own (ids,
    /// which locations use them), other location ids, and gzip (7 in 10) or raw. Deterministic for a count.
    /// Usage: Pgo.Bench fleet &lt;dir&gt; &lt;count&gt; &lt;testdata&gt;
    /// </summary>
    public static class FleetProfiles
    {
        public static int Run(string dir, int count, string testdata)
        {
            Directory.CreateDirectory(dir);
            var sources = new[]
            {
                ("go/src/cmd/compile/default.pgo", 80),
                ("pprof/internal/proftest/testdata/large.cpu", 5),
                ("go/src/cmd/compile/internal/test/testdata/pgo/inline/inline_hot.pprof", 8),
                ("go/src/cmd/compile/internal/test/testdata/pgo/devirtualize/devirt.pprof", 7),
            }.Select(s => (Profile: ProfileDecoder.Decode(File.ReadAllBytes(Path.Combine(testdata, s.Item1))), Weight: s.Item2)).ToArray();
            var random = new Random(count);
            long total = 0;
            for (int i = 0; i < count; i++)
            {
                int pick = random.Next(100), at = 0;
                while (pick >= sources[at].Weight)
                {
                    pick -= sources[at].Weight;
                    at++;
                }

                var source = sources[at].Profile;
                long scale = 1 + random.Next(5);
                double keep = 0.05 + 0.35 * random.NextDouble();
                var samples = source.Samples.Where(_ => random.NextDouble() < keep)
                    .Select(s => new ProfileSample(s.Stack, s.Values.Select(v => v * scale).ToArray(), s.Labels)).ToList();
                var profile = new ProfileData(source.SampleTypes, samples, source.DurationNanos, source.Period, source.PeriodType,
                    source.TimeNanos + i * 1_000_000_000L, source.Comments, source.DefaultSampleType);
                var raw = Rewrite(ProfileEncoder.Encode(profile, gzip: false), random);
                bool gzip = random.Next(10) < 7;
                var bytes = gzip ? Gzip(raw) : raw;
                File.WriteAllBytes(Path.Combine(dir, $"host{i:D4}.pb" + (gzip ? ".gz" : "")), bytes);
                total += bytes.Length;
            }

            Console.WriteLine($"{count} profiles, {total / 1024.0 / 1024.0:0.0} MiB in {dir}");
            return 0;
        }

        /// <summary>Another string-table order, mappings of its own, other location ids.</summary>
        private static byte[] Rewrite(byte[] raw, Random random)
        {
            var fields = TryParse(raw) ?? throw new InvalidOperationException("unparsable encoder output");
            var strings = fields.Where(f => f.Number == 6).ToList();
            var order = Enumerable.Range(1, strings.Count - 1).OrderBy(_ => random.Next()).ToList();
            var newIndex = new ulong[strings.Count];
            for (int i = 0; i < order.Count; i++)
            {
                newIndex[order[i]] = (ulong)(i + 1);
            }

            ulong Str(ulong old) => old < (ulong)newIndex.Length ? newIndex[old] : old;
            void Remap(List<ProtoField>? message, params int[] numbers)
            {
                foreach (var f in message ?? new List<ProtoField>())
                {
                    if (f.Wire == 0 && numbers.Contains(f.Number))
                    {
                        f.Value = Str(f.Value);
                    }
                }
            }

            int mappings = 1 + random.Next(3);
            ulong mappingBase = (ulong)random.Next(1, 1000);
            ulong locationBase = (ulong)random.Next(0, 100_000);
            var result = new List<ProtoField>();
            foreach (var f in fields)
            {
                switch (f.Number)
                {
                    case 1: // sample type
                    case 11: // period type
                        Remap(f.Message, 1, 2);
                        break;
                    case 2: // sample: location ids, label strings
                        foreach (var g in f.Message!)
                        {
                            if (g.Number == 1 && g.Wire == 2)
                            {
                                g.Bytes = Packed(Unpack(g.Bytes).Select(id => id + locationBase));
                            }
                            else if (g.Number == 3)
                            {
                                Remap(g.Message, 1, 2, 4);
                            }
                        }

                        break;
                    case 4: // location: id, a mapping
                        foreach (var g in f.Message!.Where(g => g.Number == 1))
                        {
                            g.Value += locationBase;
                        }

                        f.Message!.Insert(1, V(2, mappingBase + (ulong)random.Next(mappings)));
                        break;
                    case 5:
                        Remap(f.Message, 2, 3, 4);
                        break;
                    case 14:
                        f.Value = Str(f.Value);
                        break;
                }

                if (f.Number == 13 && f.Wire == 2)
                {
                    f.Bytes = Packed(Unpack(f.Bytes).Select(Str));
                }

                if (f.Number != 6)
                {
                    result.Add(f);
                }
            }

            for (int m = 0; m < mappings; m++)
            {
                ulong start = 0x400000UL + (ulong)m * 0x10000000UL;
                result.Insert(0, M(3, V(1, mappingBase + (ulong)m), V(2, start), V(3, start + 0x10000000UL), V(7, 1), V(8, 1), V(9, 1)));
            }

            result.AddRange(new[] { strings[0] }.Concat(order.Select(o => strings[o])));
            return Write(result);
        }

        private static IEnumerable<ulong> Unpack(byte[] b)
        {
            int pos = 0;
            while (pos < b.Length)
            {
                ulong v = 0;
                for (int shift = 0; pos < b.Length; shift += 7)
                {
                    byte x = b[pos++];
                    v |= (ulong)(x & 0x7f) << shift;
                    if (x < 0x80)
                    {
                        break;
                    }
                }

                yield return v;
            }
        }

        private static byte[] Gzip(byte[] raw)
        {
            using var output = new MemoryStream();
            using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            {
                gz.Write(raw, 0, raw.Length);
            }

            return output.ToArray();
        }
    }
}
