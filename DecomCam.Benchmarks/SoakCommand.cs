using System.Globalization;
using System.Reflection;
using DecomCamNet.ExplainService.Soak;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// <c>soak [--minutes M | --seconds S] [--threads T] [--workers W] [--onnx PATH]</c>: runs <see cref="ExplainSoak"/>
/// against the sample service in this process and prints its summary line last. Exit code 0 when every map matched and
/// nothing failed, 1 otherwise, 2 for a usage error. The ONNX model defaults to the ResNet-18 body that the
/// Microsoft.ML.DnnImageFeaturizer.ResNet18 package ships (downloaded at restore).
/// </summary>
internal static class SoakCommand
{
    public static int Run(string[] args)
    {
        SoakOptions options;
        try
        {
            options = Parse(args);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine("usage: soak [--minutes M | --seconds S] [--threads T] [--workers W] [--onnx PATH]");
            return 2;
        }
        var result = ExplainSoak.Run(options, Console.Out);
        Console.WriteLine(result.Line);
        return result.Passed ? 0 : 1;
    }

    private static SoakOptions Parse(string[] args)
    {
        var options = new SoakOptions { OnnxModel = BundledOnnx() };
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value.");
            options = args[i] switch
            {
                "--minutes" => options with { Duration = TimeSpan.FromMinutes(Number(Value(), "--minutes")) },
                "--seconds" => options with { Duration = TimeSpan.FromSeconds(Number(Value(), "--seconds")) },
                "--threads" => options with { Threads = (int)Number(Value(), "--threads") },
                "--workers" => options with { Workers = (int)Number(Value(), "--workers") },
                "--onnx" => options with { OnnxModel = Value() },
                _ => throw new FormatException($"Unknown option '{args[i]}'."),
            };
        }
        if (options.OnnxModel is { } onnx && !File.Exists(onnx)) throw new FormatException($"The ONNX model '{onnx}' does not exist.");
        return options;
    }

    private static double Number(string text, string option) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value > 0
            ? value
            : throw new FormatException($"{option} takes a positive number, not '{text}'.");

    private static string? BundledOnnx()
    {
        string? path = typeof(SoakCommand).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == "ResNet18Onnx")?.Value;
        return path is not null && File.Exists(path) ? path : null;
    }
}
