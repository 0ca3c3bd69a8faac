using Google.Protobuf;
using OnnxProto = global::Onnx;

namespace DecomCamNet.Tests.Support;

/// <summary>
/// Builds small ONNX graphs in memory (with the importer's generated protobuf classes) for operators, attributes and
/// opsets that PyTorch does not export: one float input <c>x</c>, initializers, nodes in order, the last node's output
/// <c>y</c> as the graph output.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly OnnxProto.ModelProto _model;
    private string _last = "x";

    public OnnxGraphBuilder(long opset, params long[] inputShape)
    {
        _model = new OnnxProto.ModelProto { IrVersion = 7, Graph = new OnnxProto.GraphProto { Name = "test" } };
        _model.OpsetImport.Add(new OnnxProto.OperatorSetIdProto { Domain = "", Version = opset });
        _model.Graph.Input.Add(ValueInfo("x", inputShape));
        InputShape = inputShape;
    }

    public long[] InputShape { get; }

    /// <summary>Adds a float initializer filled with detinit values for <paramref name="name"/>.</summary>
    public OnnxGraphBuilder Initializer(string name, params long[] dims) =>
        Initializer(name, DeterministicInit.FillValue(name, dims), dims);

    public OnnxGraphBuilder Initializer(string name, float[] values, params long[] dims)
    {
        var t = new OnnxProto.TensorProto { Name = name, DataType = (int)OnnxProto.TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(values);
        _model.Graph.Initializer.Add(t);
        return this;
    }

    public OnnxGraphBuilder Ints(string name, params long[] values)
    {
        var t = new OnnxProto.TensorProto { Name = name, DataType = (int)OnnxProto.TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        _model.Graph.Initializer.Add(t);
        return this;
    }

    /// <summary>Adds a node named <paramref name="name"/> whose first input is the previous node's output (or <c>x</c>) unless inputs are given.</summary>
    public OnnxGraphBuilder Node(string op, string name, string[]? inputs = null, params (string Name, object Value)[] attributes) =>
        Node(op, name, 1, inputs, attributes);

    /// <summary>Adds a node with <paramref name="outputs"/> outputs, <c>name_out</c>, <c>name_out1</c>, ...; the next node reads the first.</summary>
    public OnnxGraphBuilder Node(string op, string name, int outputs, string[]? inputs = null, params (string Name, object Value)[] attributes)
    {
        var node = new OnnxProto.NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs ?? new[] { _last });
        _last = name + "_out";
        node.Output.Add(_last);
        for (int k = 1; k < outputs; k++) node.Output.Add($"{_last}{k}");
        foreach (var (key, value) in attributes)
        {
            var a = new OnnxProto.AttributeProto { Name = key };
            switch (value)
            {
                case long l: a.Type = OnnxProto.AttributeProto.Types.AttributeType.Int; a.I = l; break;
                case float f: a.Type = OnnxProto.AttributeProto.Types.AttributeType.Float; a.F = f; break;
                case string s: a.Type = OnnxProto.AttributeProto.Types.AttributeType.String; a.S = ByteString.CopyFromUtf8(s); break;
                case long[] ls: a.Type = OnnxProto.AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ls); break;
                default: throw new ArgumentException($"attribute type {value.GetType()}");
            }
            node.Attribute.Add(a);
        }
        _model.Graph.Node.Add(node);
        return this;
    }

    /// <summary>The last input name the next node reads by default.</summary>
    public string Last => _last;

    /// <summary>Writes the model (output: the last node's) to a temporary file and returns its path.</summary>
    public string Save()
    {
        _model.Graph.Output.Clear();
        _model.Graph.Output.Add(new OnnxProto.ValueInfoProto
        {
            Name = _last,
            Type = new OnnxProto.TypeProto { TensorType = new OnnxProto.TypeProto.Types.Tensor { ElemType = (int)OnnxProto.TensorProto.Types.DataType.Float } },
        });
        var path = Path.Combine(Path.GetTempPath(), $"decomcam-onnx-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, _model.ToByteArray());
        return path;
    }

    private static OnnxProto.ValueInfoProto ValueInfo(string name, long[] shape)
    {
        var tensorType = new OnnxProto.TypeProto.Types.Tensor { ElemType = (int)OnnxProto.TensorProto.Types.DataType.Float, Shape = new OnnxProto.TensorShapeProto() };
        foreach (var d in shape) tensorType.Shape.Dim.Add(new OnnxProto.TensorShapeProto.Types.Dimension { DimValue = d });
        return new OnnxProto.ValueInfoProto { Name = name, Type = new OnnxProto.TypeProto { TensorType = tensorType } };
    }
}
