using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Evals.Perf;

/// <summary>
/// Web nodes for the HTTP benchmarks, started as their own processes (Evals.Web.dll next to the harness) as users run
/// them: no worker, no seeded runs, no online checks, warnings only; each node's stderr is echoed with its port.
/// </summary>
public static class WebNodes
{
    public static Process Start(string connectionString, int port)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Evals.Web.dll"));
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{port}");
        info.Environment["ConnectionStrings__Evals"] = connectionString;
        info.Environment["Runner__Enabled"] = "false";
        info.Environment["Evals__SeedSmokeRuns"] = "false";
        info.Environment["OnlineChecks__Enabled"] = "false";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[web {port}] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Polls the node's <c>/healthz</c> until it answers 2xx; fails at once if the process exits.</summary>
    public static async Task WaitHealthyAsync(Uri node, Process web, TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = node, Timeout = TimeSpan.FromSeconds(10) };
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (web.HasExited) throw new InvalidOperationException($"the web node on {node} exited with {web.ExitCode}");
            try
            {
                if ((await http.GetAsync("healthz")).IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"the web node on {node} did not become healthy in {timeout.TotalSeconds:0} s");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
