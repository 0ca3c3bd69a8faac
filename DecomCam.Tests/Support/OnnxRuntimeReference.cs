using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxProto = global::Onnx;

namespace DecomCamNet.Tests.Support;

/// <summary>
/// Runs a model with ONNX Runtime, the reference for the importer. Intermediate tensors become extra graph outputs
/// (the file is rewritten in memory with the importer's generated protobuf classes), so chosen intermediate values can
/// be compared too.
/// </summary>
internal static class OnnxRuntimeReference
{
    /// <summary>The values and shapes of <paramref name="outputs"/> (graph outputs or intermediate float tensors) for one input.</summary>
    public static Dictionary<string, (float[] Values, long[] Shape)> Run(string modelPath, string inputName, float[] input, long[] shape, IReadOnlyList<string> outputs)
    {
        var model = OnnxProto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath));
        foreach (var name in outputs.Where(n => model.Graph.Output.All(o => o.Name != n)))
            model.Graph.Output.Add(new OnnxProto.ValueInfoProto
            {
                Name = name,
                Type = new OnnxProto.TypeProto { TensorType = new OnnxProto.TypeProto.Types.Tensor { ElemType = (int)OnnxProto.TensorProto.Types.DataType.Float } },
            });
        using var options = new SessionOptions { IntraOpNumThreads = 2, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(model.ToByteArray(), options);
        var feed = new[] { NamedOnnxValue.CreateFromTensor(inputName, new DenseTensor<float>(input, shape.Select(d => (int)d).ToArray())) };
        using var results = session.Run(feed, outputs);
        return results.ToDictionary(r => r.Name, r =>
        {
            var t = r.AsTensor<float>();
            return (t.ToArray(), t.Dimensions.ToArray().Select(d => (long)d).ToArray());
        });
    }
}
