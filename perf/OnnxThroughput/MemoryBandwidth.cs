using System.Diagnostics;

namespace Evals.OnnxThroughput;

/// <summary>
/// The memory bandwidth a decode step can hope for, measured in-process: copy a buffer far larger than any cache
/// (256 MB) into another, over and over for about a second, and count the bytes read plus the bytes written.
/// One thread, as the copy loop is; a decode step's weights are read by ORT's intra-op threads, so on a machine whose
/// single core cannot saturate the memory bus this is a lower bound of what they could reach.
/// </summary>
internal static class MemoryBandwidth
{
    public static double MeasureBytesPerSecond(int megabytes = 256, double seconds = 1.0)
    {
        var source = new byte[megabytes << 20];
        var target = new byte[megabytes << 20];
        Random.Shared.NextBytes(source);
        source.AsSpan().CopyTo(target); // touch every page once, so page faults are not timed
        var best = 0.0;
        for (var round = 0; round < 3; round++)
        {
            long bytes = 0;
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed.TotalSeconds < seconds / 3)
            {
                source.AsSpan().CopyTo(target);
                bytes += 2L * source.Length;
            }
            best = Math.Max(best, bytes / watch.Elapsed.TotalSeconds);
        }
        return best;
    }
}
