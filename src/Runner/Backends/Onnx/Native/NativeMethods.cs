using System.Runtime.InteropServices;

namespace Evals.Runner.Backends.Onnx.Native;

/// <summary>
/// The subset of ONNX Runtime's <c>OrtApi</c> function table that Evals calls, read once from <c>OrtGetApiBase()->GetApi(29)</c>.
/// The table is append-only, so the member indices (counted from onnxruntime_c_api.h, see reference/onnxruntime/NOTES.md §3)
/// are the same on every library that serves version 29 (ORT 1.29 and 1.30). Handles are <c>nint</c>; strings are UTF-8.
/// </summary>
internal sealed unsafe class NativeMethods
{
    /// <summary>The lowest API version that has every member used here (the plugin-EP calls arrived in 22, the rest earlier).</summary>
    public const uint ApiVersion = 29;

    public readonly delegate* unmanaged[Cdecl]<nint, int> GetErrorCode;
    public readonly delegate* unmanaged[Cdecl]<nint, byte*> GetErrorMessage;
    public readonly delegate* unmanaged[Cdecl]<int, byte*, nint*, nint> CreateEnv;
    public readonly delegate* unmanaged[Cdecl]<nint, byte*, nint, nint*, nint> CreateSession;
    public readonly delegate* unmanaged[Cdecl]<nint, void*, nuint, nint, nint*, nint> CreateSessionFromArray;
    public readonly delegate* unmanaged[Cdecl]<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint> Run;
    public readonly delegate* unmanaged[Cdecl]<nint*, nint> CreateSessionOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetSessionLogSeverityLevel;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetSessionGraphOptimizationLevel;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetIntraOpNumThreads;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetInterOpNumThreads;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> SessionGetInputCount;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> SessionGetOutputCount;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint> SessionGetInputTypeInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint> SessionGetOutputTypeInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint> SessionGetInputName;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint> SessionGetOutputName;
    public readonly delegate* unmanaged[Cdecl]<nint*, nint> CreateRunOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, nint> RunOptionsSetTerminate;
    public readonly delegate* unmanaged[Cdecl]<nint, long*, nuint, int, nint*, nint> CreateTensorAsOrtValue;
    public readonly delegate* unmanaged[Cdecl]<nint, void*, nuint, long*, nuint, int, nint*, nint> CreateTensorWithDataAsOrtValue;
    public readonly delegate* unmanaged[Cdecl]<nint, void**, nint> GetTensorMutableData;
    public readonly delegate* unmanaged[Cdecl]<nint, nint*, nint> CastTypeInfoToTensorInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, int*, nint> GetOnnxTypeFromTypeInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, int*, nint> GetTensorElementType;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> GetDimensionsCount;
    public readonly delegate* unmanaged[Cdecl]<nint, long*, nuint, nint> GetDimensions;
    public readonly delegate* unmanaged[Cdecl]<nint, byte**, nuint, nint> GetSymbolicDimensions;
    public readonly delegate* unmanaged[Cdecl]<nint, nint*, nint> GetTensorTypeAndShape;
    public readonly delegate* unmanaged[Cdecl]<byte*, int, int, int, nint*, nint> CreateMemoryInfo;
    public readonly delegate* unmanaged[Cdecl]<int, int, nint*, nint> CreateCpuMemoryInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, void*, nint> AllocatorFree;
    public readonly delegate* unmanaged[Cdecl]<nint*, nint> GetAllocatorWithDefaultOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseEnv;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseStatus;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseMemoryInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseSession;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseValue;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseRunOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseTypeInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseTensorTypeAndShapeInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseSessionOptions;
    public readonly delegate* unmanaged[Cdecl]<byte***, int*, nint> GetAvailableProviders;
    public readonly delegate* unmanaged[Cdecl]<byte**, int, nint> ReleaseAvailableProviders;
    public readonly delegate* unmanaged[Cdecl]<nint, byte*, byte*, nint> AddSessionConfigEntry;
    public readonly delegate* unmanaged[Cdecl]<nint, nint, nint*, nint> CreateAllocator;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseAllocator;
    public readonly delegate* unmanaged[Cdecl]<nint, nint, nint, nint> RunWithBinding;
    public readonly delegate* unmanaged[Cdecl]<nint, nint*, nint> CreateIoBinding;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseIoBinding;
    public readonly delegate* unmanaged[Cdecl]<nint, byte*, nint, nint> BindInput;
    public readonly delegate* unmanaged[Cdecl]<nint, byte*, nint, nint> BindOutput;
    public readonly delegate* unmanaged[Cdecl]<nint, byte*, nint, nint> BindOutputToDevice;
    public readonly delegate* unmanaged[Cdecl]<nint, nint, nint**, nuint*, nint> GetBoundOutputValues;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ClearBoundInputs;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ClearBoundOutputs;
    public readonly delegate* unmanaged[Cdecl]<nint, nint, nint> SessionOptionsAppendExecutionProvider_CUDA_V2;
    public readonly delegate* unmanaged[Cdecl]<nint*, nint> CreateCUDAProviderOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, byte**, byte**, nuint, nint> UpdateCUDAProviderOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseCUDAProviderOptions;
    public readonly delegate* unmanaged[Cdecl]<byte*> GetBuildInfoString;
    public readonly delegate* unmanaged[Cdecl]<nint, byte*, byte*, nint> RegisterExecutionProviderLibrary;
    public readonly delegate* unmanaged[Cdecl]<nint, nint**, nuint*, nint> GetEpDevices;
    public readonly delegate* unmanaged[Cdecl]<nint, nint, nint*, nuint, byte**, byte**, nuint, nint> SessionOptionsAppendExecutionProvider_V2;
    public readonly delegate* unmanaged[Cdecl]<nint, int> HardwareDevice_Type;
    public readonly delegate* unmanaged[Cdecl]<nint, byte*> EpDevice_EpName;
    public readonly delegate* unmanaged[Cdecl]<nint, nint> EpDevice_Device;

    public NativeMethods(nint* t)
    {
        GetErrorCode = (delegate* unmanaged[Cdecl]<nint, int>)t[1];
        GetErrorMessage = (delegate* unmanaged[Cdecl]<nint, byte*>)t[2];
        CreateEnv = (delegate* unmanaged[Cdecl]<int, byte*, nint*, nint>)t[3];
        CreateSession = (delegate* unmanaged[Cdecl]<nint, byte*, nint, nint*, nint>)t[7];
        CreateSessionFromArray = (delegate* unmanaged[Cdecl]<nint, void*, nuint, nint, nint*, nint>)t[8];
        Run = (delegate* unmanaged[Cdecl]<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint>)t[9];
        CreateSessionOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)t[10];
        SetSessionLogSeverityLevel = (delegate* unmanaged[Cdecl]<nint, int, nint>)t[22];
        SetSessionGraphOptimizationLevel = (delegate* unmanaged[Cdecl]<nint, int, nint>)t[23];
        SetIntraOpNumThreads = (delegate* unmanaged[Cdecl]<nint, int, nint>)t[24];
        SetInterOpNumThreads = (delegate* unmanaged[Cdecl]<nint, int, nint>)t[25];
        SessionGetInputCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)t[30];
        SessionGetOutputCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)t[31];
        SessionGetInputTypeInfo = (delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint>)t[33];
        SessionGetOutputTypeInfo = (delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint>)t[34];
        SessionGetInputName = (delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint>)t[36];
        SessionGetOutputName = (delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint>)t[37];
        CreateRunOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)t[39];
        RunOptionsSetTerminate = (delegate* unmanaged[Cdecl]<nint, nint>)t[46];
        CreateTensorAsOrtValue = (delegate* unmanaged[Cdecl]<nint, long*, nuint, int, nint*, nint>)t[48];
        CreateTensorWithDataAsOrtValue = (delegate* unmanaged[Cdecl]<nint, void*, nuint, long*, nuint, int, nint*, nint>)t[49];
        GetTensorMutableData = (delegate* unmanaged[Cdecl]<nint, void**, nint>)t[51];
        CastTypeInfoToTensorInfo = (delegate* unmanaged[Cdecl]<nint, nint*, nint>)t[55];
        GetOnnxTypeFromTypeInfo = (delegate* unmanaged[Cdecl]<nint, int*, nint>)t[56];
        GetTensorElementType = (delegate* unmanaged[Cdecl]<nint, int*, nint>)t[60];
        GetDimensionsCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)t[61];
        GetDimensions = (delegate* unmanaged[Cdecl]<nint, long*, nuint, nint>)t[62];
        GetSymbolicDimensions = (delegate* unmanaged[Cdecl]<nint, byte**, nuint, nint>)t[63];
        GetTensorTypeAndShape = (delegate* unmanaged[Cdecl]<nint, nint*, nint>)t[65];
        CreateMemoryInfo = (delegate* unmanaged[Cdecl]<byte*, int, int, int, nint*, nint>)t[68];
        CreateCpuMemoryInfo = (delegate* unmanaged[Cdecl]<int, int, nint*, nint>)t[69];
        AllocatorFree = (delegate* unmanaged[Cdecl]<nint, void*, nint>)t[76];
        GetAllocatorWithDefaultOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)t[78];
        ReleaseEnv = (delegate* unmanaged[Cdecl]<nint, void>)t[92];
        ReleaseStatus = (delegate* unmanaged[Cdecl]<nint, void>)t[93];
        ReleaseMemoryInfo = (delegate* unmanaged[Cdecl]<nint, void>)t[94];
        ReleaseSession = (delegate* unmanaged[Cdecl]<nint, void>)t[95];
        ReleaseValue = (delegate* unmanaged[Cdecl]<nint, void>)t[96];
        ReleaseRunOptions = (delegate* unmanaged[Cdecl]<nint, void>)t[97];
        ReleaseTypeInfo = (delegate* unmanaged[Cdecl]<nint, void>)t[98];
        ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged[Cdecl]<nint, void>)t[99];
        ReleaseSessionOptions = (delegate* unmanaged[Cdecl]<nint, void>)t[100];
        GetAvailableProviders = (delegate* unmanaged[Cdecl]<byte***, int*, nint>)t[125];
        ReleaseAvailableProviders = (delegate* unmanaged[Cdecl]<byte**, int, nint>)t[126];
        AddSessionConfigEntry = (delegate* unmanaged[Cdecl]<nint, byte*, byte*, nint>)t[130];
        CreateAllocator = (delegate* unmanaged[Cdecl]<nint, nint, nint*, nint>)t[131];
        ReleaseAllocator = (delegate* unmanaged[Cdecl]<nint, void>)t[132];
        RunWithBinding = (delegate* unmanaged[Cdecl]<nint, nint, nint, nint>)t[133];
        CreateIoBinding = (delegate* unmanaged[Cdecl]<nint, nint*, nint>)t[134];
        ReleaseIoBinding = (delegate* unmanaged[Cdecl]<nint, void>)t[135];
        BindInput = (delegate* unmanaged[Cdecl]<nint, byte*, nint, nint>)t[136];
        BindOutput = (delegate* unmanaged[Cdecl]<nint, byte*, nint, nint>)t[137];
        BindOutputToDevice = (delegate* unmanaged[Cdecl]<nint, byte*, nint, nint>)t[138];
        GetBoundOutputValues = (delegate* unmanaged[Cdecl]<nint, nint, nint**, nuint*, nint>)t[140];
        ClearBoundInputs = (delegate* unmanaged[Cdecl]<nint, void>)t[141];
        ClearBoundOutputs = (delegate* unmanaged[Cdecl]<nint, void>)t[142];
        SessionOptionsAppendExecutionProvider_CUDA_V2 = (delegate* unmanaged[Cdecl]<nint, nint, nint>)t[204];
        CreateCUDAProviderOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)t[205];
        UpdateCUDAProviderOptions = (delegate* unmanaged[Cdecl]<nint, byte**, byte**, nuint, nint>)t[206];
        ReleaseCUDAProviderOptions = (delegate* unmanaged[Cdecl]<nint, void>)t[208];
        GetBuildInfoString = (delegate* unmanaged[Cdecl]<byte*>)t[254];
        RegisterExecutionProviderLibrary = (delegate* unmanaged[Cdecl]<nint, byte*, byte*, nint>)t[301];
        GetEpDevices = (delegate* unmanaged[Cdecl]<nint, nint**, nuint*, nint>)t[303];
        SessionOptionsAppendExecutionProvider_V2 = (delegate* unmanaged[Cdecl]<nint, nint, nint*, nuint, byte**, byte**, nuint, nint>)t[304];
        HardwareDevice_Type = (delegate* unmanaged[Cdecl]<nint, int>)t[307];
        EpDevice_EpName = (delegate* unmanaged[Cdecl]<nint, byte*>)t[312];
        EpDevice_Device = (delegate* unmanaged[Cdecl]<nint, nint>)t[316];
    }

    /// <summary>Turns a non-null <c>OrtStatus*</c> into an <see cref="OnnxRuntimeException"/>, releasing the status.</summary>
    public void Check(nint status)
    {
        if (status == 0) return;
        throw ToException(status);
    }

    public OnnxRuntimeException ToException(nint status)
    {
        // The message belongs to the status: copy it before releasing.
        var code = (OrtErrorCode)GetErrorCode(status);
        var message = Utf8.ToString(GetErrorMessage(status)) ?? "(no message)";
        ReleaseStatus(status);
        return new OnnxRuntimeException(code, message);
    }
}

/// <summary>ORT's <c>OrtErrorCode</c> (onnxruntime_error_code.h).</summary>
public enum OrtErrorCode
{
    Ok = 0, Fail = 1, InvalidArgument = 2, NoSuchFile = 3, NoModel = 4, EngineError = 5, RuntimeException = 6,
    InvalidProtobuf = 7, ModelLoaded = 8, NotImplemented = 9, InvalidGraph = 10, EpFail = 11, ModelLoadCanceled = 12,
    ModelRequiresCompilation = 13, NotFound = 14,
}

/// <summary>An error reported by ONNX Runtime, carrying its code and message.</summary>
public sealed class OnnxRuntimeException(OrtErrorCode code, string message) : Exception($"ONNX Runtime error {code}: {message}")
{
    public OrtErrorCode Code { get; } = code;
    public string OrtMessage { get; } = message;
}

internal enum TensorElementType
{
    Float = 1, UInt8 = 2, Int8 = 3, Int32 = 6, Int64 = 7, Bool = 9, Float16 = 10, BFloat16 = 16,
}

internal static unsafe class Utf8
{
    public static string? ToString(byte* p) => p == null ? null : Marshal.PtrToStringUTF8((nint)p);

    /// <summary>A NUL-terminated UTF-8 copy on the stack-free native heap; free with <see cref="Free"/>.</summary>
    public static byte* Alloc(string s) => (byte*)Marshal.StringToCoTaskMemUTF8(s);

    public static void Free(byte* p) => Marshal.FreeCoTaskMem((nint)p);
}
