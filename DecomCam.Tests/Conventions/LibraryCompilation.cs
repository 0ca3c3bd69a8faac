using System.Reflection;
using DecomCamNet.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DecomCamNet.Tests.Conventions;

/// <summary>
/// Compiles one library project's sources with Roslyn, as the build does: its own <c>.cs</c> files, what the build
/// generated into <c>obj/&lt;configuration&gt;/net10.0</c> (implicit global usings, assembly attributes, protobuf classes),
/// and the test run's assemblies (the trusted platform assemblies: framework, packages, the other library projects) as
/// references. The semantic model then says, for every expression, which TorchSharp member it calls.
/// </summary>
internal static class LibraryCompilation
{
    private static readonly Lazy<IReadOnlyList<(string Name, MetadataReference Reference)>> References = new(LoadReferences);

    /// <summary>The configuration this test assembly was built in; the library projects were built in the same one.</summary>
    private static string Configuration =>
        typeof(LibraryCompilation).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    /// <summary>Compiles <paramref name="project"/> (a folder name under the repository root, e.g. <c>DecomCam.Core</c>).</summary>
    public static CSharpCompilation Compile(string project)
    {
        string dir = Path.Combine(RepoPaths.Root, project);
        string generated = Path.Combine(dir, "obj", Configuration, "net10.0");
        if (!File.Exists(Path.Combine(generated, project + ".GlobalUsings.g.cs")))
            throw new InvalidOperationException($"{generated} holds no {project}.GlobalUsings.g.cs: build {project} in {Configuration} first.");
        var own = Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsUnder(f, Path.Combine(dir, "obj")) && !IsUnder(f, Path.Combine(dir, "bin")));
        var files = own.Concat(Directory.EnumerateFiles(generated, "*.cs", SearchOption.AllDirectories));
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), options, f)).ToList();
        var references = References.Value.Where(r => r.Name != project).Select(r => r.Reference);
        return CSharpCompilation.Create(project, trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }

    /// <summary>Compiles a snippet against the same references (the scanner's own test).</summary>
    public static CSharpCompilation CompileSnippet(string source) =>
        CSharpCompilation.Create("Snippet", [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), "Snippet.cs")],
            References.Value.Select(r => r.Reference),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>
    /// Compile errors, less those a source generator would have resolved (<c>[GeneratedRegex]</c> partial methods have no
    /// body without the regex generator, which this compilation does not run).
    /// </summary>
    public static IReadOnlyList<Diagnostic> Errors(Compilation compilation) =>
        compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Where(d => !(d.Id == "CS8795" && IsGeneratedRegex(compilation, d)))
            .ToList();

    private static bool IsGeneratedRegex(Compilation compilation, Diagnostic d)
    {
        var tree = d.Location.SourceTree;
        if (tree is null) return false;
        var node = tree.GetRoot().FindNode(d.Location.SourceSpan);
        var method = compilation.GetSemanticModel(tree).GetDeclaredSymbol(node);
        return method?.GetAttributes().Any(a => a.AttributeClass?.Name == "GeneratedRegexAttribute") == true;
    }

    private static bool IsUnder(string file, string folder) =>
        file.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static IReadOnlyList<(string, MetadataReference)> LoadReferences()
    {
        string tpa = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string
            ?? throw new InvalidOperationException("The runtime lists no trusted platform assemblies.");
        return tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => (Path.GetFileNameWithoutExtension(p), (MetadataReference)MetadataReference.CreateFromFile(p)))
            .ToList();
    }
}
