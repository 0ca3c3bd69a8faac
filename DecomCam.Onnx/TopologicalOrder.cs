using OnnxProto = global::Onnx;

namespace DecomCamNet.Onnx;

/// <summary>A graph's nodes in an order where each runs after the nodes it reads from (Kahn's algorithm, stable in file order).</summary>
internal static class TopologicalOrder
{
    /// <summary>The nodes of <paramref name="graph"/> with their file indices, each after its producers.</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="isSource">Whether a tensor name that no node produces is provided otherwise (an initializer, a Constant, the input).</param>
    /// <exception cref="OnnxImportException">A tensor has two producers, a node reads a tensor nobody provides, or the graph has a cycle.</exception>
    public static List<(OnnxProto.NodeProto Node, int Index)> Of(OnnxProto.GraphProto graph, Func<string, bool> isSource)
    {
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < graph.Node.Count; i++)
            foreach (var o in graph.Node[i].Output.Where(o => o.Length > 0))
                if (!producer.TryAdd(o, i)) throw new OnnxImportException($"Tensor '{o}' is produced by two nodes.");
        var pending = new int[graph.Node.Count];
        var dependents = new List<int>[graph.Node.Count];
        for (int i = 0; i < graph.Node.Count; i++)
        {
            dependents[i] = new List<int>();
            foreach (var input in graph.Node[i].Input.Where(n => n.Length > 0).Distinct())
            {
                if (producer.ContainsKey(input)) pending[i]++;
                else if (!isSource(input))
                    throw new OnnxImportException($"Node '{graph.Node[i].Name}' ({graph.Node[i].OpType}) reads '{input}', which no node, initializer or input provides (subgraphs are not supported).");
            }
        }
        for (int i = 0; i < graph.Node.Count; i++)
            foreach (var input in graph.Node[i].Input.Where(n => n.Length > 0).Distinct())
                if (producer.TryGetValue(input, out var p)) dependents[p].Add(i);
        var ready = new SortedSet<int>(Enumerable.Range(0, graph.Node.Count).Where(i => pending[i] == 0));
        var order = new List<(OnnxProto.NodeProto, int)>();
        while (ready.Count > 0)
        {
            int next = ready.Min;
            ready.Remove(next);
            order.Add((graph.Node[next], next));
            foreach (var d in dependents[next])
                if (--pending[d] == 0) ready.Add(d);
        }
        if (order.Count != graph.Node.Count) throw new OnnxImportException("The graph has a cycle.");
        return order;
    }
}
