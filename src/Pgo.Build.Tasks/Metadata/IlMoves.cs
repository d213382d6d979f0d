using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Pgo.Build.Metadata
{
    /// <summary>
    /// How an IL rewrite that lengthened some instructions (the foreach rewrite's <c>ldloc.1</c> → <c>ldloca.s</c>) moved a
    /// method's IL offsets, and the compiler's fingerprint and size of the method. The rewritten assembly carries it in a
    /// <c>&lt;PgoIlMoved&gt;</c> attribute on the method, so every reader of that assembly (the .mibc stage of the same
    /// build, <c>pgo record</c> of the rewritten program) keeps the compiler's identity and translates offsets: recorded
    /// data stays in the compiler's offsets, the .mibc gets the rewritten ones.
    /// </summary>
    public sealed class IlMoves
    {
        /// <summary>The attribute type the rewrite adds (a string argument: <see cref="Encode"/>).</summary>
        public const string AttributeTypeName = "<PgoIlMoved>";

        /// <summary>(compiler's offset, how far it and every later instruction moved), by offset.</summary>
        private readonly (int Original, int Delta)[] _points;

        public IlMoves(long originalIlHash, int originalIlSize, IEnumerable<(int Original, int Delta)> points)
        {
            OriginalIlHash = originalIlHash;
            OriginalIlSize = originalIlSize;
            _points = points.OrderBy(p => p.Original).ToArray();
        }

        public long OriginalIlHash { get; }
        public int OriginalIlSize { get; }

        /// <summary>The rewritten method's IL size.</summary>
        public int CurrentIlSize => OriginalIlSize + (_points.Length == 0 ? 0 : _points[_points.Length - 1].Delta);

        /// <summary>The rewritten offset of the instruction at the compiler's <paramref name="original"/> offset.</summary>
        public int ToCurrent(int original)
        {
            int delta = 0;
            foreach (var (at, d) in _points)
            {
                if (at > original)
                {
                    break;
                }

                delta = d;
            }

            return original + delta;
        }

        /// <summary>The compiler's offset of the instruction at the rewritten <paramref name="current"/> offset.</summary>
        public int ToOriginal(int current)
        {
            int delta = 0;
            foreach (var (at, d) in _points)
            {
                if (at + d > current)
                {
                    break;
                }

                delta = d;
            }

            return current - delta;
        }

        /// <summary>The points of an instruction-by-instruction offset list (compiler's, rewritten): where the difference changes.</summary>
        public static IEnumerable<(int Original, int Delta)> Points(IEnumerable<(int Original, int Current)> offsets)
        {
            int last = 0;
            foreach (var (original, current) in offsets.OrderBy(o => o.Original))
            {
                if (current - original != last)
                {
                    last = current - original;
                    yield return (original, last);
                }
            }
        }

        /// <summary><c>hash;size;offset:delta,offset:delta</c> (hexadecimal hash).</summary>
        public string Encode()
        {
            var text = new StringBuilder();
            text.Append(OriginalIlHash.ToString("x", CultureInfo.InvariantCulture)).Append(';').Append(OriginalIlSize.ToString(CultureInfo.InvariantCulture)).Append(';');
            text.Append(string.Join(",", _points.Select(p => p.Original.ToString(CultureInfo.InvariantCulture) + ":" + p.Delta.ToString(CultureInfo.InvariantCulture))));
            return text.ToString();
        }

        /// <summary>The attribute's text, checked against the method's rewritten IL size; null when it does not read or fit.</summary>
        public static IlMoves? Decode(string text, int currentIlSize)
        {
            var parts = text.Split(';');
            if (parts.Length != 3 || !long.TryParse(parts[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long hash)
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int size))
            {
                return null;
            }

            var points = new List<(int, int)>();
            int previous = -1;
            foreach (var point in parts[2].Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries))
            {
                var pair = point.Split(':');
                if (pair.Length != 2 || !int.TryParse(pair[0], NumberStyles.None, CultureInfo.InvariantCulture, out int at)
                    || !int.TryParse(pair[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int delta) || at <= previous || at > size)
                {
                    return null;
                }

                points.Add((at, delta));
                previous = at;
            }

            var moves = new IlMoves(hash & long.MaxValue, size, points);
            return moves.CurrentIlSize == currentIlSize ? moves : null;
        }
    }
}
