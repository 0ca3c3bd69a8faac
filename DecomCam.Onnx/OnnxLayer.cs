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
public sealed record OnnxLayer(string NodeName, string OutputName, string ModulePath, string OpType, long[]? OutputShape)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{NodeName} ({OpType}) -> {OutputName}" + (OutputShape is null ? "" : $" [{string.Join(",", OutputShape)}]");
}
