namespace DecomCamNet.Onnx;

/// <summary>
/// One node of an imported graph as a CAM layer: any of its three names selects it (as <see cref="CamLayer"/> or
/// <c>--layer</c>).
/// </summary>
/// <param name="NodeName">The node's name as the file (and Netron) shows it; <c>OpType_index</c> when the file gives none.</param>
/// <param name="OutputName">The name of the tensor the node outputs (its first output).</param>
/// <param name="ModulePath">The name of the node's submodule in the <see cref="OnnxModel"/> (a sanitised node name).</param>
/// <param name="OpType">The ONNX operator.</param>
/// <param name="OutputShape">The output's shape for the probe input, or null when it was not measured.</param>
/// <param name="Reshape">How the output becomes a feature map, inferred from its shape for the probe input
/// (<see cref="OnnxModel.InferReshape"/>): <see cref="ActivationReshape.None"/> for a feature map; null when not measured.</param>
public sealed record OnnxLayer(string NodeName, string OutputName, string ModulePath, string OpType, long[]? OutputShape, ActivationReshape? Reshape = null)
{
    /// <summary>The feature map <c>[N,C,h,w]</c> a CAM sees at this layer under <see cref="Reshape"/>; null when not measured.</summary>
    public long[]? FeatureMapShape => OutputShape is null || Reshape is null ? null : TokenGrid.FeatureMapShape(OutputShape, Reshape);

    /// <inheritdoc />
    /// <remarks>A layer whose output needs a reshape shows the feature map after an arrow: <c>... [1,17,16] -> [1,16,4,4]</c>.</remarks>
    public override string ToString() =>
        $"{NodeName} ({OpType}) -> {OutputName}" + (OutputShape is null ? "" : $" {Shape(OutputShape)}")
        + (Reshape is null || Reshape == ActivationReshape.None ? "" : $" -> {Shape(FeatureMapShape!)}");

    private static string Shape(long[] shape) => $"[{string.Join(",", shape)}]";
}
