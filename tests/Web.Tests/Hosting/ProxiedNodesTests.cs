using System.Net;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Evals.Web.Tests.Arena;
using Evals.Web.Tests.Feedback;
using Evals.Web.Tests.Hardening;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Tests.Hosting;

/// <summary>
/// Issue 17, test 3 through a real reverse proxy: two web node processes behind a YARP proxy on loopback, each told to
/// believe forwarded headers from that proxy's address only. Through the proxy, an admin signs in with the form from
/// node A posted to node B and is signed in on both; the arena's per-address limit counts the client address the proxy
/// forwards, whatever X-Forwarded-For the client itself sends, across both nodes; a forged header sent straight to a
/// node is ignored; a feedback key's rate spans both nodes; a restarted node keeps the session.
/// </summary>
public sealed class ProxiedNodesTests(DatabaseFixture database, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private static readonly IPAddress ClientX = IPAddress.Parse("127.0.10.1");
    private static readonly IPAddress ClientY = IPAddress.Parse("127.0.20.1");

    [Fact]
    public async Task Sessions_forms_and_limits_hold_across_two_nodes_behind_a_proxy_that_alone_is_believed()
    {
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.Models.Add(new Model { Name = "alpha", Kind = "baseline", Spec = "baseline:say?text=%E7%94%B2" });
            db.Models.Add(new Model { Name = "beta", Kind = "baseline", Spec = "baseline:say?text=%E4%B9%99" });
            await db.SaveChangesAsync();
        }
        var feedbackKey = await FeedbackLimitAcrossNodesTests.CreateKeyAsync(database.ConnectionString, requestsPerMinute: 4);
        var settings = new Dictionary<string, string>(ArenaAbuseAcrossNodesTests.Limits)
        {
            ["ForwardedHeaders__KnownProxies__0"] = LoopbackProxy.Address.ToString(),
            ["Runner__Enabled"] = "false",
        };
        foreach (var (key, value) in SharedKeyRingTests.Settings) settings[key] = value;

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var nodes = await WebApp.StartNodesAsync(database.ConnectionString, settings, settings);
        var a = nodes[0];
        await using var stopA = new SharedKeyRingTests.AsyncDisposer(a);
        await using var b = nodes[1];
        await using var proxy = await LoopbackProxy.StartAsync(new Dictionary<string, Uri> { ["A"] = a.Client.BaseAddress!, ["B"] = b.Client.BaseAddress! });
        var startup = clock.Elapsed;

        // 1. Sign in: the form (and its antiforgery token) lands on node A, the post on node B; both honour the session.
        var admin = new CookieContainer();
        using var adminOnA = proxy.Client("A", ClientX, admin);
        using var adminOnB = proxy.Client("B", ClientX, admin);
        await SharedKeyRingTests.SignInAsync(formFrom: adminOnA, postTo: adminOnB, a.AdminKey);
        await SharedKeyRingTests.AssertSignedInAsync(adminOnA);
        await SharedKeyRingTests.AssertSignedInAsync(adminOnB);

        // 2. Arena, two battles per address: X's two through different nodes fill its address. X claims another
        //    address in its own X-Forwarded-For, which the proxy replaces with the one it saw.
        var x = new CookieContainer();
        using var xOnA = proxy.Client("A", ClientX, x);
        using var xOnB = proxy.Client("B", ClientX, x);
        (await xOnA.GetAsync("api/arena/visitor")).EnsureSuccessStatusCode();
        ArenaAbuseAcrossNodesTests.Created(await ArenaAbuseAcrossNodesTests.BattleAsync(xOnA, "经代理的第一题：一加一等于几？"));
        ArenaAbuseAcrossNodesTests.Created(await ArenaAbuseAcrossNodesTests.BattleAsync(xOnB, "经代理的第二题：二加二等于几？", forwardedFor: "198.51.100.1"));
        ArenaAbuseAcrossNodesTests.Refused(await ArenaAbuseAcrossNodesTests.BattleAsync(xOnA, "经代理的第三题：三加三等于几？", forwardedFor: "198.51.100.2"),
            "battles_per_ip", "from this IP address: at most 2");

        //    Y, another client, cannot spend X's address by naming it: the proxy forwards Y's own.
        var y = new CookieContainer();
        using var yOnB = proxy.Client("B", ClientY, y);
        (await yOnB.GetAsync("api/arena/visitor")).EnsureSuccessStatusCode();
        ArenaAbuseAcrossNodesTests.Created(await ArenaAbuseAcrossNodesTests.BattleAsync(yOnB, "经代理的第四题：四加四等于几？", forwardedFor: ClientX.ToString()));

        //    Straight to a node, past the proxy, X's forged X-Forwarded-For is not believed (127.0.10.1 is loopback, which
        //    the framework would trust by default): the node counts X's own full address.
        using var xDirect = LoopbackProxy.DirectClient(a.Client.BaseAddress!, ClientX, x);
        ArenaAbuseAcrossNodesTests.Refused(await ArenaAbuseAcrossNodesTests.BattleAsync(xDirect, "绕过代理的第五题：五加五等于几？", forwardedFor: "203.0.113.5"),
            "battles_per_ip", "from this IP address: at most 2");
        await using (var db = Migrator.CreateContext(database.ConnectionString))
            Assert.Equal(3, await db.ArenaBattles.CountAsync());

        // 3. Feedback: a key's four a minute are spent by posts through either node.
        using var feedbackOnA = proxy.Client("A", ClientY, new CookieContainer());
        using var feedbackOnB = proxy.Client("B", ClientY, new CookieContainer());
        await FeedbackLimitAcrossNodesTests.AssertFourOfSixPassAsync(database.ConnectionString, feedbackKey, "proxied", [("A", feedbackOnA), ("B", feedbackOnB)]);

        // 4. Node A restarts on a new port; the proxy is pointed at it and the session still holds there.
        await stopA.DisposeAsync();
        await using var restarted = await WebApp.StartAsync(database.ConnectionString, settings);
        proxy.Repoint("A", restarted.Client.BaseAddress!);
        await SharedKeyRingTests.AssertSignedInAsync(adminOnA);
        output.WriteLine($"two nodes and the proxy started in {startup.TotalSeconds:0.0} s; the test took {clock.Elapsed.TotalSeconds:0.0} s in all");
    }
}
