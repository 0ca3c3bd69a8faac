using DecomCamNet.Cam;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>Options of <see cref="RefineCam"/>.</summary>
/// <param name="BaseMethod">The method run on each layer, by its <see cref="CamMethods"/> name (default Grad-CAM++,
/// as pytorch-grad-cam).</param>
/// <param name="BaseSettings">The base method's settings; null: its defaults.</param>
public sealed record RefineCamOptions(string BaseMethod = "gradcam++", CamMethodSettings? BaseSettings = null);

/// <summary>
/// RefineCAM (pytorch-grad-cam's meta-method): a base method explains each target layer on its own, and the final map
/// is the per-image min-max of the product of their final maps (each in [0,1] at input size),
/// L = minmax(Π_l L_l), instead of their mean. A region survives only where every layer agrees, which removes the
/// noise of early layers and keeps their resolution. One base-method call per layer. <c>RawMaps</c> are the base
/// method's raw map of each layer; its intermediates are kept under their layers' keys (the first layer's intermediate
/// images are the result's), and <c>layer_maps</c> [M,L,H,W] (under the first layer) holds the per-layer final maps that
/// were multiplied.
/// </summary>
public sealed class RefineCam : ICamMethod
{
    private readonly ICamMethod[] _bases;

    /// <summary>RefineCAM over <paramref name="layers"/> (one is allowed: the base method's map, normalised).</summary>
    /// <exception cref="ArgumentException">No layer, a layer not in the model, an unknown base method, or RefineCAM as its own base.</exception>
    public RefineCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, RefineCamOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException("Give at least one target layer.", nameof(layers));
        var o = options ?? new RefineCamOptions();
        if (string.Equals(o.BaseMethod, Name, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException("RefineCAM cannot be its own base method.", nameof(options));
        var bases = new List<ICamMethod>();
        try
        {
            foreach (var layer in layers) bases.Add(CamMethods.Create(o.BaseMethod, model, new[] { layer }, o.BaseSettings, logger));
        }
        catch
        {
            foreach (var b in bases) b.Dispose();
            throw;
        }
        _bases = bases.ToArray();
        LayerNames = _bases.Select(b => b.LayerNames[0]).ToArray();
    }

    /// <inheritdoc />
    public string Name => "refinecam";

    /// <inheritdoc />
    public IReadOnlyList<string> LayerNames { get; }

    /// <inheritdoc />
    public CamResult Explain(Tensor input, CamTarget? target = null, IProgress<CamProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var scope = NewDisposeScope();
        var results = new List<CamResult>();
        foreach (var b in _bases)
        {
            cancellationToken.ThrowIfCancellationRequested();
            results.Add(b.Explain(input, target, progress, cancellationToken));
        }
        var layerMaps = stack(results.Select(r => r.Maps), 1);
        var maps = CamKernels.NormalizePerImage(layerMaps.prod(1));
        var first = results[0];
        var layerNames = results.Select(r => r.LayerNames[0]).ToArray();
        var intermediates = new Dictionary<string, Tensor>();
        foreach (var (key, value) in results.SelectMany(r => r.Intermediates)) intermediates[key] = value;
        intermediates[$"{layerNames[0]}/layer_maps"] = layerMaps;
        var result = new CamResult(Name, maps, results.Select(r => r.RawMaps[0]).ToArray(), layerNames, first.Scores, first.Classes,
            first.ImageIndex.ToArray(), intermediates, first.IntermediateImages);
        foreach (var t in new[] { result.Maps, result.Scores }.Concat(result.RawMaps).Concat(result.Intermediates.Values))
            t.MoveToOuterDisposeScope();
        result.Classes?.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>Removes the base methods' hooks.</summary>
    public void Dispose()
    {
        foreach (var b in _bases) b.Dispose();
    }
}
