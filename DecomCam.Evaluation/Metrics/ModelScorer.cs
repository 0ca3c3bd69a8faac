using DecomCamNet.Cam;
using DecomCamNet.Native;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// Scores inputs with a classifier for metrics: the model in evaluation mode, no gradients, inputs in batches
/// (<see cref="Run"/>: <see cref="BatchedScoring"/>, with the batch size tuned by <see cref="MaskedForwardTuner"/> unless
/// given); the model's flags (<see cref="ModelState"/>) are restored and gradient mode is switched
/// back on <see cref="Dispose"/>. A model that oneDNN computes wrongly on this CPU (<see cref="LibTorchBackends.OneDnnUnsafeFor"/>)
/// is scored on a safe route (<see cref="LibTorchBackends.SafeForward"/>) until then. Create, use and dispose it on one thread.
/// </summary>
internal sealed class ModelScorer : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly ModelState _state;
    private readonly IDisposable _noGrad;
    private readonly IDisposable? _oneDnnOff;

    public ModelScorer(nn.Module<Tensor, Tensor> model)
    {
        _model = model;
        _state = ModelState.Capture(model);
        _noGrad = no_grad();
        _oneDnnOff = LibTorchBackends.SafeForward(model);
        model.eval();
    }

    /// <summary>The model's logits [B,K] for a batch [B,C,H,W].</summary>
    public Tensor Logits(Tensor inputs)
    {
        var output = _model.call(inputs);
        if (output is null || output.dim() != 2 || output.shape[0] != inputs.shape[0])
            throw new ArgumentException($"The model must return logits [N,K]; it returned {(output is null ? "null" : MetricInputs.Shape(output))} for an input of {inputs.shape[0]} images.", "model");
        return output;
    }

    /// <summary>The softmax probability of each row's class [B] for a batch [B,C,H,W] and classes [B] (long).</summary>
    public Tensor Probabilities(Tensor inputs, Tensor classes)
    {
        var logits = Logits(inputs);
        TargetClassRange.Check(classes.max().item<long>(), logits.shape[1], nameof(classes));
        return logits.softmax(1).gather(1, classes.unsqueeze(1)).squeeze(1);
    }

    /// <summary>
    /// The classes to score: the given ones as a long tensor [N] on the images' device, or the model's top class on
    /// <paramref name="images"/> (batched) for <see cref="TargetClasses.Predicted"/>.
    /// </summary>
    public Tensor Classes(TargetClasses targets, Tensor images, int? batchSize, CancellationToken cancellationToken)
    {
        var given = targets.ToTensor(images.device);
        if (given is not null) return given;
        return Run(images.shape[0], batchSize, images, (start, count) => Logits(images.narrow(0, start, count)).argmax(1), cancellationToken);
    }

    /// <summary>
    /// Scores <paramref name="count"/> items built from inputs shaped like <paramref name="images"/>' rows, through
    /// <see cref="BatchedScoring"/>: <paramref name="batchSize"/> at a time when given, else in the batch size that
    /// <see cref="MaskedForwardTuner.Shared"/> finds fastest for this model, shape, device and dtype (tuned on the call's
    /// own batches, between <see cref="MetricInputs.BatchSize"/>'s default and <see cref="MetricInputs.MaxTunedBatchSize"/>;
    /// always contiguous). The scores agree with any fixed batch size to float32 rounding.
    /// </summary>
    public Tensor Run(long count, int? batchSize, Tensor images, Func<long, long, Tensor> score, CancellationToken cancellationToken,
        IProgress<CamProgress>? progress = null, string? stage = null)
    {
        var device = images.device;
        var request = new MaskedForwardRequest(_model, images.shape.Skip(1).ToArray(), device, images.dtype,
            MetricInputs.BatchSize(device), DefaultChannelsLast: false, batchSize, PinnedChannelsLast: false,
            ChannelsLastSafe: false, MetricInputs.MaxTunedBatchSize(device));
        return MaskedForwardTuner.Shared.Run(request, count, (start, length, _) => score(start, length), null, cancellationToken, progress, stage);
    }

    public void Dispose()
    {
        _noGrad.Dispose();
        _oneDnnOff?.Dispose();
        _state.Dispose();
    }
}
