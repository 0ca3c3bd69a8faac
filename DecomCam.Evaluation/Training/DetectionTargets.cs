using DecomCamNet.Detection;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Training;

/// <summary>
/// Centre-based assignment for <see cref="Models.SceneDet"/>: each true box (<see cref="Scenes.Scene.TrueBoxes"/>) is
/// the positive of the grid cell holding its centre (a later, upper object takes a shared cell); its class there is 1,
/// every other (cell, class) 0, except the 8 cells around a centre for that box's class, which the class loss ignores
/// (they see the same object, a little off centre).
/// </summary>
internal sealed class DetectionTargets
{
    private readonly float[] _classes, _weights, _boxes, _positive;
    private readonly int _count, _classCount, _grid;

    public DetectionTargets(IReadOnlyList<IReadOnlyList<ReferenceBox>> truths, int classes, int grid, int stride)
    {
        (_count, _classCount, _grid) = (truths.Count, classes, grid);
        int cells = grid * grid;
        _classes = new float[_count * classes * cells];
        _weights = Enumerable.Repeat(1f, _count * classes * cells).ToArray();
        _boxes = new float[_count * cells * 4];
        _positive = new float[_count * cells];
        for (int n = 0; n < _count; n++)
        {
            foreach (var t in truths[n])
            {
                var b = t.Box;
                int gx = Math.Clamp((int)((b.X1 + b.X2) / 2 / stride), 0, grid - 1), gy = Math.Clamp((int)((b.Y1 + b.Y2) / 2 / stride), 0, grid - 1);
                int cell = gy * grid + gx;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int x = gx + dx, y = gy + dy;
                        if (x < 0 || y < 0 || x >= grid || y >= grid) continue;
                        int at = (n * classes + t.ClassIndex) * cells + y * grid + x;
                        if (_classes[at] == 0) _weights[at] = 0;
                    }
                for (int c = 0; c < classes; c++) _classes[(n * classes + c) * cells + cell] = 0;
                int own = (n * classes + t.ClassIndex) * cells + cell;
                _classes[own] = 1;
                _weights[own] = 1;
                _positive[n * cells + cell] = 1;
                b.ToArray().CopyTo(_boxes, (n * cells + cell) * 4);
            }
        }
        Positives = (int)_positive.Sum();
    }

    /// <summary>Assigned cells in all.</summary>
    public int Positives { get; }

    /// <summary>Class targets and loss weights <c>[N,K,g,g]</c>, boxes (xyxy) <c>[N,g*g,4]</c>, positive cells <c>[N,g*g]</c> (bool).</summary>
    public (Tensor Classes, Tensor Weights, Tensor Boxes, Tensor Positive) ToTensors(Device device)
    {
        var shape = new long[] { _count, _classCount, _grid, _grid };
        return (tensor(_classes, shape, device: device), tensor(_weights, shape, device: device),
            tensor(_boxes, new long[] { _count, _grid * _grid, 4 }, device: device),
            tensor(_positive, new long[] { _count, _grid * _grid }, device: device).to_type(ScalarType.Bool));
    }
}
