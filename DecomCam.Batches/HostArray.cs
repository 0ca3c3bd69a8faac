using static TorchSharp.torch;

namespace DecomCamNet.Batches;

/// <summary>
/// A tensor's values copied out of native memory as float32, so they can cross threads without a tensor's lifetime and be
/// written (<see cref="Imaging.NpyFile"/>, <see cref="Imaging.CamImageWriter"/>) without making a tensor again.
/// </summary>
/// <param name="Values">The values in C order.</param>
/// <param name="Shape">The tensor's shape.</param>
internal sealed record HostArray(float[] Values, long[] Shape)
{
    /// <summary>Copies <paramref name="tensor"/> (any real dtype, any device) as float32.</summary>
    public static HostArray Of(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var dense = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return new HostArray(dense.data<float>().ToArray(), tensor.shape);
    }
}
