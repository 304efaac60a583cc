namespace Evals.Runner.Backends.Onnx.Native;

/// <summary>An input or output of a session as the model declares it; -1 marks a dynamic dimension.</summary>
internal sealed record OrtNodeInfo(string Name, TensorElementType ElementType, long[] Dims, string[] SymbolicDims)
{
    public override string ToString() =>
        $"{Name} {ElementType}[{string.Join(',', Dims.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : SymbolicDims[i] is { Length: > 0 } s ? s : "?"))}]";
}

/// <summary>An <c>OrtSession</c> with its declared inputs and outputs.</summary>
internal sealed unsafe class OrtSession : IDisposable
{
    private readonly Dictionary<string, nint> _utf8Names = new(StringComparer.Ordinal);

    private OrtSession(OrtRuntime runtime, OrtSessionHandle handle, string providerReport)
    {
        Runtime = runtime;
        Handle = handle;
        ProviderReport = providerReport;
        var api = runtime.Api;
        nuint inputs, outputs;
        api.Check(api.SessionGetInputCount(Pointer, &inputs));
        api.Check(api.SessionGetOutputCount(Pointer, &outputs));
        Inputs = Enumerable.Range(0, (int)inputs).Select(i => Describe(i, input: true)).ToList();
        Outputs = Enumerable.Range(0, (int)outputs).Select(i => Describe(i, input: false)).ToList();
    }

    public OrtRuntime Runtime { get; }

    public OrtSessionHandle Handle { get; }

    public nint Pointer => Handle.DangerousGetHandle();

    public IReadOnlyList<OrtNodeInfo> Inputs { get; }

    public IReadOnlyList<OrtNodeInfo> Outputs { get; }

    /// <summary>Which execution provider the session was created with, and from which library (for the run's record).</summary>
    public string ProviderReport { get; }

    public static OrtSession Create(OrtRuntime runtime, string modelPath, SessionSettings settings)
    {
        var api = runtime.Api;
        nint options;
        api.Check(api.CreateSessionOptions(&options));
        using var optionsHandle = new OrtSessionOptionsHandle(api, options);
        api.Check(api.SetSessionGraphOptimizationLevel(options, settings.GraphOptimizationLevel));
        api.Check(api.SetIntraOpNumThreads(options, settings.IntraOpThreads));
        // Idle spinning burns the cores that the rest of the evaluation (tokenizing, scoring) needs between steps.
        AddConfigEntry(api, options, "session.intra_op.allow_spinning", "0");
        var report = ExecutionProviders.Append(runtime, options, settings);
        nint session;
        var path = Utf8.Alloc(modelPath);
        try
        {
            api.Check(api.CreateSession(runtime.Env.DangerousGetHandle(), path, options, &session));
        }
        finally
        {
            Utf8.Free(path);
        }
        return new OrtSession(runtime, new OrtSessionHandle(api, session), report);
    }

    internal static void AddConfigEntry(NativeMethods api, nint options, string key, string value)
    {
        var k = Utf8.Alloc(key);
        var v = Utf8.Alloc(value);
        try
        {
            api.Check(api.AddSessionConfigEntry(options, k, v));
        }
        finally
        {
            Utf8.Free(k);
            Utf8.Free(v);
        }
    }

    /// <summary>A cached NUL-terminated UTF-8 copy of a name, so per-step calls allocate nothing.</summary>
    public byte* NameUtf8(string name)
    {
        lock (_utf8Names)
        {
            if (!_utf8Names.TryGetValue(name, out var p))
            {
                p = (nint)Utf8.Alloc(name);
                _utf8Names[name] = p;
            }
            return (byte*)p;
        }
    }

    /// <summary>Plain <c>Run</c>: outputs come back in CPU memory, owned by the caller.</summary>
    public OrtTensor[] Run(IReadOnlyList<string> inputNames, IReadOnlyList<OrtTensor> inputs, IReadOnlyList<string> outputNames)
    {
        var api = Runtime.Api;
        var names = stackalloc nint[inputNames.Count];
        var values = stackalloc nint[inputs.Count];
        var outNames = stackalloc nint[outputNames.Count];
        var outValues = stackalloc nint[outputNames.Count];
        for (var i = 0; i < inputNames.Count; i++)
        {
            names[i] = (nint)NameUtf8(inputNames[i]);
            values[i] = inputs[i].Pointer;
        }
        for (var i = 0; i < outputNames.Count; i++)
        {
            outNames[i] = (nint)NameUtf8(outputNames[i]);
            outValues[i] = 0;
        }
        api.Check(api.Run(Pointer, 0, names, values, (nuint)inputs.Count, outNames, (nuint)outputNames.Count, outValues));
        var result = new OrtTensor[outputNames.Count];
        for (var i = 0; i < result.Length; i++) result[i] = OrtTensor.Adopt(Runtime, outValues[i]);
        GC.KeepAlive(inputs);
        GC.KeepAlive(this);
        return result;
    }

    private OrtNodeInfo Describe(int index, bool input)
    {
        var api = Runtime.Api;
        byte* rawName;
        nint typeInfo;
        if (input)
        {
            api.Check(api.SessionGetInputName(Pointer, (nuint)index, Runtime.DefaultAllocator, &rawName));
            api.Check(api.SessionGetInputTypeInfo(Pointer, (nuint)index, &typeInfo));
        }
        else
        {
            api.Check(api.SessionGetOutputName(Pointer, (nuint)index, Runtime.DefaultAllocator, &rawName));
            api.Check(api.SessionGetOutputTypeInfo(Pointer, (nuint)index, &typeInfo));
        }
        string name;
        try
        {
            name = Utf8.ToString(rawName) ?? "";
        }
        finally
        {
            api.Check(api.AllocatorFree(Runtime.DefaultAllocator, rawName));
        }
        using var owned = new OrtTypeInfoHandle(api, typeInfo);
        int onnxType;
        api.Check(api.GetOnnxTypeFromTypeInfo(typeInfo, &onnxType));
        if (onnxType != 1 /* tensor */) return new OrtNodeInfo(name, 0, [], []);
        nint tensorInfo;
        // The tensor info belongs to the type info: it is not released on its own.
        api.Check(api.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo));
        var (type, dims, symbolic) = ReadTensorInfo(api, tensorInfo);
        return new OrtNodeInfo(name, (TensorElementType)type, dims, symbolic);
    }

    internal static (int Type, long[] Dims, string[] Symbolic) ReadTensorInfo(NativeMethods api, nint info)
    {
        int type;
        nuint rank;
        api.Check(api.GetTensorElementType(info, &type));
        api.Check(api.GetDimensionsCount(info, &rank));
        var dims = new long[(int)rank];
        var symbolic = new string[(int)rank];
        if (rank > 0)
        {
            var names = stackalloc byte*[(int)rank];
            fixed (long* d = dims)
            {
                api.Check(api.GetDimensions(info, d, rank));
            }
            api.Check(api.GetSymbolicDimensions(info, names, rank));
            for (var i = 0; i < (int)rank; i++) symbolic[i] = Utf8.ToString(names[i]) ?? "";
        }
        return (type, dims, symbolic);
    }

    public void Dispose()
    {
        Handle.Dispose();
        lock (_utf8Names)
        {
            foreach (var p in _utf8Names.Values) Utf8.Free((byte*)p);
            _utf8Names.Clear();
        }
    }
}
