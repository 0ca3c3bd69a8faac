using DecomCamNet.Cam;
using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>Options of <see cref="SmoothGradCamPlusPlus"/>; defaults are torch-cam's.</summary>
/// <param name="Samples">n, noisy copies of the input (default 4).</param>
/// <param name="NoiseStd">σ of the Gaussian noise added to the (normalised) input (default 0.3).</param>
/// <param name="Seed">Seeds the noise: copy i is drawn as one [M,C,H,W] tensor from a CPU generator seeded with Seed + i.</param>
public sealed record SmoothGradCamPlusPlusOptions(int Samples = 4, double NoiseStd = 0.3, long Seed = 0);

/// <summary>
/// Smooth Grad-CAM++ (Omeiza et al., 2019): Grad-CAM++ with the gradient's powers averaged over n noisy copies of the
/// input, x + δ_i, δ_i ~ N(0, σ²): D_p = (1/n) Σ_i G_i^p, α = D₂ / (2D₂ + Σ_{h,w}A · D₃ + 1e-8) (0 where D₂ = 0),
/// w_k = Σ_{h,w} α ReLU(D₁), L = Σ_k w_k A_k with the clean input's A. One forward and backward per copy, one copy
/// at a time (progress stage "noisy gradients", cancellable between copies). torch-cam differs in three places, which
/// we read as slips rather than the method: it multiplies α by the last copy's gradient instead of the mean, sums
/// D₃ ⊙ A instead of ΣA · D₃, and weights the last copy's activations.
/// </summary>
public sealed class SmoothGradCamPlusPlus : CamMethod
{
    private static readonly Scalar Epsilon = 1e-8.ToScalar();

    /// <summary>The powers 1, 2, 3 of the gradient that are averaged (int exponents, as before).</summary>
    private static readonly Scalar[] Exponents = [1.ToScalar(), 2.ToScalar(), 3.ToScalar()];

    private readonly SmoothGradCamPlusPlusOptions _options;

    /// <summary>Smooth Grad-CAM++ on one target layer.</summary>
    public SmoothGradCamPlusPlus(nn.Module<Tensor, Tensor> model, CamLayer layer, SmoothGradCamPlusPlusOptions? options = null, ILogger? logger = null)
        : this(model, new[] { layer }, options, logger) { }

    /// <summary>Smooth Grad-CAM++ averaged over several target layers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Samples below 1, or a negative or non-finite NoiseStd.</exception>
    public SmoothGradCamPlusPlus(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, SmoothGradCamPlusPlusOptions? options = null, ILogger? logger = null)
        : base(model, Checked(layers, options), logger)
    {
        _options = options ?? new SmoothGradCamPlusPlusOptions();
    }

    /// <inheritdoc />
    public override string Name => "smoothgradcam++";

    /// <inheritdoc />
    protected override bool GradientsInOwnPasses => true;

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        var a = context.Activations[layer];
        var powers = new[] { zeros_like(a), zeros_like(a), zeros_like(a) };
        for (int i = 0; i < _options.Samples; i++)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            using (var scope = NewDisposeScope())
            {
                var g = NoisyGradient(context, layer, i);
                for (int p = 0; p < 3; p++) powers[p].add_(g.pow(Exponents[p]), CachedScalars.One);
            }
            context.Progress?.Report(new CamProgress("noisy gradients", i + 1, _options.Samples));
        }
        using var samples = _options.Samples.ToScalar();
        var (d1, d2, d3) = (powers[0].div(samples), powers[1].div(samples), powers[2].div(samples));
        var alpha = d2 / d2.mul(CachedScalars.Two).add(a.sum(new long[] { 2, 3 }, keepdim: true) * d3, CachedScalars.One).add(Epsilon, CachedScalars.One);
        alpha = where(d2.ne(CachedScalars.Zero), alpha, zeros_like(alpha));
        var weights = (alpha * nn.functional.relu(d1)).sum(new long[] { 2, 3 });
        return LayerMap.Weighted(weights, a);
    }

    private Tensor NoisyGradient(CamContext context, int layer, int sample)
    {
        var input = context.Input;
        Tensor noise;
        using (var generator = new Generator((ulong)(_options.Seed + sample)))
            noise = randn(input.shape, generator: generator).to(input.dtype, input.device);
        using var std = _options.NoiseStd.ToScalar();
        var pass = ForwardRecorded(context, input.add(noise.mul(std), CachedScalars.One));
        return AsFeatureMap(layer, LayerGradient(pass, layer), context.Rows);
    }

    private static IReadOnlyList<CamLayer> Checked(IReadOnlyList<CamLayer> layers, SmoothGradCamPlusPlusOptions? options)
    {
        if (options is null) return layers;
        if (options.Samples < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Samples, "Samples must be at least 1.");
        if (options.NoiseStd < 0 || !double.IsFinite(options.NoiseStd)) throw new ArgumentOutOfRangeException(nameof(options), options.NoiseStd, "NoiseStd must be finite and not negative.");
        return layers;
    }
}
