using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace DecomCamNet.Tests.Conventions;

/// <summary>
/// Finds the places where code hands TorchSharp a native <c>Scalar</c> whose lifetime nobody holds: the finalizer may free
/// it while the native call that was handed it still runs (a use-after-free, seen twice in this project). Reported:
/// <list type="bullet">
/// <item>every conversion of a number to <c>Scalar</c> (<c>t.gt(0)</c>, <c>t.clamp(0f, 1f)</c>, <c>t.mul(factor)</c>,
/// <c>(Scalar)x</c>) and every <c>ToScalar()</c>, unless a static field, a <c>using</c> or a closure holds the result;</item>
/// <item>every call of a TorchSharp member that makes such a Scalar inside itself (<see cref="CreatesScalarInside"/>):
/// <c>a + b</c>, <c>a.add(b)</c> (the hidden <c>alpha = 1</c>), <c>t * 2f</c>, <c>1 - t</c>, <c>t.ToSingle()</c>...</item>
/// </list>
/// </summary>
internal static class UnownedScalarScanner
{
    /// <summary>
    /// TorchSharp 0.107 members that convert a number to a Scalar inside themselves and never dispose it (read in
    /// TorchSharp's sources: <c>add(Tensor target) => add(target, 1)</c>, <c>ToSingle(this Tensor value) =>
    /// value.ToScalar().ToSingle()</c>, <c>leaky_relu</c> converting its <c>double</c> slope...). Operators of
    /// <c>Tensor</c> with a number operand are matched by rule, not listed. Not here: <c>sub(Tensor)</c> and
    /// <c>a - b</c> (native, no alpha), <c>addmm</c>/<c>baddbmm</c> (plain <c>float</c> alpha and beta).
    /// </summary>
    private static readonly HashSet<string> CreatesScalarInside =
    [
        // The hidden alpha = 1 of an addition (Scalar - Tensor is right.negative().add(left)).
        "M:TorchSharp.torch.Tensor.add(TorchSharp.torch.Tensor)",
        "M:TorchSharp.torch.Tensor.add(TorchSharp.Scalar)",
        "M:TorchSharp.torch.Tensor.add_(TorchSharp.torch.Tensor)",
        "M:TorchSharp.torch.Tensor.add_(TorchSharp.Scalar)",
        "M:TorchSharp.torch.add(TorchSharp.torch.Tensor,TorchSharp.torch.Tensor)",
        "M:TorchSharp.torch.add(TorchSharp.torch.Tensor,TorchSharp.Scalar)",
        "M:TorchSharp.torch.add_(TorchSharp.torch.Tensor,TorchSharp.torch.Tensor)",
        "M:TorchSharp.torch.add_(TorchSharp.torch.Tensor,TorchSharp.Scalar)",
        "M:TorchSharp.torch.Tensor.op_Addition(TorchSharp.torch.Tensor,TorchSharp.torch.Tensor)",
        "M:TorchSharp.torch.Tensor.op_Addition(TorchSharp.torch.Tensor,TorchSharp.Scalar)",
        "M:TorchSharp.torch.Tensor.op_Addition(TorchSharp.Scalar,TorchSharp.torch.Tensor)",
        "M:TorchSharp.torch.Tensor.op_Subtraction(TorchSharp.Scalar,TorchSharp.torch.Tensor)",
        "M:TorchSharp.torch.Tensor.addcdiv(TorchSharp.torch.Tensor,TorchSharp.torch.Tensor)",
        "M:TorchSharp.torch.Tensor.addcdiv_(TorchSharp.torch.Tensor,TorchSharp.torch.Tensor)",
        // Fixed or numeric arguments turned into Scalars.
        "M:TorchSharp.torch.Tensor.square",
        "M:TorchSharp.torch.square(TorchSharp.torch.Tensor)",
        "M:TorchSharp.torch.Tensor.celu",
        "M:TorchSharp.torch.Tensor.celu_",
        "M:TorchSharp.torch.Tensor.elu(System.Double)",
        "M:TorchSharp.torch.Tensor.elu_(System.Double)",
        "M:TorchSharp.torch.Tensor.softplus(System.Double,System.Double)",
        "M:TorchSharp.torch.Tensor.tolist",
        "M:TorchSharp.torch.arange(TorchSharp.Scalar,System.Nullable{TorchSharp.torch.ScalarType},TorchSharp.torch.Device,System.Boolean)",
        "M:TorchSharp.torch.arange(TorchSharp.Scalar,TorchSharp.Scalar,System.Nullable{TorchSharp.torch.ScalarType},TorchSharp.torch.Device,System.Boolean)",
        "M:TorchSharp.torch.normal(System.Double,System.Double,System.ReadOnlySpan{System.Int64},System.Nullable{TorchSharp.torch.ScalarType},TorchSharp.torch.Device,System.Boolean,TorchSharp.torch.Generator,System.String[])",
        "M:TorchSharp.torch.normal(TorchSharp.torch.Tensor,TorchSharp.torch.Tensor,TorchSharp.torch.Generator)",
        "M:TorchSharp.torch.linalg.vector_norm(TorchSharp.torch.Tensor,System.Double,System.Int64[],System.Boolean)",
        "M:TorchSharp.torch.linalg.matrix_norm(TorchSharp.torch.Tensor,System.Double,System.Int64[],System.Boolean)",
        "M:TorchSharp.torch.nn.functional.celu(TorchSharp.torch.Tensor,System.Double,System.Boolean)",
        "M:TorchSharp.torch.nn.functional.elu(TorchSharp.torch.Tensor,System.Double,System.Boolean)",
        "M:TorchSharp.torch.nn.functional.hardtanh(TorchSharp.torch.Tensor,System.Double,System.Double,System.Boolean)",
        "M:TorchSharp.torch.nn.functional.Hardtanh(TorchSharp.torch.Tensor,System.Double,System.Double,System.Boolean)",
        "M:TorchSharp.torch.nn.functional.leaky_relu(TorchSharp.torch.Tensor,System.Double,System.Boolean)",
        "M:TorchSharp.torch.nn.functional.mish(TorchSharp.torch.Tensor,System.Boolean)",
        "M:TorchSharp.torch.nn.functional.Mish(TorchSharp.torch.Tensor)",
        "M:TorchSharp.torch.nn.functional.softplus(TorchSharp.torch.Tensor,System.Double,System.Double)",
        "M:TorchSharp.torch.nn.functional.softsign(TorchSharp.torch.Tensor,System.Boolean)",
        "M:TorchSharp.torch.nn.functional.Softsign(TorchSharp.torch.Tensor)",
        "M:TorchSharp.torch.nn.functional.threshold(TorchSharp.torch.Tensor,System.Double,System.Double,System.Boolean)",
        "M:TorchSharp.torch.nn.functional.Threshold(TorchSharp.torch.Tensor,System.Double,System.Double,System.Boolean)",
        // Reading a one-element tensor through a Scalar (item<T>() reads the data instead).
        "M:TorchSharp.TensorExtensionMethods.ToBoolean(TorchSharp.torch.Tensor)",
        "M:TorchSharp.TensorExtensionMethods.ToByte(TorchSharp.torch.Tensor)",
        "M:TorchSharp.TensorExtensionMethods.ToSByte(TorchSharp.torch.Tensor)",
        "M:TorchSharp.TensorExtensionMethods.ToInt16(TorchSharp.torch.Tensor)",
        "M:TorchSharp.TensorExtensionMethods.ToInt32(TorchSharp.torch.Tensor)",
        "M:TorchSharp.TensorExtensionMethods.ToInt64(TorchSharp.torch.Tensor)",
        "M:TorchSharp.TensorExtensionMethods.ToHalf(TorchSharp.torch.Tensor)",
        "M:TorchSharp.TensorExtensionMethods.ToBFloat16(TorchSharp.torch.Tensor)",
        "M:TorchSharp.TensorExtensionMethods.ToSingle(TorchSharp.torch.Tensor)",
        "M:TorchSharp.TensorExtensionMethods.ToDouble(TorchSharp.torch.Tensor)",
        "M:TorchSharp.TensorExtensionMethods.ToComplex32(TorchSharp.torch.Tensor)",
        "M:TorchSharp.TensorExtensionMethods.ToComplex64(TorchSharp.torch.Tensor)",
        "M:TorchSharp.TensorExtensionMethods.ToComplexFloat32(TorchSharp.torch.Tensor)",
        "M:TorchSharp.TensorExtensionMethods.ToComplexFloat64(TorchSharp.torch.Tensor)",
        "M:TorchSharp.torch.Tensor.op_Explicit(TorchSharp.torch.Tensor)~System.Boolean",
        "M:TorchSharp.torch.Tensor.op_Explicit(TorchSharp.torch.Tensor)~System.Byte",
        "M:TorchSharp.torch.Tensor.op_Explicit(TorchSharp.torch.Tensor)~System.SByte",
        "M:TorchSharp.torch.Tensor.op_Explicit(TorchSharp.torch.Tensor)~System.Int16",
        "M:TorchSharp.torch.Tensor.op_Explicit(TorchSharp.torch.Tensor)~System.Int32",
        "M:TorchSharp.torch.Tensor.op_Explicit(TorchSharp.torch.Tensor)~System.Int64",
        "M:TorchSharp.torch.Tensor.op_Explicit(TorchSharp.torch.Tensor)~System.Single",
        "M:TorchSharp.torch.Tensor.op_Explicit(TorchSharp.torch.Tensor)~System.Double",
    ];

    /// <summary>Every unowned Scalar in the compilation's hand-written trees, as <c>path:line: what: code</c>, paths relative to <paramref name="root"/>.</summary>
    public static IReadOnlyList<string> Scan(Compilation compilation, string root)
    {
        var scalar = compilation.GetTypeByMetadataName("TorchSharp.Scalar")
            ?? throw new InvalidOperationException($"{compilation.AssemblyName}: TorchSharp.Scalar does not resolve; the references are incomplete.");
        var tensor = compilation.GetTypeByMetadataName("TorchSharp.torch+Tensor")
            ?? throw new InvalidOperationException($"{compilation.AssemblyName}: TorchSharp.torch.Tensor does not resolve.");
        var findings = new List<string>();
        foreach (var tree in compilation.SyntaxTrees.Where(t => !IsGenerated(t.FilePath)))
        {
            var model = compilation.GetSemanticModel(tree);
            var seen = new HashSet<IOperation>();
            foreach (var node in tree.GetRoot().DescendantNodes().Where(IsOperationRoot))
            {
                if (model.GetOperation(node) is not { } root1 || !seen.Add(root1)) continue;
                foreach (var op in root1.DescendantsAndSelf())
                    if (Describe(op, root1, scalar, tensor) is { } what)
                        findings.Add($"{Relative(tree.FilePath, root)}:{op.Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1}: {what}: {Code(op)}");
            }
        }
        return findings.Distinct().ToList();
    }

    private static string? Describe(IOperation op, IOperation root, INamedTypeSymbol scalar, INamedTypeSymbol tensor)
    {
        switch (op)
        {
            case IConversionOperation c when c.OperatorMethod?.ContainingType is { } owner && Same(owner, scalar) && Same(c.Type, scalar):
                return Held(op, root) ? null : $"{c.Operand.Type} converted to Scalar";
            case IConversionOperation c when c.OperatorMethod is { } m && Creates(m, tensor):
                return $"{Name(m)} reads through a Scalar";
            case IInvocationOperation inv when inv.TargetMethod.Name == "ToScalar" && Same(inv.Type, scalar):
                return Held(op, root) ? null : "ToScalar() not held by a using, a static field or a closure";
            case IInvocationOperation inv when Creates(inv.TargetMethod, tensor):
                return $"{Name(inv.TargetMethod)} makes a Scalar inside";
            case IBinaryOperation b when b.OperatorMethod is { } m && Creates(m, tensor):
                return $"operator {b.OperatorKind} ({string.Join(", ", m.Parameters.Select(p => p.Type.Name))}) makes a Scalar inside";
            case ICompoundAssignmentOperation ca when ca.OperatorMethod is { } m && Creates(m, tensor):
                return $"compound {ca.OperatorKind} ({string.Join(", ", m.Parameters.Select(p => p.Type.Name))}) makes a Scalar inside";
            default:
                return null;
        }
    }

    /// <summary>A listed member, or an operator of Tensor that takes a plain number (converted to a Scalar inside).</summary>
    private static bool Creates(IMethodSymbol method, INamedTypeSymbol tensor)
    {
        var m = method.ReducedFrom ?? method;
        if (m.OriginalDefinition.GetDocumentationCommentId() is { } id && CreatesScalarInside.Contains(id)) return true;
        return m.MethodKind == MethodKind.UserDefinedOperator && Same(m.ContainingType, tensor)
            && m.Parameters.Any(p => p.Type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64
                or SpecialType.System_Single or SpecialType.System_Double);
    }

    private static bool IsOperationRoot(SyntaxNode node) => node switch
    {
        BaseMethodDeclarationSyntax or AccessorDeclarationSyntax => true,
        ArrowExpressionClauseSyntax a => a.Parent is PropertyDeclarationSyntax or IndexerDeclarationSyntax,
        EqualsValueClauseSyntax e => e.Parent is PropertyDeclarationSyntax || e.Parent?.Parent?.Parent is FieldDeclarationSyntax,
        PrimaryConstructorBaseTypeSyntax => true,
        _ => false,
    };

    /// <summary>
    /// Whether the new Scalar is held for as long as it is used: by a static field, by a <c>using</c>, or by a local that
    /// only lambdas read (the kernel pattern: made once, captured by the closure that the caller keeps).
    /// </summary>
    private static bool Held(IOperation op, IOperation root) => InStaticField(op) || HeldByUsing(op) || HeldByClosure(op, root);

    private static bool HeldByClosure(IOperation op, IOperation root)
    {
        if (Initialized(op) is not { Parent: IVariableDeclaratorOperation { Symbol: var local } }) return false;
        var reads = root.Descendants().OfType<ILocalReferenceOperation>()
            .Where(r => SymbolEqualityComparer.Default.Equals(r.Local, local)).ToList();
        return reads.Count > 0 && reads.All(InsideLambda);
    }

    private static bool InsideLambda(IOperation op)
    {
        for (var o = op.Parent; o is not null; o = o.Parent)
            if (o is IAnonymousFunctionOperation) return true;
        return false;
    }

    private static IVariableInitializerOperation? Initialized(IOperation op)
    {
        var o = op.Parent;
        while (o is IConversionOperation { IsImplicit: true }) o = o.Parent;
        return o as IVariableInitializerOperation;
    }

    private static bool InStaticField(IOperation op)
    {
        for (var o = op.Parent; o is not null; o = o.Parent)
            if (o is IFieldInitializerOperation f) return f.InitializedFields.All(x => x.IsStatic);
        return false;
    }

    private static bool HeldByUsing(IOperation op)
    {
        return Initialized(op) is { Parent: IVariableDeclaratorOperation { Parent: IVariableDeclarationOperation { Parent: var group } } }
            && group is IVariableDeclarationGroupOperation { Parent: IUsingDeclarationOperation or IUsingOperation };
    }

    private static string Code(IOperation op)
    {
        var node = op.Parent is IArgumentOperation { Parent: { } call } ? call.Syntax : op.Syntax;
        string text = string.Join(" ", node.ToString().Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()));
        return text.Length <= 140 ? text : text[..137] + "...";
    }

    private static string Name(IMethodSymbol m) => (m.ReducedFrom ?? m).ContainingType.Name + "." + m.Name;

    private static bool Same(ISymbol? a, ISymbol b) => SymbolEqualityComparer.Default.Equals(a?.OriginalDefinition, b);

    private static bool IsGenerated(string path) =>
        path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal);

    private static string Relative(string path, string root) => Path.GetRelativePath(root, path);
}
