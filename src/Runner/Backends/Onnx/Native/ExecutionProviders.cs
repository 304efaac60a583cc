namespace Evals.Runner.Backends.Onnx.Native;

public enum OnnxDevice
{
    Cpu,
    Cuda,
    Auto,
}

internal sealed record SessionSettings(
    OnnxDevice Device = OnnxDevice.Cpu,
    int DeviceId = 0,
    int IntraOpThreads = 0,
    int GraphOptimizationLevel = 99,
    string? CudaProviderPath = null,
    bool AllowTf32 = false);

/// <summary>
/// Appends the execution provider for a device. CUDA goes one of two ways (reference/onnxruntime/NOTES.md §5): the legacy
/// <c>CUDA_V2</c> route when the core was built with the CUDA bridge (npm onnxruntime-node lists it, but ships no provider
/// library), or the plugin-EP route (register the provider library, pick its GPU device, append it), which is what a
/// CPU-only core needs with the separately packaged provider. CPU is always the implicit fallback inside ORT, so a session
/// that asked for CUDA and got it still places unsupported nodes on the CPU.
/// </summary>
internal static unsafe class ExecutionProviders
{
    public const string CudaProviderFile = "libonnxruntime_providers_cuda.so";
    public const string CudaProviderPathVariable = "Onnx__CudaProviderPath";

    private static readonly Lock s_registerLock = new();

    /// <summary>Registration names by (env's library, provider path): a registration belongs to one env, and its name must be unique in it.</summary>
    private static readonly Dictionary<(string Library, string Provider), string> s_registered = [];

    public static string Append(OrtRuntime runtime, nint options, SessionSettings settings)
    {
        if (settings.Device == OnnxDevice.Cpu) return $"CPUExecutionProvider ({runtime})";
        return AppendCuda(runtime, options, settings);
    }

    private static string AppendCuda(OrtRuntime runtime, nint options, SessionSettings settings)
    {
        var explicitPath = settings.CudaProviderPath ?? NullIfEmpty(Environment.GetEnvironmentVariable(CudaProviderPathVariable));
        var besideCore = Path.Combine(Path.GetDirectoryName(runtime.LibraryPath) ?? ".", CudaProviderFile);
        var coreHasCuda = runtime.AvailableProviders.Contains("CUDAExecutionProvider");
        if (explicitPath is not null || (!coreHasCuda && File.Exists(besideCore)))
        {
            var path = Path.GetFullPath(explicitPath ?? besideCore);
            if (!File.Exists(path))
                throw new OnnxDeviceException($"device=cuda: the CUDA provider library was not found at '{path}' (from {(settings.CudaProviderPath is null ? CudaProviderPathVariable : "the spec's cuda_provider option")}).");
            return AppendPlugin(runtime, options, path, settings.DeviceId, settings.AllowTf32);
        }
        if (!coreHasCuda)
            throw new OnnxDeviceException($"device=cuda: {runtime} was built without CUDA (it lists {string.Join(", ", runtime.AvailableProviders)}) "
                + $"and no {CudaProviderFile} was found beside it at '{besideCore}'. Point {CudaProviderPathVariable} (or the spec option cuda_provider) at a CUDA provider library for the plugin route.");
        if (!File.Exists(besideCore))
            throw new OnnxDeviceException($"device=cuda: {runtime} lists CUDAExecutionProvider, but its provider library is not installed: '{besideCore}' is missing "
                + $"(the npm package does not ship it). Put {CudaProviderFile} and libonnxruntime_providers_shared.so of the same ONNX Runtime version there, "
                + $"or set {CudaProviderPathVariable} to a provider library for the plugin route.");
        return AppendLegacy(runtime, options, settings.DeviceId, settings.AllowTf32, besideCore);
    }

    private static string AppendLegacy(OrtRuntime runtime, nint options, int deviceId, bool allowTf32, string providerPath)
    {
        var api = runtime.Api;
        nint cuda;
        api.Check(api.CreateCUDAProviderOptions(&cuda));
        using var handle = new OrtCudaProviderOptionsHandle(api, cuda);
        string[] keys = ["device_id", "arena_extend_strategy", "cudnn_conv_algo_search", "do_copy_in_default_stream", "use_tf32"];
        string[] values = [deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture), "kSameAsRequested", "HEURISTIC", "1", allowTf32 ? "1" : "0"];
        var k = stackalloc byte*[keys.Length];
        var v = stackalloc byte*[keys.Length];
        try
        {
            for (var i = 0; i < keys.Length; i++)
            {
                k[i] = Utf8.Alloc(keys[i]);
                v[i] = Utf8.Alloc(values[i]);
            }
            // This call already loads the provider library and fails when CUDA, cuDNN or the driver is missing.
            Wrap(api, api.UpdateCUDAProviderOptions(cuda, k, v, (nuint)keys.Length), providerPath);
            Wrap(api, api.SessionOptionsAppendExecutionProvider_CUDA_V2(options, cuda), providerPath);
        }
        finally
        {
            for (var i = 0; i < keys.Length; i++)
            {
                Utf8.Free(k[i]);
                Utf8.Free(v[i]);
            }
        }
        return $"CUDAExecutionProvider device {deviceId} via the CUDA_V2 route ({providerPath}), TF32 {(allowTf32 ? "on" : "off")}, on {runtime}";
    }

    private static string AppendPlugin(OrtRuntime runtime, nint options, string providerPath, int deviceId, bool allowTf32)
    {
        var api = runtime.Api;
        var env = runtime.Env.DangerousGetHandle();
        lock (s_registerLock)
        {
            // A library registers once per env (one env per loaded ORT library); later sessions reuse its devices. Keyed by
            // the env too, or a second ORT library in the process would never get the provider; named per path, because ORT
            // refuses a second registration under a name that is taken.
            var key = (runtime.LibraryPath, providerPath);
            if (!s_registered.ContainsKey(key))
            {
                var registrationName = $"evals_cuda_{s_registered.Count}";
                var name = Utf8.Alloc(registrationName);
                var path = Utf8.Alloc(providerPath);
                try
                {
                    Wrap(api, api.RegisterExecutionProviderLibrary(env, name, path), providerPath);
                }
                finally
                {
                    Utf8.Free(name);
                    Utf8.Free(path);
                }
                s_registered.Add(key, registrationName);
            }
        }
        nint* devices;
        nuint count;
        api.Check(api.GetEpDevices(env, &devices, &count));
        var gpus = new List<nint>();
        var seen = new List<string>();
        for (var i = 0; i < (int)count; i++)
        {
            var epName = Utf8.ToString(api.EpDevice_EpName(devices[i])) ?? "";
            var type = api.HardwareDevice_Type(api.EpDevice_Device(devices[i]));
            seen.Add($"{epName}/{(type == 1 ? "GPU" : type == 0 ? "CPU" : "NPU")}");
            if (epName == "CUDAExecutionProvider" && type == 1 /* OrtHardwareDeviceType_GPU */) gpus.Add(devices[i]);
        }
        if (gpus.Count == 0)
            throw new OnnxDeviceException($"device=cuda: the CUDA provider at '{providerPath}' registered, but ONNX Runtime found no CUDA GPU (devices: {string.Join(", ", seen)}). Is there a GPU and a CUDA driver?");
        if (deviceId >= gpus.Count)
            throw new OnnxDeviceException($"device=cuda: device_id={deviceId}, but only {gpus.Count} CUDA GPU(s) are visible.");
        var chosen = gpus[deviceId];
        // TF32 is the CUDA provider's default and moves logits by about 1e-2 on Hopper: off unless asked for.
        var tf32Key = Utf8.Alloc("use_tf32");
        var tf32Value = Utf8.Alloc(allowTf32 ? "1" : "0");
        try
        {
            Wrap(api, api.SessionOptionsAppendExecutionProvider_V2(options, env, &chosen, 1, &tf32Key, &tf32Value, 1), providerPath);
        }
        finally
        {
            Utf8.Free(tf32Key);
            Utf8.Free(tf32Value);
        }
        return $"CUDAExecutionProvider GPU {deviceId} via the plugin-EP route ({providerPath}), TF32 {(allowTf32 ? "on" : "off")}, on {runtime}";
    }

    private static void Wrap(NativeMethods api, nint status, string providerPath)
    {
        if (status == 0) return;
        var e = api.ToException(status);
        throw new OnnxDeviceException($"device=cuda: ONNX Runtime could not use the CUDA provider at '{providerPath}': {e.OrtMessage}", e);
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}

/// <summary>The requested device cannot be used. The message says what was tried.</summary>
public sealed class OnnxDeviceException(string message, Exception? inner = null) : Exception(message, inner);
