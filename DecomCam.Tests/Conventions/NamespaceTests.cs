using System.Text.RegularExpressions;
using DecomCamNet.Tests.Support;
using Microsoft.CodeAnalysis;

namespace DecomCamNet.Tests.Conventions;

/// <summary>
/// Namespaces follow the projects and their folders (<c>DecomCam.Evaluation/Metrics</c> is
/// <c>DecomCamNet.Evaluation.Metrics</c>; Core and Methods add no project segment), while the types a user's first lines
/// need sit at the root of Core and in Methods, where <c>using DecomCamNet;</c> finds them.
/// </summary>
public partial class NamespaceTests
{
    /// <summary>Each library project and the namespace its root folder declares.</summary>
    private static readonly (string Project, string Namespace)[] Projects =
    [
        ("DecomCam.Core", "DecomCamNet"), ("DecomCam.Methods", "DecomCamNet"), ("DecomCam.Clip", "DecomCamNet.Clip"),
        ("DecomCam.Onnx", "DecomCamNet.Onnx"), ("DecomCam.Evaluation", "DecomCamNet.Evaluation"),
        ("DecomCam.Batches", "DecomCamNet.Batches"), ("DecomCam.Cli", "DecomCamNet.Cli"),
    ];

    [Fact]
    public void EachFileDeclaresTheNamespaceOfItsFolder()
    {
        var wrong = new List<string>();
        int files = 0;
        foreach (var (project, rootNamespace) in Projects)
        {
            string dir = Path.Combine(RepoPaths.Root, project);
            foreach (string file in SourceFiles(dir))
            {
                string? declared = DeclaredNamespace().Match(File.ReadAllText(file)) is { Success: true } m ? m.Groups[1].Value : null;
                if (declared is null) continue; // top-level statements (the CLI's Program.cs)
                files++;
                string folder = Path.GetRelativePath(dir, Path.GetDirectoryName(file)!);
                string expected = folder == "." ? rootNamespace : rootNamespace + "." + folder.Replace(Path.DirectorySeparatorChar, '.');
                if (declared != expected) wrong.Add($"{Path.GetRelativePath(RepoPaths.Root, file)}: {declared}, expected {expected}");
            }
        }
        Assert.True(files > 200, $"only {files} sources found under {RepoPaths.Root}");
        Assert.True(wrong.Count == 0, "Namespaces that do not follow their folders:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void TheFirstLinesOfTheReadmeNeedOnlyTheRootNamespace()
    {
        var compilation = LibraryCompilation.CompileSnippet("""
            using DecomCamNet;
            using TorchSharp;
            using static TorchSharp.torch;

            static class FirstLines
            {
                static void Run(nn.Module<Tensor, Tensor> model, Tensor tensor)
                {
                    using var decom = new DecomCam(model, "layer4");
                    using CamResult result = decom.Explain(tensor, 281);
                    using ICamMethod cam = CamMethods.Create("gradcam", model, [(CamLayer)"layer4"], new CamMethodSettings());
                    using CamResult top = cam.Explain(tensor, CamTarget.TopClass);
                    using var union = new UnionCam(model, "layer4");
                    using var score = new ScoreCam(model, "layer4", new ScoreCamOptions(BatchSize: 8)) { MaskedLayout = MaskedInputLayout.Contiguous };
                }
            }
            """);
        var errors = LibraryCompilation.Errors(compilation);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void AFileInTheWrongNamespaceIsFound()
    {
        Assert.Equal("DecomCamNet.Evaluation.Metrics",
            DeclaredNamespace().Match("using X;\n\nnamespace DecomCamNet.Evaluation.Metrics;\n\npublic class A;").Groups[1].Value);
        Assert.False(DeclaredNamespace().Match("// namespace DecomCamNet.Wrong;\nConsole.WriteLine();").Success);
    }

    [GeneratedRegex(@"^namespace ([\w.]+)\s*[;{]", RegexOptions.Multiline)]
    private static partial Regex DeclaredNamespace();

    private static IEnumerable<string> SourceFiles(string dir) =>
        Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories).Where(f =>
            !f.StartsWith(Path.Combine(dir, "obj") + Path.DirectorySeparatorChar, StringComparison.Ordinal) &&
            !f.StartsWith(Path.Combine(dir, "bin") + Path.DirectorySeparatorChar, StringComparison.Ordinal));
}
