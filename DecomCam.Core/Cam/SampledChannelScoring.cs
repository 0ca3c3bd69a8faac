using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// The masking step of torch-cam's sampled Score-CAM variants (SS-CAM, IS-CAM): each activation channel, min-max
/// normalised at feature resolution (ε 1e-8) and upsampled to the input (bilinear, align_corners = false), is turned into
/// S perturbed inputs by the method's <c>blend</c>; every (sample, row, channel) item is scored in batches, so memory is
/// bounded by one batch whatever S and the channel count, and each score's gain over the unmodified input's is averaged
/// over the samples.
/// </summary>
public static class SampledChannelScoring
{
    /// <summary>
    /// The mean over <paramref name="samples"/> of score(blend) − score(input), [M,C]. Item i is sample i / (M·C), row
    /// (i mod M·C) / C, channel i mod C. <paramref name="blend"/> gets the masks [len,1,H,W], the rows' inputs
    /// [len,C,H,W], the items' sample indices and item indices (both [len], long), and returns the inputs to score.
    /// </summary>
    public static Tensor MeanGains(CamContext context, Tensor activations, int samples, int? batchSize,
        Func<Tensor, Tensor, Tensor, Tensor, Tensor> blend, string stage)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        long m = activations.shape[0], c = activations.shape[1];
        var normalised = CamKernels.NormalizePerChannel(activations).flatten(0, 1).unsqueeze(1); // [M*C,1,h,w]
        var items = OwnedScalarOps.Arange(samples * m * c, device: activations.device);
        using var pairCount = (m * c).ToScalar();
        using var channels = c.ToScalar();
        var pairs = items.remainder(pairCount); // once per call: batches only narrow
        var rows = pairs.div(channels, rounding_mode: RoundingMode.floor);
        var sampleOf = items.div(pairCount, rounding_mode: RoundingMode.floor);
        var input = context.Input;
        var scores = context.ScoreInBatches(items.shape[0], batchSize, (start, length) =>
        {
            var r = rows.narrow(0, start, length);
            var masks = CamKernels.Resize(normalised.index_select(0, pairs.narrow(0, start, length)), context.Height, context.Width);
            return (blend(masks, input.index_select(0, r), sampleOf.narrow(0, start, length), items.narrow(0, start, length)), r);
        }, ScoreKind.Logit, stage);
        return (scores.reshape(samples, m, c) - context.Scores.reshape(1, m, 1)).mean(new long[] { 0 });
    }
}
