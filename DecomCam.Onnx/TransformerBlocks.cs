namespace DecomCamNet.Onnx;

/// <summary>
/// Finds the block outputs of a transformer graph, the token streams that LeGrad scores through the graph's tail (the
/// final norm and head), from the plan's cuts: the steps after which their own output is the only computed value a later
/// step reads (a pre-norm block has two, after the attention's residual sum and after the MLP's). Block l's output is
/// the last cut before attention layer l + 1; the last block's is the cut that lies as many cuts after the last
/// attention layer as there are between the last two (the blocks repeat). Attention layers are the Softmax nodes with
/// an <c>attn_probs</c> child.
/// </summary>
internal static class TransformerBlocks
{
    /// <summary>The step index of each attention layer's block output, in run order.</summary>
    /// <exception cref="InvalidOperationException">The graph has fewer than two attention layers, or a block has no cut
    /// (a value from before it is still read after it, such as a shape read from an earlier token stream).</exception>
    public static int[] Find(ExecutionPlan plan)
    {
        var attention = Enumerable.Range(0, plan.Steps.Count).Where(i => plan.Steps[i].Module.IsAttention).ToArray();
        const string why = "LeGrad scores each block's tokens through the graph's tail (final norm and head), which needs each block's output to be the only value its later nodes read";
        if (attention.Length < 2)
            throw new InvalidOperationException($"{why}; with {attention.Length} attention Softmax node(s) the last block's output cannot be told from the values inside it.");
        var cuts = Cuts(plan);
        var blocks = new int[attention.Length];
        for (int l = 0; l + 1 < attention.Length; l++)
        {
            var between = cuts.Where(c => c > attention[l] && c < attention[l + 1]).ToArray();
            if (between.Length == 0)
                throw new InvalidOperationException($"{why}: no value between the attention nodes '{Name(plan, attention[l])}' and '{Name(plan, attention[l + 1])}' is.");
            blocks[l] = between[^1];
        }
        int perBlock = cuts.Count(c => c > attention[^2] && c < attention[^1]);
        var after = cuts.Where(c => c > attention[^1]).ToArray();
        if (after.Length < perBlock)
            throw new InvalidOperationException($"{why}: after the last attention node '{Name(plan, attention[^1])}' fewer such values follow than inside the blocks before it.");
        blocks[^1] = after[perBlock - 1];
        return blocks;
    }

    /// <summary>The steps after which their first output is the only computed value (stored values aside) still to be read.</summary>
    private static int[] Cuts(ExecutionPlan plan)
    {
        var lastRead = new Dictionary<int, int>();
        for (int i = 0; i < plan.Steps.Count; i++)
            foreach (var slot in plan.Steps[i].Inputs.Where(s => s >= 0)) lastRead[slot] = i;
        bool ReadAfter(int slot, int step) => slot == plan.OutputSlot || lastRead.GetValueOrDefault(slot, -1) > step;
        var stored = plan.StoredSlots.ToHashSet();
        var live = new HashSet<int>();
        if (ReadAfter(plan.InputSlot, -1)) live.Add(plan.InputSlot);
        var cuts = new List<int>();
        for (int i = 0; i < plan.Steps.Count; i++)
        {
            var step = plan.Steps[i];
            foreach (var slot in step.OtherOutputs.Prepend(step.Output).Where(s => s >= 0 && ReadAfter(s, i))) live.Add(slot);
            foreach (var slot in step.Inputs.Where(s => s >= 0 && !stored.Contains(s) && !ReadAfter(s, i))) live.Remove(slot);
            if (live.Count == 1 && live.Contains(step.Output)) cuts.Add(i);
        }
        return cuts.ToArray();
    }

    private static string Name(ExecutionPlan plan, int step) => plan.Steps[step].Layer.NodeName;

    /// <summary>
    /// The step of the last block's first norm: the last step between the last block's input (the last cut before the
    /// last attention Softmax) and that Softmax that every path from the input to the Softmax passes through and whose
    /// output has the input's shape (a pre-norm block's <c>ln_1</c>, decomposed or not); null when the graph has no
    /// attention layer or no such step.
    /// </summary>
    /// <param name="plan">The graph.</param>
    /// <param name="shapes">Each step's output shape for one probe input.</param>
    public static int? FirstNormOfLastBlock(ExecutionPlan plan, IReadOnlyList<long[]?> shapes)
    {
        int attention = Enumerable.Range(0, plan.Steps.Count).LastOrDefault(i => plan.Steps[i].Module.IsAttention, -1);
        if (attention < 0) return null;
        int input = Cuts(plan).LastOrDefault(c => c < attention, -1);
        if (input < 0 || shapes[input] is not { } shape) return null;
        for (int step = attention - 1; step > input; step--)
            if (shapes[step] is { } s && s.SequenceEqual(shape) && PassesThrough(plan, input, step, attention)) return step;
        return null;
    }

    /// <summary>Whether every path from step <paramref name="from"/>'s output to step <paramref name="to"/> passes through step <paramref name="via"/>.</summary>
    private static bool PassesThrough(ExecutionPlan plan, int from, int via, int to)
    {
        var reached = new HashSet<int> { plan.Steps[from].Output };
        for (int i = from + 1; i <= to; i++)
        {
            var step = plan.Steps[i];
            if (i == via || !step.Inputs.Any(reached.Contains)) continue;
            if (i == to) return false;
            foreach (var slot in step.OtherOutputs.Prepend(step.Output).Where(s => s >= 0)) reached.Add(slot);
        }
        return true;
    }
}
