using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Evals.Runner.Backends.Onnx.Native;

/// <summary>
/// A loaded ONNX Runtime library with its one process-wide <c>OrtEnv</c>. Loaded once per path and kept for the life of
/// the process: ORT wants one env per process, and unloading a library that may still own threads is not safe.
/// </summary>
public sealed unsafe class OrtRuntime
{
    public const string LibraryPathVariable = "Onnx__LibraryPath";

    private static readonly ConcurrentDictionary<string, Lazy<OrtRuntime>> s_loaded = new(StringComparer.Ordinal);

    private OrtRuntime(string libraryPath, nint library, NativeMethods api, string version, string buildInfo)
    {
        LibraryPath = libraryPath;
        Library = library;
        Api = api;
        Version = version;
        BuildInfo = buildInfo;
        nint env;
        var logId = Utf8.Alloc("evals");
        try
        {
            api.Check(api.CreateEnv(3 /* ERROR: warnings about unused initializers are noise here */, logId, &env));
        }
        finally
        {
            Utf8.Free(logId);
        }
        Env = new OrtEnvHandle(api, env);
        nint cpu;
        api.Check(api.CreateCpuMemoryInfo(1 /* arena */, 0 /* default */, &cpu));
        CpuMemory = new OrtMemoryInfoHandle(api, cpu);
        nint allocator;
        api.Check(api.GetAllocatorWithDefaultOptions(&allocator));
        DefaultAllocator = allocator;
        AvailableProviders = ReadProviders(api);
    }

    public string LibraryPath { get; }

    public string Version { get; }

    public string BuildInfo { get; }

    /// <summary>What the library says it can run (a provider listed here may still lack its own shared library).</summary>
    public IReadOnlyList<string> AvailableProviders { get; }

    internal nint Library { get; }

    internal NativeMethods Api { get; }

    internal OrtEnvHandle Env { get; }

    internal OrtMemoryInfoHandle CpuMemory { get; }

    /// <summary>ORT's default CPU allocator: a singleton that must never be released.</summary>
    internal nint DefaultAllocator { get; }

    /// <summary>
    /// Where the library is looked for: an explicit path (a spec option), else <c>Onnx__LibraryPath</c>, else next to the
    /// Evals binaries, where the build copies the npm onnxruntime-node library.
    /// </summary>
    public static (string Path, string Source) ResolveLibraryPath(string? explicitPath = null)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath)) return (Path.GetFullPath(explicitPath), "the model spec's library option");
        var fromEnv = Environment.GetEnvironmentVariable(LibraryPathVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return (Path.GetFullPath(fromEnv), $"the environment variable {LibraryPathVariable}");
        return (Path.Combine(AppContext.BaseDirectory, DefaultFileName), "the default location next to the Evals binaries");
    }

    private static string DefaultFileName =>
        OperatingSystem.IsWindows() ? "onnxruntime.dll" : OperatingSystem.IsMacOS() ? "libonnxruntime.dylib" : "libonnxruntime.so.1";

    public static OrtRuntime Load(string? explicitPath = null)
    {
        var (path, source) = ResolveLibraryPath(explicitPath);
        var lazy = s_loaded.GetOrAdd(path, p => new Lazy<OrtRuntime>(() => LoadCore(p, source)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // A failed load must not stick: the user may fix the file and try again in the same process.
            s_loaded.TryRemove(new KeyValuePair<string, Lazy<OrtRuntime>>(path, lazy));
            throw;
        }
    }

    private static OrtRuntime LoadCore(string path, string source)
    {
        var fix = "Run `dotnet build` (it fetches onnxruntime-node 1.30.0 from npm into ~/.cache/evals/onnxruntime/1.30.0 and copies "
            + $"libonnxruntime.so.1 next to the binaries), or set {LibraryPathVariable} to a libonnxruntime that serves C API version {NativeMethods.ApiVersion} (ONNX Runtime 1.29 or later).";
        if (!File.Exists(path))
            throw new OnnxLibraryException(path, $"ONNX Runtime's native library was not found at '{path}' (from {source}). {fix}");
        nint library;
        try
        {
            library = NativeLibrary.Load(path);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            throw new OnnxLibraryException(path, $"ONNX Runtime's native library at '{path}' (from {source}) could not be loaded: {e.Message}. {fix}", e);
        }
        if (!NativeLibrary.TryGetExport(library, "OrtGetApiBase", out var getApiBase))
            throw new OnnxLibraryException(path, $"'{path}' (from {source}) does not export OrtGetApiBase, so it is not ONNX Runtime. {fix}");
        // OrtApiBase is { const OrtApi* (*GetApi)(uint32_t); const char* (*GetVersionString)(void); }.
        var apiBase = ((delegate* unmanaged[Cdecl]<nint*>)getApiBase)();
        var getApi = (delegate* unmanaged[Cdecl]<uint, nint*>)apiBase[0];
        var getVersion = (delegate* unmanaged[Cdecl]<byte*>)apiBase[1];
        var version = Utf8.ToString(getVersion()) ?? "?";
        var table = getApi(NativeMethods.ApiVersion);
        if (table == null)
            throw new OnnxLibraryException(path, $"ONNX Runtime {version} at '{path}' (from {source}) does not serve C API version {NativeMethods.ApiVersion}; Evals needs ONNX Runtime 1.29 or later. {fix}");
        var api = new NativeMethods(table);
        var buildInfo = Utf8.ToString(api.GetBuildInfoString()) ?? "";
        return new OrtRuntime(path, library, api, version, buildInfo);
    }

    private static List<string> ReadProviders(NativeMethods api)
    {
        byte** names;
        int count;
        api.Check(api.GetAvailableProviders(&names, &count));
        try
        {
            var list = new List<string>(count);
            for (var i = 0; i < count; i++) list.Add(Utf8.ToString(names[i]) ?? "");
            return list;
        }
        finally
        {
            api.Check(api.ReleaseAvailableProviders(names, count));
        }
    }

    public override string ToString() => $"ONNX Runtime {Version} from {LibraryPath}";
}

/// <summary>The native library is missing, unloadable or too old. The message names the path tried and the fix.</summary>
public sealed class OnnxLibraryException(string path, string message, Exception? inner = null) : Exception(message, inner)
{
    public string PathTried { get; } = path;
}
