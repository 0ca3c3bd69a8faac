using System.Globalization;
using System.Text.Json;
using DecomCamNet.Evaluation.Scenes;
using DecomCamNet.Evaluation.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace DecomCamNet.Cli;

/// <summary>
/// <c>decomcam train-demo</c>: trains a bundled demo model on generated scenes (<see cref="Models.SceneNet"/> or, with
/// <c>--arch vit</c>, the scene ViT, see <see cref="DemoTrainer"/>; with <c>--task detect</c> the detector
/// <see cref="Models.SceneDet"/>, see <see cref="DetectionTrainer"/>) and writes its weights as safetensors, its class names beside them (<c>.labels.txt</c>)
/// and the held-out report (<c>.json</c>).
/// </summary>
internal sealed class TrainDemoCommand(TrainDemoOptions options, TextWriter stdout, TextWriter stderr)
{
    public int Run()
    {
        string outPath = options.Out;
        if (!outPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new CliException($"--out must name a .safetensors file; got '{outPath}'.");
        string? folder = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (folder is not null && !Directory.Exists(folder)) throw new CliException($"The folder of --out ('{folder}') does not exist.");
        var device = ExplainCommand.ParseDevice(options.Device);
        set_num_threads(options.Threads ?? Math.Max(1, Environment.ProcessorCount));
        string stem = outPath[..^".safetensors".Length];
        var progress = options.Verbosity.Progress(stderr);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var report = new SynchronousProgress<DemoTrainingProgress>(p => progress.Report(
            new CamProgress(string.Create(CultureInfo.InvariantCulture, $"training {p.Loss:F3}"), p.Step, p.Steps)));
        string what = options.Task == DemoTask.Detect ? " --task detect" : options.Architecture == DemoArchitecture.Vit ? " --arch vit" : " --arch scenenet";
        string command = string.Create(CultureInfo.InvariantCulture, $"decomcam train-demo{what} --seed {options.Seed} --steps {options.Steps} --batch-size {options.BatchSize} --lr {options.LearningRate} --device {options.Device}");
        if (options.Task == DemoTask.Detect) return TrainDetector(device, stem, progress, clock, report, command);

        var settings = options.Settings();
        Checked(settings.Validate);
        var (model, heldOut) = DemoTrainer.Train(settings, device, report);
        progress.Finish();
        using (model)
        {
            model.to(CPU).save_safetensors(outPath);
        }
        File.WriteAllLines(stem + ".labels.txt", SceneShapes.Classes);
        WriteReport(stem, command, clock, heldOut);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained {options.ModelName} in {clock.Elapsed.TotalMinutes:F1} min: held-out ({heldOut.Scenes} scenes) top-class accuracy {heldOut.TopClassAccuracy:P1}, exact label set {heldOut.ExactMatch:P1}, per-label {heldOut.LabelAccuracy:P1}"));
        for (int c = 0; c < SceneShapes.Classes.Count; c++)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {SceneShapes.Classes[c],-9} recall {heldOut.ClassRecall[c]:P1}  precision {heldOut.ClassPrecision[c]:P1}"));
        stdout.WriteLine($"wrote {options.Out}, {stem}.labels.txt and {stem}.json");
        return 0;
    }

    private int TrainDetector(Device device, string stem, ProgressBar progress, System.Diagnostics.Stopwatch clock, IProgress<DemoTrainingProgress> report, string command)
    {
        var settings = new DetectionTrainingOptions(options.Seed, options.Steps, options.BatchSize, options.LearningRate, HeldOut: options.HeldOut);
        Checked(settings.Validate);
        var (model, heldOut) = DetectionTrainer.Train(settings, device, report);
        progress.Finish();
        using (model)
        {
            model.to(CPU).save_safetensors(options.Out);
        }
        File.WriteAllLines(stem + ".labels.txt", SceneShapes.Classes);
        WriteReport(stem, command, clock, heldOut);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained SceneDet in {clock.Elapsed.TotalMinutes:F1} min: held-out ({heldOut.Scenes} scenes) mAP@0.5 {heldOut.Map50:P1}"));
        for (int c = 0; c < SceneShapes.Classes.Count; c++)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {SceneShapes.Classes[c],-9} AP@0.5 {heldOut.ClassAp50[c]:P1}"));
        stdout.WriteLine($"wrote {options.Out}, {stem}.labels.txt and {stem}.json");
        return 0;
    }

    private static void Checked(Action validate)
    {
        try
        {
            validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new CliException(e.Message.Split(Environment.NewLine)[0]);
        }
    }

    private void WriteReport(string stem, string command, System.Diagnostics.Stopwatch clock, object heldOut) =>
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(new
        {
            command,
            threads = get_num_threads(),
            seconds = Math.Round(clock.Elapsed.TotalSeconds),
            held_out = heldOut,
            classes = SceneShapes.Classes,
        }, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));

    /// <summary>Reports on the training thread (<see cref="Progress{T}"/> would post to the thread pool, out of order).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
