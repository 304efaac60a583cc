using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Tests.Feedback;

/// <summary>
/// Issue 17, test 4: 1,000 concurrent single-event posts go through group commit, and PostgreSQL is stopped and
/// restarted in the middle. A request is either acknowledged (200) after its event is committed, or refused (503 and the
/// like) and sent again; at the end every event was acknowledged once, is stored exactly once, and nothing else is
/// stored. Some commits hold several requests at once (the group's point).
/// </summary>
public sealed class FeedbackGroupCommitTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Concurrent_single_events_are_stored_exactly_once_across_a_database_restart()
    {
        await using var cluster = await PostgresCluster.StartPrivateAsync();
        var connectionString = await cluster.CreateDatabaseAsync();
        var key = ApiKey.NewKey();
        await using (var db = Migrator.CreateContext(connectionString))
        {
            db.ApiKeys.Add(new ApiKey { Name = "app", Scope = "feedback", Hash = ApiKey.HashOf(key), Prefix = key[..10], RequestsPerMinute = 1_000_000 });
            await db.SaveChangesAsync();
        }
        await using var app = await WebApp.StartAsync(connectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false",
            ["Runner__Enabled"] = "false",
            ["Runner__DatabaseRetrySeconds"] = "120",
        });
        using var http = new HttpClient { BaseAddress = app.Client.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);

        const int events = 1_000;
        var acknowledged = new int[events];
        var refused = 0;
        var sent = 0;
        using var inFlight = new SemaphoreSlim(64);
        // Three waves, so the restart meets requests however fast the first ones are stored: the first third before the
        // shutdown, the second sent as it begins (in flight while sessions are cut), the last while the database is down.
        var shutdownBegins = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var databaseDown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task SendAsync(int i)
        {
            if (i >= 2 * events / 3) await databaseDown.Task;
            else if (i >= events / 3) await shutdownBegins.Task;
            var body = JsonSerializer.Serialize(new { event_id = $"g-{i}", trace_id = $"t-{i}", model = "m", input = $"问题{i}", output = "回答", rating = "up" });
            for (var attempt = 0; attempt < 200; attempt++)
            {
                await inFlight.WaitAsync();
                HttpResponseMessage? response = null;
                try
                {
                    Interlocked.Increment(ref sent);
                    response = await http.PostAsync("api/feedback", new StringContent(body, Encoding.UTF8, "application/json"));
                }
                catch (HttpRequestException)
                {
                }
                finally
                {
                    inFlight.Release();
                }
                if (response?.StatusCode == HttpStatusCode.OK)
                {
                    var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
                    Assert.Equal(1, answer.GetProperty("accepted").GetInt32() + answer.GetProperty("duplicates").GetInt32());
                    Interlocked.Increment(ref acknowledged[i]);
                    return;
                }
                Interlocked.Increment(ref refused);
                await Task.Delay(100);
            }
        }

        var senders = Enumerable.Range(0, events).Select(i => Task.Run(() => SendAsync(i))).ToList();
        await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref sent) >= events / 3), TimeSpan.FromSeconds(60), "a third of the requests sent");
        // A fast shutdown (sessions cut, in-flight transactions rolled back): the test cluster runs without fsync and
        // synchronous_commit, so an immediate one would drop commits PostgreSQL itself had already reported.
        var stopping = cluster.Server!.StopAsync(immediate: false);
        shutdownBegins.SetResult();
        await stopping;
        databaseDown.SetResult();
        await Task.Delay(1500);
        await cluster.Server.RestartStoppedAsync();
        await Task.WhenAll(senders);
        output.WriteLine($"{sent} requests, {refused} refused and sent again");

        Assert.All(acknowledged, a => Assert.Equal(1, a));
        Assert.True(refused > 0, "the restart refused no request: it did not happen while requests were in flight");
        // Not pooled: the pool still holds the connection opened before the restart, which the shutdown cut.
        await using (var db = Migrator.CreateContext(connectionString + ";Pooling=false"))
        {
            var stored = await db.Feedback.Select(f => f.EventId).ToListAsync();
            Assert.Equal(events, stored.Count);
            Assert.Equal(Enumerable.Range(0, events).Select(i => $"g-{i}").Order(), stored.Order());
        }
    }
}
