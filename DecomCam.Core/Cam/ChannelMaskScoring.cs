using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// Score-CAM's masking step, shared by Score-CAM and UnionCAM: each activation channel, upsampled to the input
/// (bilinear, align_corners = true) and min-max normalised, masks the input; the masked inputs are scored in batches so
/// that memory is bounded by one batch, whatever the channel count. Constant channels (their normalised mask is zero
/// everywhere) are not forwarded one by one: they all get the score of the all-zero input, computed once per row.
/// </summary>
public static class ChannelMaskScoring
{
    /// <summary>The target logit of every row for every channel's masked input, [M,C].</summary>
    public static Tensor Scores(CamContext context, Tensor activations, int? batchSize)
    {
        long m = activations.shape[0], c = activations.shape[1];
        var dims = new long[] { 2, 3 };
        var varying = (activations.amax(dims) - activations.amin(dims)).gt(CachedScalars.Zero).flatten(); // [M*C]
        var items = varying.nonzero().flatten(); // flat (row, channel) indices that need a forward
        using var channels = c.ToScalar();
        var itemRows = items.div(channels, rounding_mode: RoundingMode.floor); // once per call: batches only narrow
        var itemChannels = items.remainder(channels);
        var input = context.Input;
        var scores = context.ScoreInBatches(items.shape[0], batchSize, (start, length) =>
        {
            var rows = itemRows.narrow(0, start, length);
            var maps = activations[rows, itemChannels.narrow(0, start, length)].unsqueeze(1); // [len,1,h,w]
            var up = nn.functional.interpolate(maps, new[] { context.Height, context.Width }, mode: InterpolationMode.Bilinear, align_corners: true);
            var mask = CamKernels.NormalizePerChannel(up);
            return (input.index_select(0, rows) * mask, rows);
        }, ScoreKind.Logit, "masked forwards");
        var all = zeros(m * c, dtype: scores.dtype, device: scores.device);
        if (items.shape[0] < m * c)
        {
            var zeroScores = context.ScoreInBatches(m, batchSize, (start, length) =>
                (zeros_like(input.narrow(0, start, length)), OwnedScalarOps.Arange(start, start + length, device: input.device)), ScoreKind.Logit, "constant channels");
            all = zeroScores.repeat_interleave(c);
        }
        return all.index_put_(scores, items).reshape(m, c);
    }
}
