namespace Evals.Benchmarks.Statistics;

/// <summary>
/// A small, fast, seedable generator for bootstrap resampling: xoshiro256** (Blackman &amp; Vigna 2018, prng.di.unimi.it),
/// its state filled by SplitMix64 as the authors recommend. Written here rather than using <see cref="Random"/> so that
/// a seed gives the same numbers on every runtime version, and so that round <c>r</c> of a bootstrap can have its own
/// stream (<see cref="ForStream"/>): rounds then run on any number of threads and still give identical results.
/// </summary>
public struct SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public SeededRandom(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>An independent stream for (seed, stream), e.g. bootstrap round <paramref name="stream"/> of a run seeded with <paramref name="seed"/>.</summary>
    public static SeededRandom ForStream(long seed, long stream)
    {
        var x = (ulong)seed;
        var key = SplitMix64(ref x);
        var y = key ^ ((ulong)stream * 0xD1B54A32D192ED03UL);
        return new SeededRandom(SplitMix64(ref y));
    }

    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform integer in [0, <paramref name="n"/>), without modulo bias (Lemire 2019, multiply and reject).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        var range = (ulong)n;
        var high = Math.BigMul(NextUInt64(), range, out var low);
        if (low < range)
        {
            var threshold = (0 - range) % range;
            while (low < threshold) high = Math.BigMul(NextUInt64(), range, out low);
        }
        return (int)high;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
