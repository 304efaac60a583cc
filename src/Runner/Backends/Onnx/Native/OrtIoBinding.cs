namespace Evals.Runner.Backends.Onnx.Native;

/// <summary>
/// An <c>OrtIoBinding</c>: inputs bound as values, outputs bound to a memory location, so that on CUDA the KV cache can stay
/// on the device between steps and only the logits come back to the host. Not for concurrent runs.
/// </summary>
internal sealed unsafe class OrtIoBinding : IDisposable
{
    private readonly OrtSession _session;
    private readonly OrtIoBindingHandle _handle;

    public OrtIoBinding(OrtSession session)
    {
        _session = session;
        var api = session.Runtime.Api;
        nint binding;
        api.Check(api.CreateIoBinding(session.Pointer, &binding));
        _handle = new OrtIoBindingHandle(api, binding);
    }

    private nint Pointer => _handle.DangerousGetHandle();

    public void BindInput(string name, OrtTensor value)
    {
        var api = _session.Runtime.Api;
        api.Check(api.BindInput(Pointer, _session.NameUtf8(name), value.Pointer));
    }

    public void BindOutput(string name, OrtTensor value)
    {
        var api = _session.Runtime.Api;
        api.Check(api.BindOutput(Pointer, _session.NameUtf8(name), value.Pointer));
    }

    public void BindOutputToDevice(string name, OrtMemoryInfoHandle memory)
    {
        var api = _session.Runtime.Api;
        api.Check(api.BindOutputToDevice(Pointer, _session.NameUtf8(name), memory.DangerousGetHandle()));
    }

    /// <summary>Runs the session and returns the bound outputs in binding order; the caller owns them.</summary>
    public OrtTensor[] Run(OrtRunOptionsHandle? runOptions = null)
    {
        var runtime = _session.Runtime;
        var api = runtime.Api;
        api.Check(api.RunWithBinding(_session.Pointer, runOptions?.DangerousGetHandle() ?? 0, Pointer));
        nint* values;
        nuint count;
        api.Check(api.GetBoundOutputValues(Pointer, runtime.DefaultAllocator, &values, &count));
        try
        {
            var result = new OrtTensor[(int)count];
            for (var i = 0; i < result.Length; i++) result[i] = OrtTensor.Adopt(runtime, values[i]);
            return result;
        }
        finally
        {
            // The array is the allocator's; the values in it are now ours.
            if (values != null) api.Check(api.AllocatorFree(runtime.DefaultAllocator, values));
        }
    }

    public void Clear()
    {
        var api = _session.Runtime.Api;
        api.ClearBoundInputs(Pointer);
        api.ClearBoundOutputs(Pointer);
    }

    public void Dispose() => _handle.Dispose();
}
