namespace Evals.Runner.Backends.Onnx.TinyModel;

/// <summary>
/// A weight W [in, out] in <c>com.microsoft.MatMulNBits</c>'s 4-bit layout, quantized as ONNX Runtime's MatMul4BitsQuantizer
/// (asymmetric) does: per output column and block of 32 inputs, scale = (max − min) / 15 over the block with 0 inside the
/// range, zero point = round(−min / scale), code = clamp(round(w / scale) + zero point, 0, 15). Codes are stored [out, blocks,
/// 16 bytes] and zero points [out, ⌈blocks / 2⌉ bytes], two to a byte, low nibble first.
/// </summary>
internal sealed record Int4Weight(byte[] Codes, float[] Scales, byte[] ZeroPoints, int InFeatures, int OutFeatures)
{
    public const int BlockSize = 32;

    public int Blocks => (InFeatures + BlockSize - 1) / BlockSize;

    public int ZeroPointBytes => (Blocks + 1) / 2;

    public static Int4Weight Quantize(float[] weight, int inFeatures, int outFeatures)
    {
        var blocks = (inFeatures + BlockSize - 1) / BlockSize;
        var blob = BlockSize / 2;
        var zeroPointBytes = (blocks + 1) / 2;
        var codes = new byte[outFeatures * blocks * blob];
        var scales = new float[outFeatures * blocks];
        var zeroPoints = new byte[outFeatures * zeroPointBytes];
        for (var n = 0; n < outFeatures; n++)
        {
            for (var b = 0; b < blocks; b++)
            {
                float min = 0, max = 0;
                for (var r = b * BlockSize; r < Math.Min(inFeatures, (b + 1) * BlockSize); r++)
                {
                    min = Math.Min(min, weight[r * outFeatures + n]);
                    max = Math.Max(max, weight[r * outFeatures + n]);
                }
                var scale = max > min ? (max - min) / 15 : 1f;
                var zeroPoint = (int)Math.Clamp(MathF.Round(-min / scale), 0, 15);
                scales[n * blocks + b] = scale;
                zeroPoints[n * zeroPointBytes + b / 2] |= (byte)(zeroPoint << (b % 2 * 4));
                for (var j = 0; j < BlockSize; j++)
                {
                    var r = b * BlockSize + j;
                    var code = r < inFeatures ? (int)Math.Clamp(MathF.Round(weight[r * outFeatures + n] / scale) + zeroPoint, 0, 15) : zeroPoint;
                    codes[(n * blocks + b) * blob + j / 2] |= (byte)(code << (j % 2 * 4));
                }
            }
        }
        return new Int4Weight(codes, scales, zeroPoints, inFeatures, outFeatures);
    }

    /// <summary>W [in, out] as MatMulNBits computes with it: (code − zero point) × scale.</summary>
    public float[] Dequantize()
    {
        var w = new float[InFeatures * OutFeatures];
        var blob = BlockSize / 2;
        for (var n = 0; n < OutFeatures; n++)
        {
            for (var r = 0; r < InFeatures; r++)
            {
                int b = r / BlockSize, j = r % BlockSize;
                var code = (Codes[(n * Blocks + b) * blob + j / 2] >> (j % 2 * 4)) & 0xF;
                var zeroPoint = (ZeroPoints[n * ZeroPointBytes + b / 2] >> (b % 2 * 4)) & 0xF;
                w[r * OutFeatures + n] = (code - zeroPoint) * Scales[n * Blocks + b];
            }
        }
        return w;
    }
}
