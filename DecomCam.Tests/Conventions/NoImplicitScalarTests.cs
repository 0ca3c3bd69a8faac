using DecomCamNet.Tests.Support;
using Xunit.Abstractions;

namespace DecomCamNet.Tests.Conventions;

/// <summary>
/// Library code keeps every native <c>Scalar</c>'s lifetime in hand: no number reaches a tensor call as an implicit
/// Scalar, no TorchSharp member that makes one inside (<c>a + b</c>, <c>a.add(b)</c>, <c>t * 2f</c>, <c>t.ToSingle()</c>)
/// is called. Such a Scalar is freed by the finalizer, possibly while the native call still uses it.
/// </summary>
public class NoImplicitScalarTests(ITestOutputHelper output)
{
    private static readonly string[] LibraryProjects =
        ["DecomCam.Core", "DecomCam.Methods", "DecomCam.Clip", "DecomCam.Onnx", "DecomCam.Evaluation", "DecomCam.Batches"];

    [Fact]
    public void LibraryCodeHandsTorchSharpNoUnownedScalar()
    {
        var findings = new List<string>();
        foreach (string project in LibraryProjects)
        {
            var compilation = LibraryCompilation.Compile(project);
            var errors = LibraryCompilation.Errors(compilation);
            Assert.True(errors.Count == 0, $"{project} does not compile here, so its semantic model cannot be trusted:\n"
                + string.Join("\n", errors.Take(20)));
            findings.AddRange(UnownedScalarScanner.Scan(compilation, RepoPaths.Root));
        }
        foreach (string f in findings) output.WriteLine(f);
        Assert.True(findings.Count == 0,
            $"{findings.Count} unowned native Scalars in library code (use CachedScalars, a private static readonly Scalar, "
            + "or `using var s = x.ToScalar();` around the call; `a.add(b, CachedScalars.One)` for a + b):\n" + string.Join("\n", findings));
    }

    private const string Snippet = """
        using TorchSharp;
        using static TorchSharp.torch;
        static class Sites
        {
            static readonly Scalar Two = 2;                  // held by a static field: fine
            static readonly Scalar Half = 0.5.ToScalar();    // fine
            static Tensor Run(Tensor a, Tensor b, double factor)
            {
                var c = a.gt(0);                             // 9: int converted
                var d = a * 2f;                              // 10: operator with a float
                var e = 1 - a;                               // 11: operator with an int
                var f = a + b;                               // 12: hidden alpha
                var g = a.add(b);                            // 13: hidden alpha
                var h = a.mul(factor);                       // 14: double variable converted
                float v = a.sum().ToSingle();                // 15: read through a Scalar
                var k = a.clamp(0f, 1f);                     // 16: two floats converted (one finding per line and kind)
                var s = factor.ToScalar();                   // 17: not held
                using var t = factor.ToScalar();             // fine
                using (var u = factor.ToScalar()) { }        // fine
                var ok = a.add(b, Two).mul(t).sub(b) - b;    // fine: explicit alpha, held Scalar, tensor subtraction
                a += b;                                      // 21: compound, hidden alpha
                return torch.full(new long[] { 2 }, 1f);     // 22: float converted
            }
            static System.Func<Tensor, Tensor> Kernel(Tensor x, float slope)
            {
                var held = slope.ToScalar();                 // fine: only the closure reads it
                using Scalar scale = slope;                  // fine: held by a using
                var leaked = slope.ToScalar();               // 28: read outside the closure as well
                x.mul(scale).mul(leaked);
                return t => t.leaky_relu(held).mul(leaked);
            }
        }
        """;

    [Fact]
    public void ScannerFindsEveryKindOfSite()
    {
        var compilation = LibraryCompilation.CompileSnippet(Snippet);
        Assert.Empty(LibraryCompilation.Errors(compilation));
        var findings = UnownedScalarScanner.Scan(compilation, Directory.GetCurrentDirectory());
        foreach (string f in findings) output.WriteLine(f);
        var lines = findings.Select(f => int.Parse(f.Split(':')[1])).ToList();
        Assert.Equal([9, 10, 11, 12, 13, 14, 15, 16, 17, 21, 22, 28], lines.Order());
    }
}
