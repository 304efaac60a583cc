using System.Diagnostics;

namespace Evals.TestKit;

public static class Poll
{
    /// <summary>Polls until the condition holds; fails with the description after the timeout.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string description, Func<string>? diagnostics = null)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > timeout)
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {description}{(diagnostics is null ? "" : "\n" + diagnostics())}");
            await Task.Delay(200);
        }
    }
}
