namespace Pgo.Build.Profiles
{
    /// <summary>
    /// Sums of sample values where an overflow has no error to report (weights read back from hint files or caches,
    /// shares of totals already checked): they stop at <see cref="long.MaxValue"/> / <see cref="long.MinValue"/>
    /// instead of wrapping or throwing. Where a profile is read, sums are checked and an overflow is PGO002.
    /// </summary>
    public static class Saturating
    {
        public static long Add(long a, long b)
        {
            long sum = unchecked(a + b);
            // Overflow iff both operands have the same sign and the sum's sign differs.
            if (((a ^ sum) & (b ^ sum)) < 0)
            {
                return a < 0 ? long.MinValue : long.MaxValue;
            }

            return sum;
        }

        public static long Sum(System.Collections.Generic.IEnumerable<long> values)
        {
            long total = 0;
            foreach (long v in values)
            {
                total = Add(total, v);
            }

            return total;
        }
    }
}
