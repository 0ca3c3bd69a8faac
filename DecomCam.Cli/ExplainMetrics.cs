using System.Globalization;
using System.Text.Json;
using DecomCamNet.Evaluation.Metrics;
using static TorchSharp.torch;

namespace DecomCamNet.Cli;

/// <summary>
/// <c>explain --save-metrics</c>: the faithfulness of the maps just made (Average Drop, Increase in Confidence, insertion
/// and deletion AUC; with <c>--mask</c> the pointing and energy pointing games), printed and written as JSON.
/// </summary>
internal static class ExplainMetrics
{
    public static void Write(nn.Module<Tensor, Tensor> model, Tensor input, CamResult result, string path, string? maskPath, TextWriter stdout)
    {
        if (result.Classes is null)
            throw new CliException("--save-metrics needs class targets (the metrics score softmax probabilities of a class); it does not apply to custom or CLIP prompt targets.");
        using var scope = NewDisposeScope();
        var images = input.index_select(0, tensor(result.ImageIndex.ToArray(), device: input.device));
        var classes = TargetClasses.PerImage(result.Classes);
        using var change = ConfidenceChange.Compute(model, images, result.Maps, classes);
        using var insertion = DeletionInsertion.Insertion(model, images, result.Maps, classes);
        using var deletion = DeletionInsertion.Deletion(model, images, result.Maps, classes);
        float[]? pointing = null, energy = null;
        if (maskPath is not null)
        {
            var mask = LoadMask(maskPath, result.Maps.shape[1], result.Maps.shape[2]).to(result.Maps.device).expand(result.Maps.shape[0], -1, -1);
            using var game = PointingGame.Evaluate(result.Maps, mask);
            pointing = game.Hits.cpu().data<float>().ToArray();
            energy = EnergyPointingGame.Compute(result.Maps, mask).cpu().data<float>().ToArray();
        }
        var cls = result.Classes.cpu().data<long>().ToArray();
        var drop = change.Drop.cpu().data<float>().ToArray();
        var increase = change.Increase.cpu().data<float>().ToArray();
        var ins = insertion.Auc.cpu().data<float>().ToArray();
        var del = deletion.Auc.cpu().data<float>().ToArray();
        var rows = new List<Dictionary<string, object>>();
        for (int i = 0; i < cls.Length; i++)
        {
            var row = new Dictionary<string, object>
            {
                ["image"] = result.ImageIndex[i], ["class"] = cls[i], ["average_drop"] = drop[i],
                ["increase_in_confidence"] = increase[i], ["insertion_auc"] = ins[i], ["deletion_auc"] = del[i],
            };
            if (pointing is not null) { row["pointing_game"] = pointing[i]; row["energy_pointing_game"] = energy![i]; }
            rows.Add(row);
            FormattableString line = $"image {result.ImageIndex[i]} class {cls[i]}: average drop {drop[i]:F2}, increase {increase[i]:F0}, insertion AUC {ins[i]:F4}, deletion AUC {del[i]:F4}";
            FormattableString games = $", pointing {pointing?[i]:F0}, energy pointing {energy?[i]:F4}";
            stdout.WriteLine(line.ToString(CultureInfo.InvariantCulture) + (pointing is null ? "" : games.ToString(CultureInfo.InvariantCulture)));
        }
        File.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, object> { ["rows"] = rows }, new JsonSerializerOptions { WriteIndented = true }));
        stdout.WriteLine($"wrote {path}");
    }

    /// <summary>The mask image at the maps' size [H,W], resized with nearest neighbours when needed.</summary>
    private static Tensor LoadMask(string path, long height, long width)
    {
        var (values, w, h) = MaskFile.Read(path);
        var mask = tensor(values, new long[] { h, w }).to_type(ScalarType.Float32);
        if (h != height || w != width)
            mask = nn.functional.interpolate(mask[TensorIndex.None, TensorIndex.None], new[] { height, width }, mode: InterpolationMode.Nearest)[0, 0];
        return mask.gt(0.5);
    }
}
