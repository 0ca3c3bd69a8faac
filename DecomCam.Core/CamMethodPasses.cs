using DecomCamNet.Cam;
using DecomCamNet.Native;

using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// The forward and gradient steps of the pipeline, open to methods that need more passes than the first one (several
/// noisy copies of the input, a second derivative): one recorder, one gradient path, one set of checks and messages.
/// </summary>
public abstract partial class CamMethod
{
    /// <summary>
    /// Forwards <paramref name="input"/> (rows in the order of <see cref="CamContext.Input"/>) with gradients enabled and
    /// the target layers recorded, and scores each row's target (<see cref="CamContext.TargetScores"/>).
    /// <paramref name="replaceLayerOutput"/> (optional) receives a layer's index and output and may return the tensor the
    /// model goes on with instead (null keeps the output); the replacement is what <see cref="RecordedPass.LayerOutputs"/> holds.
    /// </summary>
    /// <exception cref="CamException">A target layer did not run.</exception>
    protected RecordedPass ForwardRecorded(CamContext context, Tensor input, Func<int, Tensor, Tensor?>? replaceLayerOutput = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        using var mode = enable_grad();
        var x = input.detach().requires_grad_(true);
        Tensor output;
        _recorder.Start(replaceLayerOutput);
        try { output = Model.call(x); }
        finally { _recorder.Stop(); }
        return new RecordedPass(x, output, context.TargetScores(output), _recorder.CollectOutputs());
    }

    /// <summary>
    /// The gradient of the summed target scores of <paramref name="pass"/> with respect to layer <paramref name="layer"/>'s
    /// output, in that output's layout (<see cref="AsFeatureMap"/> turns it into [M,C,h,w]). With
    /// <paramref name="createGraph"/> the gradient is itself differentiable and the pass's graph is kept, for a second
    /// derivative (run that inside <see cref="LibTorchBackends.SafeBackward"/>, through <see cref="CaughtGradient"/> where a
    /// model may lack a double backward).
    /// </summary>
    /// <exception cref="CamException">No gradient reaches the layer, the score does not depend on it, or the gradient is not finite.</exception>
    protected Tensor LayerGradient(RecordedPass pass, int layer, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(pass);
        return TakeGradients(pass.Scores, new[] { pass.LayerOutputs[layer] }, new[] { layer }, null, createGraph)[0];
    }

    /// <summary>
    /// The gradient of Σ <paramref name="objective"/> (a differentiable function of <paramref name="pass"/>'s forward other
    /// than its target scores, e.g. the target scored on an intermediate block) with respect to layer
    /// <paramref name="layer"/>'s output, in that output's layout; the pass's graph is kept for further gradients.
    /// </summary>
    /// <exception cref="CamException">No gradient reaches the layer, the objective does not depend on it, or the gradient is not finite.</exception>
    protected Tensor LayerGradientOf(Tensor objective, RecordedPass pass, int layer)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(pass);
        return TakeGradients(objective, new[] { pass.LayerOutputs[layer] }, new[] { layer }, null, createGraph: false, retainGraph: true)[0];
    }

    /// <summary>Layer <paramref name="layer"/>'s output, or a gradient with respect to it, as a feature map [M,C,h,w] (detached).</summary>
    protected Tensor AsFeatureMap(int layer, Tensor tensor, long rows) => _recorder.ToFeatureMap(layer, tensor.detach(), rows);

    /// <summary>
    /// d Σ objective / d outputs (the recorded outputs of the layers <paramref name="layers"/>), then d / d
    /// <paramref name="input"/> as the last entry when it is given; the graph is kept with <paramref name="createGraph"/> or
    /// <paramref name="retainGraph"/>. Checks that a gradient can reach every layer, that the
    /// objective has one, and that each result exists and is finite.
    /// </summary>
    private IList<Tensor> TakeGradients(Tensor objective, IReadOnlyList<Tensor> outputs, IReadOnlyList<int> layers, Tensor? input, bool createGraph, bool retainGraph = false)
    {
        for (int i = 0; i < outputs.Count; i++)
            if (!outputs[i].requires_grad)
                throw new CamException($"No gradient reaches layer '{LayerNames[layers[i]]}': its output does not depend on the input through differentiable operations (is the model run under no_grad or does it detach?).");
        if (!objective.requires_grad)
            throw new CamException("The target score does not require a gradient; a gradient-based method cannot use it.");
        var wrt = outputs.ToList();
        if (input is not null) wrt.Add(input);
        IList<Tensor> grads;
        using (var mode = enable_grad())
        using (LibTorchBackends.SafeBackward())
            grads = autograd.grad(new[] { objective.sum() }, wrt, retain_graph: createGraph || retainGraph, create_graph: createGraph, allow_unused: true);
        if (input is not null && (grads[^1] is null || grads[^1].IsInvalid))
            throw new CamException("The target score does not depend on the input (no input gradient).");
        for (int i = 0; i < outputs.Count; i++)
        {
            if (grads[i] is null || grads[i].IsInvalid)
                throw new CamException($"The target score does not depend on layer '{LayerNames[layers[i]]}' (no gradient): choose a layer that feeds the output.");
            if (!ValueRange.AllFinite(grads[i]))
                throw new CamException($"The gradient at layer '{LayerNames[layers[i]]}' contains NaN or infinity.");
        }
        return grads;
    }
}
