using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation;

/// <summary>
/// Scores inputs with a classifier for metrics: the model in evaluation mode, no gradients, inputs in batches; the
/// model's training flags are restored and gradient mode is switched back on <see cref="Dispose"/>. A model that oneDNN
/// computes wrongly on this CPU (<see cref="LibTorchBackends.OneDnnUnsafeFor"/>) is scored with oneDNN off until then.
/// Create, use and dispose it on one thread.
/// </summary>
internal sealed class ModelScorer : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly List<(nn.Module Module, bool Training)> _training = new();
    private readonly IDisposable _noGrad;
    private readonly IDisposable? _oneDnnOff;

    public ModelScorer(nn.Module<Tensor, Tensor> model)
    {
        _model = model;
        _training.Add((model, model.training));
        foreach (var (_, m) in model.named_modules()) _training.Add((m, m.training));
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
        long k = logits.shape[1];
        long max = classes.max().item<long>();
        if (max >= k)
            throw new ArgumentOutOfRangeException("classes", $"Target class {max} is out of range: the model has {k} outputs (valid 0..{k - 1}).");
        return logits.softmax(1).gather(1, classes.unsqueeze(1)).squeeze(1);
    }

    /// <summary>
    /// The classes to score: the given ones as a long tensor [N] on the images' device, or the model's top class on
    /// <paramref name="images"/> (batched) for <see cref="TargetClasses.Predicted"/>.
    /// </summary>
    public Tensor Classes(TargetClasses targets, Tensor images, int batchSize, CancellationToken cancellationToken)
    {
        var given = targets.ToTensor(images.device);
        if (given is not null) return given;
        return Batched(images.shape[0], batchSize, (start, count) => Logits(images.narrow(0, start, count)).argmax(1), null, null, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="score"/> over <paramref name="total"/> rows in batches of at most <paramref name="batchSize"/>,
    /// each batch in its own dispose scope, and concatenates the per-row results [total]. Checks for cancellation and
    /// reports progress after each batch.
    /// </summary>
    public static Tensor Batched(long total, int batchSize, Func<long, long, Tensor> score, string? stage,
        IProgress<CamProgress>? progress, CancellationToken cancellationToken)
    {
        var parts = new List<Tensor>();
        try
        {
            for (long start = 0; start < total; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                long count = Math.Min(batchSize, total - start);
                using (var scope = NewDisposeScope())
                    parts.Add(score(start, count).MoveToOuterDisposeScope());
                if (stage is not null) progress?.Report(new CamProgress(stage, start + count, total));
            }
            return parts.Count == 1 ? parts[0].alias() : cat(parts, 0);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }

    public void Dispose()
    {
        _noGrad.Dispose();
        _oneDnnOff?.Dispose();
        foreach (var (m, training) in _training)
            if (m.training != training) m.train(training);
    }
}
