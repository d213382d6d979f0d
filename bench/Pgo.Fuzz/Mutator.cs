using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using static Pgo.Fuzz.ProtoTree;

namespace Pgo.Fuzz
{
    /// <summary>One fuzz input: the bytes and how they were made (for the report).</summary>
    internal sealed record FuzzInput(byte[] Bytes, string Recipe);

    /// <summary>
    /// Makes inputs from the seeds: protobuf-aware mutations of the decompressed bytes (values, repeats, deletions,
    /// long strings, deep stacks, many lines and labels, colliding ids, huge values, splices), byte havoc, attack
    /// profiles built from scratch, then wrapped raw, in gzip, zstd or LZ4 (sometimes damaged after compression).
    /// </summary>
    internal sealed class Mutator
    {
        private static readonly ulong[] Interesting =
        {
            0, 1, 2, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x100000001,
            0x7fffffffffffffff, 0x8000000000000000, 0xffffffffffffffff, 0x7ffffffffffffffe, 0xfffffffffffffffe, 1UL << 62,
        };

        private readonly Random _random;
        private readonly IReadOnlyList<byte[]> _seeds;
        private readonly IReadOnlyList<byte[]> _bombs;

        private readonly bool _light;

        /// <param name="light">Small seeds only, attacks and bombs ten times rarer, mutations of moderate size (fast inputs).</param>
        public Mutator(int seed, IReadOnlyList<byte[]> seeds, IReadOnlyList<byte[]> bombs, bool light = false)
        {
            _light = light;
            _random = new Random(seed);
            _seeds = seeds;
            _bombs = bombs;
        }

        public FuzzInput Next()
        {
            int roll = _random.Next(_light ? 10_000 : 1000);
            if (roll < 2)
            {
                var bomb = _bombs[_random.Next(_bombs.Count)];
                return new FuzzInput(bomb, "bomb#" + bomb.Length);
            }

            byte[] raw;
            string recipe;
            if (roll < 12)
            {
                (raw, recipe) = Attack();
            }
            else
            {
                int s = PickSeed();
                raw = _seeds[s];
                recipe = "seed" + s;
                int rounds = 1 + _random.Next(_random.Next(2) == 0 ? 2 : 6);
                for (int i = 0; i < rounds; i++)
                {
                    string what;
                    (raw, what) = Mutate(raw);
                    recipe += "+" + what;
                }
            }

            return Wrap(raw, recipe);
        }

        /// <summary>Small seeds most of the time (fast inputs), large ones sometimes.</summary>
        private int PickSeed()
        {
            int a = _random.Next(_seeds.Count);
            for (int i = 0; (_light || i < 4) && _seeds[a].Length > 20_000 && (_light || _random.Next(4) != 0); i++)
            {
                a = _random.Next(_seeds.Count);
            }

            return a;
        }

        private (byte[], string) Mutate(byte[] raw)
        {
            var tree = _random.Next(10) == 0 ? null : TryParse(raw);
            if (tree == null || tree.Count == 0 || _random.Next(6) == 0)
            {
                return Havoc(raw);
            }

            string what;
            switch (_random.Next(14))
            {
                case 0: what = SetVarint(tree); break;
                case 1: what = Repeat(tree); break;
                case 2: what = Delete(tree); break;
                case 3: what = Swap(tree); break;
                case 4: what = LongString(tree); break;
                case 5: what = DeepStack(tree); break;
                case 6: what = ManyLines(tree); break;
                case 7: what = ManyLabels(tree); break;
                case 8: what = BigValues(tree); break;
                case 9: what = CollidingIds(tree); break;
                case 10: what = Splice(tree); break;
                case 11: what = PayloadBytes(tree); break;
                case 12: what = EmbeddedRecordLabels(tree); break;
                default: what = SetVarint(tree) + "+" + SetVarint(tree); break;
            }

            return (Write(tree), what);
        }

        private (byte[], string) Havoc(byte[] raw)
        {
            var d = (byte[])raw.Clone();
            if (d.Length == 0)
            {
                return (new byte[] { (byte)_random.Next(256) }, "havoc-grow");
            }

            switch (_random.Next(5))
            {
                case 0:
                    for (int i = 0, n = 1 + _random.Next(8); i < n; i++) d[_random.Next(d.Length)] ^= (byte)(1 << _random.Next(8));
                    return (d, "bitflip");
                case 1:
                    for (int i = 0, n = 1 + _random.Next(4); i < n; i++) d[_random.Next(d.Length)] = (byte)Interesting[_random.Next(Interesting.Length)];
                    return (d, "byteset");
                case 2:
                    return (d.Take(_random.Next(d.Length)).ToArray(), "truncate");
                case 3:
                {
                    int at = _random.Next(d.Length), len = Math.Min(d.Length - at, 1 + _random.Next(64));
                    var chunk = d.Skip(at).Take(len).ToArray();
                    int times = 1 + _random.Next(_random.Next(4) == 0 ? 2000 : 8);
                    var ms = new MemoryStream();
                    ms.Write(d, 0, at);
                    for (int i = 0; i < times; i++) ms.Write(chunk, 0, chunk.Length);
                    ms.Write(d, at, d.Length - at);
                    return (ms.ToArray(), "dup-range x" + times);
                }
                default:
                {
                    int at = _random.Next(d.Length), len = Math.Min(d.Length - at, 1 + _random.Next(32));
                    return (d.Take(at).Concat(d.Skip(at + len)).ToArray(), "cut-range");
                }
            }
        }

        /// <summary>Every field of the tree with its parent list (depth-first).</summary>
        private static List<(List<ProtoField> Parent, ProtoField Field, int Depth)> All(List<ProtoField> tree, int depth = 0, List<(List<ProtoField>, ProtoField, int)>? into = null)
        {
            into ??= new List<(List<ProtoField>, ProtoField, int)>();
            foreach (var f in tree)
            {
                into.Add((tree, f, depth));
                if (f.Message != null)
                {
                    All(f.Message, depth + 1, into);
                }
            }

            return into;
        }

        private ProtoField? Pick(List<ProtoField> tree, Func<ProtoField, int, bool> where, out List<ProtoField>? parent)
        {
            var all = All(tree).Where(x => where(x.Field, x.Depth)).ToList();
            parent = null;
            if (all.Count == 0)
            {
                return null;
            }

            var pick = all[_random.Next(all.Count)];
            parent = pick.Parent;
            return pick.Field;
        }

        private ulong InterestingValue()
        {
            ulong v = Interesting[_random.Next(Interesting.Length)];
            return _random.Next(5) switch
            {
                0 => (ulong)_random.Next(1, 100000),
                1 => ((ulong)(uint)_random.Next() << 32) | (uint)_random.Next(),
                _ => v,
            };
        }

        /// <summary>The top of a size range: a tenth of it (at least the bottom + 1) in the light mix.</summary>
        private int Big(int top) => _light ? Math.Max(top / 10, 1) + 1 : top;

        private string SetVarint(List<ProtoField> tree)
        {
            var f = Pick(tree, (x, _) => x.Wire == 0, out _);
            if (f == null) return "setvarint-none";
            f.Value = InterestingValue();
            return "setvarint f" + f.Number;
        }

        private string Repeat(List<ProtoField> tree)
        {
            var f = Pick(tree, (_, _) => true, out var parent);
            if (f == null) return "repeat-none";
            int times = _random.Next(4) == 0 ? _random.Next(1000, Big(30000)) : 1 + _random.Next(10);
            int at = parent!.IndexOf(f);
            for (int i = 0; i < times; i++) parent.Insert(at, f.Clone());
            return $"repeat f{f.Number} x{times}";
        }

        private string Delete(List<ProtoField> tree)
        {
            var f = Pick(tree, (_, _) => true, out var parent);
            if (f == null) return "delete-none";
            parent!.Remove(f);
            return "delete f" + f.Number;
        }

        private string Swap(List<ProtoField> tree)
        {
            if (tree.Count < 2) return "swap-none";
            int a = _random.Next(tree.Count), b = _random.Next(tree.Count);
            (tree[a], tree[b]) = (tree[b], tree[a]);
            return "swap";
        }

        private string LongString(List<ProtoField> tree)
        {
            var strings = tree.Where(f => f.Number == 6 && f.Wire == 2 && f.Message == null).ToList();
            if (strings.Count < 2) return "longstring-none";
            int length = _random.Next(4) == 0 ? _random.Next(100_000, Big(1_100_000)) : _random.Next(1000, 20000);
            var target = strings[1 + _random.Next(strings.Count - 1)];
            var prefix = target.Bytes;
            var bytes = new byte[length];
            for (int i = 0; i < length; i++) bytes[i] = i < prefix.Length ? prefix[i] : (byte)('a' + (i % 26));
            target.Bytes = bytes;
            return "longstring " + length;
        }

        private string DeepStack(List<ProtoField> tree)
        {
            var sample = Pick(tree, (x, d) => d == 0 && x.Number == 2 && x.Message != null, out _);
            if (sample == null) return "deepstack-none";
            var ids = sample.Message!.Where(f => f.Number == 1).SelectMany(f => f.Wire == 0 ? new[] { f.Value } : Unpack(f.Bytes)).ToList();
            if (ids.Count == 0) return "deepstack-none";
            int depth = _random.Next(4) == 0 ? _random.Next(10_000, Big(120_000)) : _random.Next(100, 5000);
            var deep = Enumerable.Range(0, depth).Select(i => ids[i % ids.Count]).ToList();
            sample.Message!.RemoveAll(f => f.Number == 1);
            sample.Message.Insert(0, B(1, Packed(deep)));
            return "deepstack " + depth;
        }

        private string ManyLines(List<ProtoField> tree)
        {
            var location = Pick(tree, (x, d) => d == 0 && x.Number == 4 && x.Message != null, out _);
            var line = location?.Message!.FirstOrDefault(f => f.Number == 4);
            if (line == null) return "manylines-none";
            int n = _random.Next(4) == 0 ? _random.Next(500, 3000) : _random.Next(2, 100);
            for (int i = 0; i < n; i++) location!.Message!.Add(line.Clone());
            return "manylines " + n;
        }

        private string ManyLabels(List<ProtoField> tree)
        {
            var sample = Pick(tree, (x, d) => d == 0 && x.Number == 2 && x.Message != null, out _);
            if (sample == null) return "manylabels-none";
            int strings = tree.Count(f => f.Number == 6);
            int n = _random.Next(4) == 0 ? _random.Next(500, 2000) : _random.Next(1, 50);
            for (int i = 0; i < n; i++)
            {
                ulong num = _random.Next(2) == 0 ? ((ulong)i << 32) | (uint)i : InterestingValue();
                sample.Message!.Add(M(3, V(1, (ulong)_random.Next(Math.Max(1, strings))), V(3, num)));
            }

            return "manylabels " + n;
        }

        private string BigValues(List<ProtoField> tree)
        {
            int n = 0;
            foreach (var sample in tree.Where(f => f.Number == 2 && f.Message != null))
            {
                var values = sample.Message!.Where(f => f.Number == 2).SelectMany(f => f.Wire == 0 ? new[] { f.Value } : Unpack(f.Bytes)).ToList();
                sample.Message!.RemoveAll(f => f.Number == 2);
                sample.Message.Add(B(2, Packed(values.Select(_ => _random.Next(3) == 0 ? 0x7ffffffffffffff0UL : _random.Next(3) == 0 ? 0x8000000000000001UL : (ulong)_random.Next(1, 5)))));
                n++;
            }

            return "bigvalues " + n;
        }

        /// <summary>Renumbers location (and sometimes function) ids as i&lt;&lt;32|i, the pattern that folds to one hash.</summary>
        private string CollidingIds(List<ProtoField> tree)
        {
            var map = new Dictionary<ulong, ulong>();
            ulong Colliding(ulong id)
            {
                if (!map.TryGetValue(id, out var c))
                {
                    c = ((ulong)(map.Count + 1) << 32) | (uint)(map.Count + 1);
                    map.Add(id, c);
                }

                return c;
            }

            foreach (var location in tree.Where(f => f.Number == 4 && f.Message != null))
            {
                foreach (var f in location.Message!.Where(f => f.Number == 1 && f.Wire == 0)) f.Value = Colliding(f.Value);
                foreach (var f in location.Message!.Where(f => f.Number == 3 && f.Wire == 0)) f.Value = ((ulong)map.Count << 32) | (uint)map.Count;
            }

            foreach (var sample in tree.Where(f => f.Number == 2 && f.Message != null))
            {
                var ids = sample.Message!.Where(f => f.Number == 1).SelectMany(f => f.Wire == 0 ? new[] { f.Value } : Unpack(f.Bytes)).Select(Colliding).ToList();
                sample.Message!.RemoveAll(f => f.Number == 1);
                sample.Message.Insert(0, B(1, Packed(ids)));
            }

            return "collidingids " + map.Count;
        }

        private string Splice(List<ProtoField> tree)
        {
            var other = TryParse(_seeds[PickSeed()]);
            if (other == null || other.Count == 0) return "splice-none";
            int n = 1 + _random.Next(Math.Min(other.Count, 50));
            for (int i = 0; i < n; i++) tree.Insert(_random.Next(tree.Count + 1), other[_random.Next(other.Count)].Clone());
            return "splice " + n;
        }

        private string PayloadBytes(List<ProtoField> tree)
        {
            var f = Pick(tree, (x, _) => x.Wire == 2 && x.Message == null && x.Bytes.Length > 0, out _);
            if (f == null) return "payload-none";
            var b = (byte[])f.Bytes.Clone();
            b[_random.Next(b.Length)] = (byte)_random.Next(256);
            f.Bytes = b;
            return "payload f" + f.Number;
        }

        /// <summary>pgo record's labels on existing samples: runtime records whose numbers collide or overflow.</summary>
        private string EmbeddedRecordLabels(List<ProtoField> tree)
        {
            var names = new[] { "calls", "count", "pgo.kind", "pgo.il_offset", "pgo.il_hash", "pgo.type", "pgo.method_hash" };
            int first = tree.Count(f => f.Number == 6);
            foreach (var n in names) tree.Add(S(n));
            ulong Id(int i) => (ulong)(first + i);
            tree.Insert(0, M(1, V(1, Id(0)), V(2, Id(1))));
            int k = 0;
            foreach (var sample in tree.Where(f => f.Number == 2 && f.Message != null))
            {
                k++;
                sample.Message!.Add(B(2, Packed(new[] { _random.Next(2) == 0 ? 0x7ffffffffffffff0UL : (ulong)k })));
                sample.Message.Add(M(3, V(1, Id(2)), V(3, 0xC3)));
                sample.Message.Add(M(3, V(1, Id(3)), V(3, (ulong)(k % 50))));
                sample.Message.Add(M(3, V(1, Id(4)), V(3, ((ulong)k << 32) | (uint)k)));
                sample.Message.Add(M(3, V(1, Id(5)), V(2, Id(_random.Next(7)))));
            }

            return "embedded-records " + k;
        }

        private static IEnumerable<ulong> Unpack(byte[] b)
        {
            int pos = 0;
            while (pos < b.Length)
            {
                ulong v = 0;
                int shift = 0;
                while (pos < b.Length)
                {
                    byte x = b[pos++];
                    v |= (ulong)(x & 0x7f) << shift;
                    shift += 7;
                    if (x < 0x80 || shift >= 70) break;
                }

                yield return v;
            }
        }

        /// <summary>Profiles built from scratch to stress one cost at a time.</summary>
        private (byte[], string) Attack()
        {
            // Mostly a few thousand records (quadratic costs show at once), sometimes up to 40,000.
            int Size(int small, int large) => _random.Next(5) == 0 ? _random.Next(small, large) : _random.Next(small / 10 + 1, small);
            switch (_random.Next(6))
            {
                case 0: return Flood(Size(5000, 40000));
                case 1: return LongNameDeepStack(Size(10_000, 100_000), Size(5000, 20000));
                case 2: return ManySampleTypes(Size(2000, 20000));
                case 3: return RecordFlood(Size(5000, 30000));
                case 4: return LabelFlood(Size(5000, 30000));
                default: return ManyEdgesLongNames(Size(1000, 5000), Size(10_000, 100_000));
            }
        }

        private static List<ProtoField> Header(params string[] strings)
        {
            var t = new List<ProtoField> { S("") };
            foreach (var s in strings) t.Add(S(s));
            return t;
        }

        /// <summary>n functions, locations and samples whose ids and addresses are i&lt;&lt;32|i.</summary>
        public static (byte[], string) Flood(int n)
        {
            var t = Header("samples", "count", "main.f", "f.go");
            t.Add(M(1, V(1, 1), V(2, 2)));
            for (int i = 1; i <= n; i++)
            {
                ulong id = ((ulong)i << 32) | (uint)i;
                t.Add(M(5, V(1, id), V(2, 3), V(4, 4), V(5, 1)));
                t.Add(M(4, V(1, id), V(3, id), M(4, V(1, id), V(2, (ulong)i))));
                t.Add(M(2, B(1, Packed(new[] { id, ((ulong)(i % n + 1) << 32) | (uint)(i % n + 1) })), B(2, Packed(new[] { 1UL }))));
            }

            return (Write(t), "attack-flood " + n);
        }

        public static (byte[], string) LongNameDeepStack(int nameLength, int depth)
        {
            var t = Header("samples", "count", new string('N', nameLength) + ".F", "f.go");
            t.Add(M(1, V(1, 1), V(2, 2)));
            t.Add(M(5, V(1, 1), V(2, 3), V(4, 4), V(5, 1)));
            t.Add(M(4, V(1, 1), M(4, V(1, 1), V(2, 2)), M(4, V(1, 1), V(2, 3))));
            t.Add(M(2, B(1, Packed(Enumerable.Repeat(1UL, depth))), B(2, Packed(new[] { 1UL }))));
            return (Write(t), $"attack-longname {nameLength} x depth {depth}");
        }

        public static (byte[], string) ManySampleTypes(int n)
        {
            var t = Header("f.F");
            for (int i = 0; i < n; i++) t.Add(S("type" + i));
            for (int i = 0; i < n; i++) t.Add(M(1, V(1, (ulong)(2 + i)), V(2, (ulong)(2 + (i * 7) % n))));
            t.Add(M(5, V(1, 1), V(2, 1)));
            t.Add(M(4, V(1, 1), M(4, V(1, 1))));
            t.Add(M(2, B(1, Packed(new[] { 1UL })), B(2, Packed(Enumerable.Range(0, n).Select(i => (ulong)i)))));
            return (Write(t), "attack-sampletypes " + n);
        }

        public static (byte[], string) RecordFlood(int n)
        {
            var t = Header("calls", "count", "N.T.M", "pgo.kind", "pgo.il_offset", "pgo.il_hash", "pgo.type", "T, A");
            t.Add(M(1, V(1, 1), V(2, 2)));
            t.Add(M(5, V(1, 1), V(2, 3), V(3, 3), V(5, 10)));
            t.Add(M(4, V(1, 1), M(4, V(1, 1), V(2, 12))));
            for (int i = 1; i <= n; i++)
            {
                t.Add(M(2, B(1, Packed(new[] { 1UL })), B(2, Packed(new[] { 0x100000000UL })),
                    M(3, V(1, 4), V(3, 0xC3)), M(3, V(1, 5), V(3, 7)), M(3, V(1, 6), V(3, ((ulong)i << 32) | (uint)i)), M(3, V(1, 7), V(2, 8))));
            }

            return (Write(t), "attack-recordflood " + n);
        }

        public static (byte[], string) LabelFlood(int n)
        {
            var t = Header("samples", "count", "main.f", "k");
            t.Add(M(1, V(1, 1), V(2, 2)));
            t.Add(M(5, V(1, 1), V(2, 3)));
            t.Add(M(4, V(1, 1), M(4, V(1, 1))));
            for (int i = 1; i <= n; i++)
            {
                t.Add(M(2, B(1, Packed(new[] { 1UL })), B(2, Packed(new[] { 1UL })), M(3, V(1, 4), V(3, ((ulong)i << 32) | (uint)i))));
            }

            return (Write(t), "attack-labelflood " + n);
        }

        /// <summary>Many distinct call edges between two long names (offsets differ): what the hint files spell out.</summary>
        public static (byte[], string) ManyEdgesLongNames(int edges, int nameLength)
        {
            var t = Header("samples", "count", new string('A', nameLength) + ".F", new string('A', nameLength) + ".G");
            t.Add(M(1, V(1, 1), V(2, 2)));
            t.Add(M(5, V(1, 1), V(2, 3), V(5, 1)));
            t.Add(M(5, V(1, 2), V(2, 4), V(5, 1)));
            t.Add(M(4, V(1, 1), M(4, V(1, 2), V(2, 5))));
            for (int i = 0; i < edges; i++)
            {
                t.Add(M(4, V(1, (ulong)(2 + i)), M(4, V(1, 1), V(2, (ulong)(10 + i)))));
                t.Add(M(2, B(1, Packed(new[] { 1UL, (ulong)(2 + i) })), B(2, Packed(new[] { 1UL }))));
            }

            return (Write(t), $"attack-edges {edges} x name {nameLength}");
        }

        private FuzzInput Wrap(byte[] raw, string recipe)
        {
            int roll = _random.Next(100);
            byte[] bytes;
            if (roll < 55)
            {
                bytes = raw;
                recipe += " raw";
            }
            else if (roll < 75)
            {
                bytes = Gzip(raw);
                recipe += " gzip";
            }
            else if (roll < 90)
            {
                using var c = new ZstdSharp.Compressor(1);
                bytes = c.Wrap(raw).ToArray();
                recipe += " zstd";
            }
            else
            {
                using (var ms = new MemoryStream())
                {
                    using (var lz = K4os.Compression.LZ4.Streams.LZ4Stream.Encode(ms, new K4os.Compression.LZ4.Streams.LZ4EncoderSettings { ContentChecksum = _random.Next(2) == 0 }, leaveOpen: true))
                    {
                        lz.Write(raw, 0, raw.Length);
                    }

                    bytes = ms.ToArray();
                }

                recipe += " lz4";
            }

            if (roll >= 55 && _random.Next(6) == 0 && bytes.Length > 4)
            {
                bytes = (byte[])bytes.Clone();
                int at = 4 + _random.Next(bytes.Length - 4);
                if (_random.Next(2) == 0)
                {
                    bytes[at] ^= (byte)(1 << _random.Next(8));
                    recipe += "+damaged";
                }
                else
                {
                    bytes = bytes.Take(at).ToArray();
                    recipe += "+cut";
                }
            }

            return new FuzzInput(bytes, recipe);
        }

        public static byte[] Gzip(byte[] raw)
        {
            using var output = new MemoryStream();
            using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(raw, 0, raw.Length);
            }

            return output.ToArray();
        }
    }
}
