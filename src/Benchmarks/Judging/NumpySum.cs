namespace Evals.Benchmarks.Judging;

/// <summary>
/// Summation in NumPy's order (pairwise summation, <c>pairwise_sum</c> in numpy's loops: below 8 values a plain loop;
/// up to 128 eight running sums combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) then the tail; above that the two
/// halves, split at a multiple of 8, summed recursively). Published figures computed with pandas round like this, so
/// reproducing them to the last printed digit needs the same order.
/// </summary>
public static class NumpySum
{
    private const int BlockSize = 128;

    public static double Sum(ReadOnlySpan<double> values)
    {
        var n = values.Length;
        if (n < 8)
        {
            var sum = 0.0;
            foreach (var v in values) sum += v;
            return sum;
        }
        if (n <= BlockSize)
        {
            Span<double> r = stackalloc double[8];
            values[..8].CopyTo(r);
            var i = 8;
            for (; i < n - n % 8; i += 8)
                for (var j = 0; j < 8; j++) r[j] += values[i + j];
            var result = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) result += values[i];
            return result;
        }
        var half = n / 2;
        half -= half % 8;
        return Sum(values[..half]) + Sum(values[half..]);
    }
}
