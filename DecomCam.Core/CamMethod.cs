using DecomCamNet.Cam;
using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// The pipeline every CAM method shares (template method): validate the input, expand the targets, run the model with
/// hooks on the target layers, take the target scores and, if needed, their gradients with respect to the activations,
/// let the method compute one map per layer (weighted channels, which the template sums or eigen-smooths, or a raw map:
/// <see cref="MapKind"/>), then post-process (ReLU, per-image min-max, bilinear resize to the input,
/// mean over layers). A method overrides only <see cref="ComputeLayerMap"/> (and <see cref="RequiresGradients"/> when it
/// needs none); one that needs more forward and backward passes runs them through <see cref="ForwardRecorded"/> and
/// <see cref="LayerGradient"/> (<see cref="GradientsInOwnPasses"/>). The model's training flags and <c>requires_grad</c>
/// states are restored after every call, also on errors.
/// </summary>
public abstract partial class CamMethod : ICamMethod
{
    private readonly ActivationRecorder _recorder;
    private readonly IDisposable? _route;
    private bool _toldOneDnnOff;
    private MaskedInputLayout _maskedLayout = MaskedInputLayout.Auto;
    private bool _tuneMaskedForwards = true;
    private bool _augSmooth;
    private bool _eigenSmooth;
    private static readonly IReadOnlyDictionary<string, Tensor> Empty = new Dictionary<string, Tensor>();

    /// <summary>Binds the method to <paramref name="model"/> and its target <paramref name="layers"/>, registering hooks.</summary>
    /// <exception cref="ArgumentException">A layer is not in the model (the message lists valid names) or none is given.</exception>
    protected CamMethod(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, ILogger? logger)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Logger = logger ?? NullLogger.Instance;
        _route = OneDnnConvolutionRoute.Install(model); // before the recorder: a recorded convolution's output is the routed one
        _recorder = new ActivationRecorder(model, layers);
    }

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>The explained model.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> LayerNames => _recorder.LayerNames;

    /// <summary>
    /// The memory layout of the gradient-free masked forwards (Score-CAM, UnionCAM, DecomCAM); default
    /// <see cref="MaskedInputLayout.Auto"/>. Maps do not depend on it beyond float32 rounding. Set at construction
    /// (<c>new ScoreCam(model, layer) { MaskedLayout = ... }</c>, or <c>CamMethodSettings.MaskedLayout</c>).
    /// </summary>
    public MaskedInputLayout MaskedLayout { get => _maskedLayout; init => _maskedLayout = value; }

    /// <summary>
    /// Whether the masked forwards tune their batch size and layout on the first call for this model, input shape, device
    /// and dtype (<see cref="MaskedForwardTuner"/>), varying only what was left to default (a method's explicit batch size
    /// and a <see cref="MaskedLayout"/> other than <see cref="MaskedInputLayout.Auto"/> stay as set); default true. False
    /// pins the heuristic defaults (<see cref="MaskedForwards"/>). Maps agree either way to float32 rounding, also across
    /// the first call (which may use several batch sizes) and later ones. Set at construction.
    /// </summary>
    public bool TuneMaskedForwards { get => _tuneMaskedForwards; init => _tuneMaskedForwards = value; }

    /// <summary>
    /// Augmentation smoothing (pytorch-grad-cam's <c>aug_smooth</c>): explain the input under six test-time augmentations
    /// (no flip and a horizontal flip, each with the input multiplied by 0.9, 1 and 1.1), flip each map back and average
    /// them (see <see cref="AugmentationSmoothing"/>). Six times the cost. Default false. Set at construction.
    /// </summary>
    public bool AugSmooth { get => _augSmooth; init => _augSmooth = value; }

    /// <summary>
    /// Eigen smoothing (pytorch-grad-cam's <c>eigen_smooth</c>): the first principal component of the weighted activations
    /// w_k ⊙ A_k instead of their sum, taken by the template from the weighted channels a method returns
    /// (<see cref="MapKind"/>). Default false. Methods whose map is already a principal component (Eigen-CAM,
    /// Eigen-Grad-CAM, KPCA-CAM) are unchanged by it, as in pytorch-grad-cam. Set at construction.
    /// </summary>
    /// <exception cref="NotSupportedException">Set to true on a method whose map is not a weighted channel sum
    /// (<see cref="LayerMapKind.Other"/>); the method removes its hooks before it throws, since the caller never gets it.</exception>
    public bool EigenSmooth
    {
        get => _eigenSmooth;
        init
        {
            if (value && !SupportsEigenSmooth)
            {
                Dispose();
                throw EigenSmoothNotSupported();
            }
            _eigenSmooth = value;
        }
    }

    /// <summary>
    /// Applies the settings that <see cref="MaskedLayout"/>, <see cref="TuneMaskedForwards"/>, <see cref="AugSmooth"/> and <see cref="EigenSmooth"/> take at
    /// construction, for a factory that creates methods by name (<c>CamMethods.Create</c>) before handing them out.
    /// </summary>
    /// <exception cref="NotSupportedException"><paramref name="eigenSmooth"/> on a method it does not apply to; nothing is changed.</exception>
    internal void Configure(MaskedInputLayout maskedLayout, bool tuneMaskedForwards, bool augSmooth, bool eigenSmooth)
    {
        if (eigenSmooth && !SupportsEigenSmooth) throw EigenSmoothNotSupported();
        _maskedLayout = maskedLayout;
        _tuneMaskedForwards = tuneMaskedForwards;
        _augSmooth = augSmooth;
        _eigenSmooth = eigenSmooth;
    }

    /// <summary>Where the method logs (never the console).</summary>
    protected ILogger Logger { get; }

    /// <summary>Whether the method needs the gradients of the target scores with respect to the activations.</summary>
    protected virtual bool RequiresGradients => true;

    /// <summary>
    /// Whether the method takes its gradients in forward and backward passes of its own (<see cref="ForwardRecorded"/>,
    /// <see cref="LayerGradient"/>): several noisy copies of the input, or a gradient built to be differentiated again.
    /// The pipeline's first pass then records the activations without a backward pass, and
    /// <see cref="CamContext.Gradients"/> is null. Default false.
    /// </summary>
    protected virtual bool GradientsInOwnPasses => false;

    /// <summary>Whether the method also needs the gradient of the target scores with respect to the input (implies gradients).</summary>
    protected virtual bool RequiresInputGradient => false;

    /// <summary>
    /// Whether the method forwards masked inputs in batches of the default size: on a CPU the call's forward then measures
    /// the model's largest activation, from which <see cref="CamContext.DefaultBatchSize"/> sizes the batches.
    /// </summary>
    protected virtual bool UsesMaskedForwards => false;

    /// <summary>
    /// The intermediates (named as in <see cref="LayerMap.Intermediates"/>) worth writing as pictures, which every result
    /// carries as <see cref="CamResult.IntermediateImages"/>. Default: none.
    /// </summary>
    protected virtual IReadOnlyList<IntermediateImage> IntermediateImages => [];

    /// <summary>
    /// Computes layer <paramref name="layer"/>'s map for every row of the context: its weighted channels
    /// (<see cref="LayerMap.Weighted"/>, <see cref="LayerMap.OfChannels"/>) or, where <see cref="MapKind"/> says so, its raw map.
    /// </summary>
    protected abstract LayerMap ComputeLayerMap(CamContext context, int layer);

    /// <summary>
    /// The differentiable quantity of each row [M] whose gradients the method takes. Default: the target scores
    /// <paramref name="scores"/>. <paramref name="output"/> is the model output; <paramref name="modelClasses"/> the rows'
    /// classes [M] when they are classes of that output (null for custom and head targets). Finer-CAM contrasts the
    /// target with similar classes here.
    /// </summary>
    protected virtual Tensor Objective(Tensor output, Tensor scores, Tensor? modelClasses) => scores;

    /// <inheritdoc />
    public CamResult Explain(Tensor input, CamTarget? target = null, IProgress<CamProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        target ??= CamTarget.TopClass;
        // The constructor installed the per-operation route; only weights no route reaches turn oneDNN off (checked per
        // call: the model may have moved to another device since).
        bool off = LibTorchBackends.NeedsOneDnnOff(Model);
        using var oneDnnOff = off ? LibTorchBackends.WithoutOneDnn() : null;
        if ((_route is not null || off) && !_toldOneDnnOff)
        {
            _toldOneDnnOff = true;
            Logger.LogInformation("This CPU reports no cache sizes and the model has convolutions whose input channels oneDNN " +
                "computes wrongly there (more than 16, not a multiple of 16): {Route}.", off
                    ? "some are not Conv2d modules, so its calls run with oneDNN off, correct at about half the speed"
                    : "they run with their channels zero-padded to a multiple of 16, which oneDNN computes right");
        }
        if (AugSmooth && target.IsBox)
            throw new CamException($"Augmentation smoothing flips the input, which moves the objects away from the boxes of '{target.Description}'; explain boxes without it.");
        return AugSmooth
            ? AugmentationSmoothing.Explain((x, t) => ExplainOnce(x, t, progress, cancellationToken), input, target)
            : ExplainOnce(input, target, progress, cancellationToken);
    }

    private CamResult ExplainOnce(Tensor input, CamTarget target, IProgress<CamProgress>? progress, CancellationToken cancellationToken)
    {
        CamInputValidator.Validate(input, Model);
        var rows = target.Expand(input.shape[0]);
        using var state = ModelState.Capture(Model);
        var started = DateTime.UtcNow;
        using var scope = NewDisposeScope();
        try
        {
            Model.eval();
            var x = rows.IsIdentity ? input.detach() : input.detach().index_select(0, tensor(rows.ImageIndex, device: input.device));
            var context = Forward(x, target, rows, progress, cancellationToken);
            var raws = new List<Tensor>();
            var intermediates = new Dictionary<string, Tensor>();
            for (int l = 0; l < LayerNames.Count; l++)
            {
                var map = ComputeLayerMap(context, l);
                var raw = RawMap(map, l);
                raws.Add(raw.detach());
                var own = (map.Intermediates ?? Empty).Concat(RawMapIntermediates(context, l, raw) ?? Empty);
                foreach (var (key, value) in own)
                    intermediates[$"{LayerNames[l]}/{key}"] = value.detach();
            }
            var maps = Combine(context, raws);
            var result = new CamResult(Name, maps, raws, LayerNames, context.Scores, context.Classes, rows.ImageIndex, intermediates, IntermediateImages);
            result.MoveToOuterDisposeScope();
            Logger.LogDebug("{Method} explained {Rows} row(s) of {Height}x{Width} for {Target} in {Ms:F1} ms",
                Name, x.shape[0], x.shape[2], x.shape[3], target.Description, (DateTime.UtcNow - started).TotalMilliseconds);
            return result;
        }
        finally
        {
            _recorder.Stop();
        }
    }

    /// <summary>Removes the hooks from the model.</summary>
    public void Dispose()
    {
        _recorder.Dispose();
        _route?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// The final maps [M,H,W] in [0,1] from the raw map of every layer. Default: per layer ReLU, per-image min-max and
    /// bilinear resize to the input, then the mean over layers (min-max again when there are several).
    /// </summary>
    protected virtual Tensor Combine(CamContext context, IReadOnlyList<Tensor> raws)
    {
        var maps = raws.Select(r => CamKernels.Resize(CamKernels.ReluNormalize(r), context.Height, context.Width)).ToList();
        return maps.Count == 1 ? maps[0] : CamKernels.NormalizePerImage(stack(maps, 0).mean(new long[] { 0 }));
    }

    private CamContext Forward(Tensor x, CamTarget target, TargetRows rows, IProgress<CamProgress>? progress, CancellationToken ct)
    {
        bool needInputGrad = RequiresInputGradient;
        bool needGrad = (RequiresGradients && !GradientsInOwnPasses) || needInputGrad;
        Tensor output;
        IReadOnlyList<Tensor> outputs, activations;
        long largest = 0, held = 0;
        _recorder.Start();
        using (var mode = needGrad ? enable_grad() : no_grad())
        using (var probe = UsesMaskedForwards && x.device.type == TorchSharp.DeviceType.CPU ? new LargestActivationProbe(Model, x.shape[0]) : null)
        {
            var xin = needGrad ? x.requires_grad_(true) : x;
            output = Model.call(xin);
            _recorder.Stop();
            outputs = _recorder.CollectOutputs();
            activations = _recorder.ToFeatureMaps(outputs, x.shape[0]);
            largest = probe?.BytesPerRow ?? 0;
            held = probe?.HeldBytesPerRow ?? 0;
        }
        if (!ValueRange.AllFinite(output))
            throw new CamException("The model output contains NaN or infinity for this input.");
        var (scores, classes) = needGrad ? WithGrad(() => target.Score(output, rows)) : target.Score(output, rows);
        var modelClasses = target.IsModelClass ? classes : null;
        var objective = needGrad ? WithGrad(() => Objective(output, scores, modelClasses)) : scores;
        IReadOnlyList<Tensor>? gradients = null;
        Tensor? inputGradient = null;
        if (needGrad)
        {
            var grads = TakeGradients(objective, outputs, Enumerable.Range(0, outputs.Count).ToArray(), needInputGrad ? x : null, createGraph: false);
            if (needInputGrad)
            {
                inputGradient = grads[^1].detach();
                grads = grads.Take(outputs.Count).ToList();
            }
            gradients = _recorder.ToFeatureMaps(grads.Select(g => g.detach()).ToList(), x.shape[0]);
            RefuseOrWarnOfEmptyRows(gradients, target);
            x.requires_grad_(false);
        }
        return new CamContext(Model, x.detach(), output.detach(), target, scores.detach(), classes, activations.Select(a => a.detach()).ToList(),
            gradients, inputGradient, LayerNames, MaskedLayout, TuneMaskedForwards, largest, held, progress, ct, Logger);
    }

    /// <summary>
    /// Gradients that are all zero at a layer: for every row, the call is refused (a gradient-based map would be empty);
    /// for some rows of a batch, they get empty maps there, and a warning names them so that an unmatched box of several
    /// is not silently blank.
    /// </summary>
    private void RefuseOrWarnOfEmptyRows(IReadOnlyList<Tensor> gradients, CamTarget target)
    {
        const string boxes = "a box scores 0, with no gradient, when no anchor predicting its class overlaps it above the IoU " +
            "threshold, and a class score saturated at 1 has no gradient either";
        for (int l = 0; l < gradients.Count; l++)
        {
            var rows = ValueRange.ZeroRows(gradients[l]);
            if (rows.Length == gradients[l].shape[0])
                throw new CamException($"The gradients at layer '{LayerNames[l]}' are all zero, so a gradient-based map would be empty. " +
                    (target.IsBox
                        ? $"Under box targets, {boxes}: check each box's class and corners (model-input pixels)."
                        : "In a vision transformer the last block's output reaches the score only through the class token: " +
                          "explain that block's ln_1 (or an earlier block) instead."));
            if (rows.Length > 0)
                Logger.LogWarning("Row(s) {Rows} of {Count} have all-zero gradients at layer '{Layer}', so their gradient-based maps are empty{Why}.",
                    string.Join(", ", rows), gradients[l].shape[0], LayerNames[l], target.IsBox ? $": {boxes}" : "");
        }
    }

    private static T WithGrad<T>(Func<T> f)
    {
        using var mode = enable_grad();
        return f();
    }
}
