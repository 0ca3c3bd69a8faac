using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// Everything a method sees while it computes its map: the model, the (expanded) input, the targets, the captured
/// activations and gradients, and a batched, memory-bounded scorer for masked inputs.
/// </summary>
public sealed class CamContext
{
    private readonly CamTarget _target;
    private readonly ILogger? _logger;
    private Tensor? _guidedInputGradient;

    internal CamContext(nn.Module<Tensor, Tensor> model, Tensor input, Tensor output, CamTarget target, Tensor scores, Tensor? classes,
        IReadOnlyList<Tensor> activations, IReadOnlyList<Tensor>? gradients, Tensor? inputGradient, IReadOnlyList<string> layerNames,
        MaskedInputLayout maskedLayout, bool tuneMaskedForwards, long largestActivationBytes, long heldActivationBytes,
        IProgress<CamProgress>? progress, CancellationToken cancellationToken, ILogger? logger)
    {
        MaskedLayout = maskedLayout;
        TuneMaskedForwards = tuneMaskedForwards;
        _logger = logger;
        LargestActivationBytes = largestActivationBytes;
        HeldActivationBytes = heldActivationBytes;
        Model = model;
        Input = input;
        Output = output;
        _target = target;
        Scores = scores;
        Classes = classes;
        Activations = activations;
        Gradients = gradients;
        InputGradient = inputGradient;
        LayerNames = layerNames;
        Progress = progress;
        CancellationToken = cancellationToken;
    }

    /// <summary>The model, in evaluation mode for the duration of the call.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>The input rows [M,C,H,W] (one per image and target), detached.</summary>
    public Tensor Input { get; }

    /// <summary>The model's output for <see cref="Input"/> (batch first, [M,K] for a classifier), detached.</summary>
    public Tensor Output { get; }

    /// <summary>Number of rows M.</summary>
    public long Rows => Input.shape[0];

    /// <summary>Input height H.</summary>
    public long Height => Input.shape[2];

    /// <summary>Input width W.</summary>
    public long Width => Input.shape[3];

    /// <summary>The target score of each row on the unmodified input [M], detached.</summary>
    public Tensor Scores { get; }

    /// <summary>The class of each row [M] (long), or null for a custom target.</summary>
    public Tensor? Classes { get; }

    /// <summary>Per layer, the activations A [M,C,h,w], detached.</summary>
    public IReadOnlyList<Tensor> Activations { get; }

    /// <summary>
    /// Per layer, the gradients G = d score / d A [M,C,h,w]; null for gradient-free methods and for methods that take their
    /// gradients in passes of their own (<c>GradientsInOwnPasses</c>).
    /// </summary>
    public IReadOnlyList<Tensor>? Gradients { get; }

    /// <summary>d score / d input [M,C,H,W] for methods that ask for it (<c>RequiresInputGradient</c>); otherwise null.</summary>
    public Tensor? InputGradient { get; }

    /// <summary>
    /// True when every row's target is a class of the model's own output, so <see cref="Classes"/> index its final layer
    /// (false for custom targets and targets on a head such as CLIP prompts).
    /// </summary>
    public bool TargetsModelClasses => Classes is not null && _target.IsModelClass;

    /// <summary>The dotted names of the layers.</summary>
    public IReadOnlyList<string> LayerNames { get; }

    /// <summary>The layout in which <see cref="ScoreInBatches"/> forwards its inputs.</summary>
    public MaskedInputLayout MaskedLayout { get; }

    /// <summary>Whether <see cref="ScoreInBatches"/> tunes what the caller left to default (<see cref="MaskedForwardTuner"/>).</summary>
    public bool TuneMaskedForwards { get; }

    /// <summary>The largest submodule output per input row seen in the first forward pass, in bytes (0 if not measured).</summary>
    public long LargestActivationBytes { get; }

    /// <summary>
    /// The most bytes per input row of submodule outputs alive at once during the first forward pass, when it ran without
    /// gradients (what a masked batch holds per input); 0 if not measured.
    /// </summary>
    public long HeldActivationBytes { get; }

    /// <summary>
    /// The default number of masked inputs per forward for <paramref name="count"/> items: on a CPU, equal batches that
    /// keep the largest activation under <see cref="MaskedForwards.CpuActivationBudget"/> and what a batch holds under
    /// <see cref="MaskedForwards.CpuHeldBudget"/>; on a GPU, <see cref="MaskedForwards.GpuBatchSize"/>.
    /// </summary>
    public int DefaultBatchSize(long count) => Input.device.type == DeviceType.CPU
        ? MaskedForwards.Balanced(count, MaskedForwards.CpuBatchSize(LargestActivationBytes, HeldActivationBytes))
        : MaskedForwards.GpuBatchSize;

    /// <summary>Where long stages report progress.</summary>
    public IProgress<CamProgress>? Progress { get; }

    /// <summary>Checked between batches of masked forwards.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>
    /// The target score of each row in <paramref name="output"/>, the model's output [M,K] for M inputs in the order of
    /// <see cref="Input"/>'s rows; differentiable, for methods that run their own forward and backward passes.
    /// </summary>
    public Tensor TargetScores(Tensor output) => _target.ScoreRows(output, Classes, ScoreKind.Logit);

    /// <summary>
    /// d score / d input [M,C,H,W] with guided ReLUs (<see cref="GuidedBackpropagation"/>): one extra forward and
    /// backward pass on the first request, shared by later ones within the call.
    /// </summary>
    public Tensor GuidedInputGradient() =>
        _guidedInputGradient ??= GuidedBackpropagation.InputGradient(Model, Input, TargetScores);

    /// <summary>The gradients of layer <paramref name="layer"/>; throws where <see cref="Gradients"/> is null.</summary>
    public Tensor GradientsOf(int layer) =>
        Gradients?[layer] ?? throw new InvalidOperationException("The pipeline's pass took no gradients for this method: it declares RequiresGradients false or GradientsInOwnPasses true.");

    /// <summary>
    /// Scores <paramref name="count"/> modified inputs without gradients, <paramref name="batchSize"/> at a time (null:
    /// <see cref="DefaultBatchSize"/>), laid out as <see cref="MaskedLayout"/> says, through <see cref="BatchedScoring"/>
    /// so that peak memory is bounded by one batch. Where <see cref="TuneMaskedForwards"/>, the batch size (when null)
    /// and the layout (when <see cref="MaskedInputLayout.Auto"/>) are the fastest that <see cref="MaskedForwardTuner.Shared"/>
    /// found for this model, input shape, device and dtype, tuned on this call's batches on first use.
    /// <paramref name="build"/> returns, for items [start, start+length), the inputs [length,C,H,W] and the row (index
    /// into <see cref="Input"/>) whose target each is scored for [length] (long). Reports progress as
    /// <paramref name="stage"/> and honours cancellation between batches.
    /// </summary>
    /// <returns>The target score of each item, [count].</returns>
    public Tensor ScoreInBatches(long count, int? batchSize, Func<long, long, (Tensor Inputs, Tensor Rows)> build, ScoreKind kind, string stage)
    {
        if (count == 0) return empty(0, dtype: Input.dtype, device: Input.device);
        var device = Input.device;
        var request = new MaskedForwardRequest(Model, Input.shape.Skip(1).ToArray(), device, Input.dtype,
            DefaultBatchSize(count), MaskedForwards.UsesChannelsLast(MaskedLayout, device), batchSize,
            MaskedLayout == MaskedInputLayout.Auto ? null : MaskedForwards.UsesChannelsLast(MaskedLayout, device),
            MaskedForwards.ChannelsLastSafe(device), MaskedForwards.MaxTunedBatchSize(LargestActivationBytes, device, HeldActivationBytes), TuneMaskedForwards);
        return MaskedForwardTuner.Shared.Run(request, count, (start, length, channelsLast) =>
        {
            var (inputs, rows) = build(start, length);
            var output = Model.call(channelsLast ? MaskedForwards.ToChannelsLast(inputs) : inputs);
            return _target.ScoreRows(output, Classes?.index_select(0, rows), kind, rows);
        }, _logger, CancellationToken, Progress, stage);
    }
}
