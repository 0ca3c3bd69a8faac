using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DecomCamNet.Tests.Support;

/// <summary>
/// A tiny "vision transformer": a 2x2 patch convolution (<c>patch</c>), a learned class token prepended, an identity
/// <c>block</c> over the tokens (batch first, or sequence first as OpenAI's CLIP), and a linear head on the mean of the
/// spatial tokens (or on the class token alone). With the identity block, a CAM of <c>block</c> through the token reshape
/// sees exactly the activations and gradients of <c>patch</c>.
/// </summary>
internal sealed class TokenNet : Module<Tensor, Tensor>
{
    public readonly Conv2d patch;
    public readonly Module<Tensor, Tensor> block;
    public readonly Linear head;
    public readonly Parameter cls;
    private readonly bool _sequenceFirst;
    private readonly bool _classTokenOnly;

    public TokenNet(bool sequenceFirst, bool classTokenOnly = false) : base(nameof(TokenNet))
    {
        manual_seed(3);
        patch = Conv2d(3, 6, 2, stride: 2);
        block = Identity();
        head = Linear(6, 4);
        cls = Parameter(randn(1, 1, 6));
        _sequenceFirst = sequenceFirst;
        _classTokenOnly = classTokenOnly;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var grid = patch.call(x);                                           // [N,6,h,w]
        var tokens = cat(new[] { cls.expand(x.shape[0], 1, 6), grid.flatten(2).transpose(1, 2) }, 1); // [N,1+hw,6]
        if (_sequenceFirst) tokens = tokens.transpose(0, 1);                // [L,N,6]
        var y = block.call(tokens);
        if (_sequenceFirst) y = y.transpose(0, 1);
        var pooled = _classTokenOnly ? y[.., 0] : y[.., 1..].mean(new long[] { 1 });
        return head.call(pooled);
    }
}
