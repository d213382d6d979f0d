using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Metadata;

namespace Pgo.Build.Tests.Unit
{
    /// <summary>
    /// The offset translation a rewrite that lengthens instructions writes into the assembly (<c>&lt;PgoIlMoved&gt;</c>):
    /// both directions, the text form, and a damaged or foreign attribute that must be ignored rather than trusted.
    /// </summary>
    [TestClass]
    public sealed class IlMovesTests
    {
        // Instructions at 0, 3, 8, 9, 14 in the compiler's IL; the one at 3 and the one at 9 grew by a byte each.
        private static readonly (int Original, int Current)[] Offsets = { (0, 0), (3, 3), (8, 9), (9, 10), (14, 16) };

        [TestMethod]
        public void Offsets_translate_both_ways_for_every_instruction()
        {
            var moves = new IlMoves(0x1234, 20, IlMoves.Points(Offsets));

            foreach (var (original, current) in Offsets)
            {
                Assert.AreEqual(current, moves.ToCurrent(original), "to current " + original);
                Assert.AreEqual(original, moves.ToOriginal(current), "to original " + current);
            }

            Assert.AreEqual(22, moves.CurrentIlSize);
            CollectionAssert.AreEqual(new[] { (8, 1), (14, 2) }, IlMoves.Points(Offsets).ToArray(), "only where the difference changes");
        }

        [TestMethod]
        public void The_text_form_round_trips_and_is_checked_against_the_rewritten_size()
        {
            var moves = new IlMoves(0x7fffffffffffffffL, 20, IlMoves.Points(Offsets));
            string text = moves.Encode();

            Assert.AreEqual("7fffffffffffffff;20;8:1,14:2", text);
            var read = IlMoves.Decode(text, 22)!;
            Assert.AreEqual(moves.OriginalIlHash, read.OriginalIlHash);
            Assert.AreEqual(20, read.OriginalIlSize);
            Assert.AreEqual(16, read.ToCurrent(14));
            Assert.IsNull(IlMoves.Decode(text, 21), "a size that does not fit the method is another method's (or a stale) attribute");
        }

        [TestMethod]
        public void A_damaged_attribute_is_ignored()
        {
            foreach (string text in new[] { "", "x;20;8:1", "1234;20", "1234;20;8:1;9", "1234;-1;", "1234;20;8:1,8:2", "1234;20;9:1,8:2", "1234;20;30:1", "1234;20;8", "1234;20;a:1", "1234;20;8:x" })
            {
                Assert.IsNull(IlMoves.Decode(text, 22), text);
            }
        }
    }
}
