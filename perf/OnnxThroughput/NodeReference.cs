using System.Diagnostics;
using System.Text.Json;

namespace Evals.OnnxThroughput;

/// <summary>The Node process running greedy.mjs: one long-lived onnxruntime-node session, one generation per request line.</summary>
internal sealed class NodeReference : IDisposable
{
    private readonly Process _process;

    private NodeReference(Process process, string versions)
    {
        _process = process;
        Versions = versions;
    }

    public string Versions { get; }

    public static async Task<NodeReference> StartAsync(Options options, string modelPath, int kvHeads, int headDim)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "greedy.mjs");
        if (!Directory.Exists(options.EffectiveOrtNode))
            throw new BenchmarkSetupException($"onnxruntime-node not found at {options.EffectiveOrtNode}; perf/run-onnx-throughput.sh installs it there (npm install --ignore-scripts onnxruntime-node@1.30.0), or pass --ort-node DIR");
        var info = new ProcessStartInfo(options.Node)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        foreach (var a in new[] { script, options.EffectiveOrtNode, modelPath, options.EffectiveThreads.ToString(), options.Layers.ToString(), kvHeads.ToString(), headDim.ToString() })
            info.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BenchmarkSetupException($"could not start '{options.Node}': {e.Message}");
        }
        var ready = await process.StandardOutput.ReadLineAsync()
            ?? throw new BenchmarkSetupException("the Node reference exited before it was ready (see its stderr above)");
        using var doc = JsonDocument.Parse(ready);
        return new NodeReference(process, doc.RootElement.GetProperty("versions").ToString());
    }

    public async Task<Timing> GenerateAsync(int[] prompt, int decode, int limit)
    {
        await _process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new { prompt, decode, limit }));
        await _process.StandardInput.FlushAsync();
        var line = await _process.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("the Node reference exited mid-run");
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        return new Timing(root.GetProperty("prefillMs").GetDouble(), root.GetProperty("decodeMs").GetDouble(),
            root.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray(),
            root.GetProperty("prefillCpuMs").GetDouble(), root.GetProperty("decodeCpuMs").GetDouble());
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000)) _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}

/// <summary>Wall and CPU milliseconds (the whole process, every thread) of one generation's prefill and decode.</summary>
internal sealed record Timing(double PrefillMs, double DecodeMs, int[] Tokens, double PrefillCpuMs, double DecodeCpuMs);

internal sealed class BenchmarkSetupException(string message) : Exception(message);
