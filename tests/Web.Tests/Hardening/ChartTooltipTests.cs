using System.Diagnostics;
using Evals.TestKit;

namespace Evals.Web.Tests.Hardening;

/// <summary>
/// Issue 18, finding 8: the chart tooltip formatter returns HTML, and model and variant names come from admins and
/// feedback clients; a name must be shown as text. Runs wwwroot/charts.js under Node with a stand-in ECharts that
/// captures the option it is given, then calls the tooltip formatter as ECharts would.
/// </summary>
public sealed class ChartTooltipTests
{
    [Fact]
    public async Task The_ci_tooltip_escapes_model_and_variant_names()
    {
        var charts = Path.Combine(RepoPaths.Root, "src", "Web", "wwwroot", "charts.js");
        var harness = Path.Combine(Path.GetTempPath(), $"evals-charts-{Guid.NewGuid():N}.js");
        await File.WriteAllTextAsync(harness, $$"""
            global.window = global;
            global.requestAnimationFrame = f => f();
            global.MutationObserver = class { observe() {} };
            global.addEventListener = () => {};
            let captured;
            global.echarts = { getInstanceByDom: () => null, init: () => ({ setOption: o => { captured = o; } }) };
            const attrs = { "data-echarts-option": JSON.stringify({ series: [] }), "data-echarts-formatter": "ci" };
            const el = { nodeType: 1, getAttribute: n => attrs[n] ?? null, setAttribute: (n, v) => { attrs[n] = v; }, hasAttribute: n => n in attrs,
                         querySelector: () => null, querySelectorAll: () => [] };
            global.document = { readyState: "complete", body: el, querySelectorAll: () => [], addEventListener: () => {} };
            require({{System.Text.Json.JsonSerializer.Serialize(charts)}});
            process.stdout.write(captured.tooltip.formatter({ name: "<img src=x onerror=alert(1)>", seriesName: "B\"'&<script>", value: 61.25, data: { ci: [50, 70] } }));
            """);
        try
        {
            var info = new ProcessStartInfo("node", [harness]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var node = Process.Start(info)!;
            var output = await node.StandardOutput.ReadToEndAsync();
            var error = await node.StandardError.ReadToEndAsync();
            await node.WaitForExitAsync();
            Assert.True(node.ExitCode == 0, error);
            Assert.Equal("&lt;img src=x onerror=alert(1)&gt;<br/>B&quot;&#39;&amp;&lt;script&gt;: 61.3 [50.0, 70.0]", output);
        }
        finally
        {
            File.Delete(harness);
        }
    }
}
