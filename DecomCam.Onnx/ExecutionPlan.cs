using static TorchSharp.torch;

namespace DecomCamNet.Onnx;

/// <summary>
/// How a graph runs: its nodes in topological order over numbered value slots (one per tensor name), the slots the stored
/// initializers and Constants fill, and for each node the slots to free once it has run (the values it was the last
/// consumer of, and its own outputs nobody reads), so a forward holds only the intermediates still needed. The plan is
/// immutable; <see cref="Run"/> keeps every value of a run in locals, so runs on several threads do not meet.
/// </summary>
internal sealed class ExecutionPlan
{
    private readonly int _slotCount;

    private ExecutionPlan(PlanStep[] steps, int[] storedSlots, int inputSlot, int outputSlot, int slotCount)
    {
        Steps = steps;
        StoredSlots = storedSlots;
        InputSlot = inputSlot;
        OutputSlot = outputSlot;
        _slotCount = slotCount;
    }

    /// <summary>The nodes in the order they run.</summary>
    public IReadOnlyList<PlanStep> Steps { get; }

    /// <summary>The slots of the stored values, in the order <see cref="Run"/> takes them.</summary>
    public IReadOnlyList<int> StoredSlots { get; }

    /// <summary>The slot of the graph's input.</summary>
    public int InputSlot { get; }

    /// <summary>The slot of the output a run returns (never freed).</summary>
    public int OutputSlot { get; }

    /// <summary>
    /// The plan for <paramref name="nodes"/> (already in topological order): each output is freed after its last consumer,
    /// at once when nothing consumes it, except the graph's output.
    /// </summary>
    /// <param name="nodes">The nodes; an input or output slot of -1 is an omitted optional one.</param>
    /// <param name="storedSlots">The slots of the stored values.</param>
    /// <param name="inputSlot">The graph input's slot.</param>
    /// <param name="outputSlot">The returned output's slot.</param>
    /// <param name="slotCount">The number of slots.</param>
    public static ExecutionPlan Create(IReadOnlyList<PlannedNode> nodes, int[] storedSlots, int inputSlot, int outputSlot, int slotCount)
    {
        var lastConsumer = new Dictionary<int, int>();
        for (int i = 0; i < nodes.Count; i++)
            foreach (var slot in nodes[i].Inputs.Where(s => s >= 0)) lastConsumer[slot] = i;
        var freeAfter = nodes.Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < nodes.Count; i++)
            foreach (var slot in nodes[i].Outputs.Where(s => s >= 0 && s != outputSlot))
                freeAfter[lastConsumer.TryGetValue(slot, out var last) ? last : i].Add(slot);
        var steps = nodes.Select((n, i) => new PlanStep(n.Module, n.Layer, n.Inputs, n.Outputs[0], n.Outputs[1..], freeAfter[i].ToArray())).ToArray();
        return new ExecutionPlan(steps, storedSlots, inputSlot, outputSlot, slotCount);
    }

    /// <summary>
    /// Runs the graph on <paramref name="input"/> and returns the output; every intermediate is disposed once no later
    /// node reads it, and all of them when a node fails.
    /// </summary>
    /// <param name="input">The graph's input.</param>
    /// <param name="stored">The current stored values, in the order of <see cref="StoredSlots"/>.</param>
    /// <param name="hooks">Whether each node runs through its module's <c>call</c> (forward hooks fire, and attention
    /// Softmax outputs pass through their <c>attn_probs</c> child) or its kernel alone.</param>
    /// <param name="observe">Told each step's index and first output as soon as the step has run; null for none.</param>
    /// <exception cref="InvalidOperationException">A node failed; the message names it and the shapes of its inputs.</exception>
    public Tensor Run(Tensor input, IReadOnlyList<Tensor> stored, bool hooks, Action<int, Tensor>? observe = null) =>
        RunSteps(0, InputSlot, input, seedOwned: false, stored, hooks, observe);

    /// <summary>
    /// Runs the steps after step <paramref name="cut"/> with <paramref name="value"/> in place of that step's output,
    /// through the node kernels alone (no hooks), and returns the output: the graph's tail as a function of one value.
    /// Every later step must read nothing computed before the cut but that output (see <see cref="TransformerBlocks"/>).
    /// </summary>
    /// <param name="cut">The step whose output <paramref name="value"/> replaces.</param>
    /// <param name="value">The replacement; left to the caller (the run reads an alias of it).</param>
    /// <param name="stored">The current stored values, in the order of <see cref="StoredSlots"/>.</param>
    /// <exception cref="InvalidOperationException">A node failed, or read a value from before the cut.</exception>
    public Tensor RunAfter(int cut, Tensor value, IReadOnlyList<Tensor> stored) =>
        RunSteps(cut + 1, Steps[cut].Output, value.alias(), seedOwned: true, stored, hooks: false, observe: null);

    private Tensor RunSteps(int first, int seedSlot, Tensor seed, bool seedOwned, IReadOnlyList<Tensor> stored, bool hooks, Action<int, Tensor>? observe)
    {
        var values = new Tensor?[_slotCount];
        var owned = new bool[_slotCount];
        for (int k = 0; k < StoredSlots.Count; k++) values[StoredSlots[k]] = stored[k];
        (values[seedSlot], owned[seedSlot]) = (seed, seedOwned);
        long batch = seed.shape[0];
        try
        {
            for (int i = first; i < Steps.Count; i++)
            {
                var step = Steps[i];
                var arguments = step.Inputs.Select(s => s < 0 ? null : values[s] ?? throw new InvalidOperationException($"ONNX node '{step.Layer.NodeName}': input freed too early or not computed")).ToArray();
                Tensor[] outputs;
                try { outputs = hooks ? NodeInvocation.Call(step.Module, arguments) : step.Module.Compute(arguments); }
                catch (Exception e) when (e is not OnnxImportException)
                {
                    throw new InvalidOperationException($"ONNX node '{step.Layer.NodeName}' ({step.Layer.OpType}) failed on inputs of shapes " +
                        string.Join(" ", arguments.Select(a => a is null ? "-" : $"[{string.Join(",", a.shape)}]")) + ": " + e.Message, e);
                }
                if (hooks && step.Module.IsAttention) outputs[0] = step.Module.ExposeAttention(outputs[0], batch);
                (values[step.Output], owned[step.Output]) = (outputs[0], true);
                for (int k = 1; k < outputs.Length; k++)
                {
                    int slot = k - 1 < step.OtherOutputs.Length ? step.OtherOutputs[k - 1] : -1;
                    if (slot < 0) outputs[k].Dispose();
                    else (values[slot], owned[slot]) = (outputs[k], true);
                }
                observe?.Invoke(i, outputs[0]);
                foreach (var slot in step.FreeAfter)
                {
                    values[slot]!.Dispose();
                    values[slot] = null;
                    owned[slot] = false;
                }
            }
            return values[OutputSlot]!;
        }
        catch
        {
            for (int s = 0; s < values.Length; s++)
                if (owned[s]) values[s]!.Dispose();
            throw;
        }
    }
}

/// <summary>A node as the importer builds it: its module, its layer, and the slots of its inputs and outputs (-1: omitted).</summary>
internal sealed record PlannedNode(OnnxNodeModule Module, OnnxLayer Layer, int[] Inputs, int[] Outputs);

/// <summary>One node of an <see cref="ExecutionPlan"/>: where it reads and writes, and which slots to free after it.</summary>
internal sealed record PlanStep(OnnxNodeModule Module, OnnxLayer Layer, int[] Inputs, int Output, int[] OtherOutputs, int[] FreeAfter);
