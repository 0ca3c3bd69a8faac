using DecomCamNet.Evaluation.Metrics;

using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Runs;

/// <summary>The metrics of one batch's maps of one method, as <see cref="EvaluationRow"/>s (NaN where a metric does not apply).</summary>
internal static class EvaluationScoring
{
    public static IEnumerable<EvaluationRow> Score(nn.Module<Tensor, Tensor> model, string method, EvaluationBatch batch, Tensor maps,
        int[] classes, float[] confidence, Tensor? masks, EvaluationCurves curves, EvaluationOptions options)
    {
        var targets = TargetClasses.PerImage(classes);
        var curveOptions = new PerturbationCurveOptions { Steps = options.Steps, BatchSize = options.BatchSize };
        using var change = ConfidenceChange.Compute(model, batch.Images, maps, targets, options.BatchSize);
        using var deletion = DeletionInsertion.Deletion(model, batch.Images, maps, targets, curveOptions);
        using var insertion = DeletionInsertion.Insertion(model, batch.Images, maps, targets, curveOptions);
        using var road = options.Road ? Road.Evaluate(model, batch.Images, maps, targets) : null;
        curves.Add(method, deletion.Curves, insertion.Curves);
        float[] pointing = Enumerable.Repeat(float.NaN, batch.Count).ToArray(), energy = pointing.ToArray();
        if (masks is not null)
        {
            using var game = PointingGame.Evaluate(maps, masks);
            pointing = game.Hits.cpu().data<float>().ToArray();
            var hasMask = masks.flatten(1).any(1).cpu().data<bool>().ToArray();
            var share = EnergyPointingGame.Compute(maps, masks).cpu().data<float>().ToArray();
            energy = share.Select((v, i) => hasMask[i] ? v : float.NaN).ToArray();
        }
        var drop = change.Drop.cpu().data<float>().ToArray();
        var increase = change.Increase.cpu().data<float>().ToArray();
        var absolute = change.AbsoluteDrop.cpu().data<float>().ToArray();
        var del = deletion.Auc.cpu().data<float>().ToArray();
        var ins = insertion.Auc.cpu().data<float>().ToArray();
        var roadScore = road?.Combined.cpu().data<float>().ToArray() ?? Enumerable.Repeat(float.NaN, batch.Count).ToArray();
        for (int i = 0; i < batch.Count; i++)
            yield return new EvaluationRow(batch.Indices[i], batch.Names[i], method, classes[i], confidence[i], drop[i], increase[i], absolute[i],
                ins[i], del[i], pointing[i], energy[i], roadScore[i]);
    }
}
