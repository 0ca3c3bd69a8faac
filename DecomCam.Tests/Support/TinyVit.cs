using DecomCamNet.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DecomCamNet.Tests.Support;

/// <summary>
/// A tiny vision transformer that follows the attention convention (each attention passes its probabilities through an
/// <see cref="AttentionProbabilities"/> named <c>attn_probs</c>): 16x16 input, 4x4 patches (a 4x4 grid), a class token,
/// width 8, 2 heads, 2 pre-norm blocks, a final norm <c>ln</c> and a <c>head</c> of 5 classes on the class token.
/// reference/attention_reference.py's TinyVit is the same module with the same state-dict names; both are filled with
/// <see cref="DeterministicInit"/>.
/// </summary>
internal sealed class TinyVit : Module<Tensor, Tensor>
{
    private readonly Conv2d patch = Conv2d(3, 8, 4, stride: 4);
    private readonly Parameter cls_token = Parameter(zeros(1, 1, 8));
    private readonly Parameter pos_embedding = Parameter(zeros(1, 17, 8));
    private readonly ModuleList<Block> blocks = new(new Block(), new Block());
    private readonly LayerNorm ln = LayerNorm(8);
    private readonly Linear head = Linear(8, 5);

    public TinyVit() : base(nameof(TinyVit))
    {
        RegisterComponents();
        DeterministicInit.FillModule(this);
    }

    public override Tensor forward(Tensor x)
    {
        var tokens = patch.call(x).flatten(2).transpose(1, 2);
        var x0 = cat(new[] { cls_token.expand(x.shape[0], 1, 8), tokens }, 1).add(pos_embedding, 1);
        foreach (var block in blocks) x0 = block.call(x0);
        return head.call(ln.call(x0).select(1, 0));
    }

    private sealed class Attention : Module<Tensor, Tensor>
    {
        private readonly Linear qkv = Linear(8, 24);
        private readonly Linear proj = Linear(8, 8);
        private readonly AttentionProbabilities attn_probs = new();

        public Attention() : base(nameof(Attention)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            long n = x.shape[0], t = x.shape[1];
            var qkvs = qkv.call(x).reshape(n, t, 3, 2, 4).permute(2, 0, 3, 1, 4);
            var probs = attn_probs.call(qkvs[0].matmul(qkvs[1].transpose(-2, -1)).mul(0.5).softmax(-1));
            return proj.call(probs.matmul(qkvs[2]).transpose(1, 2).reshape(n, t, 8));
        }
    }

    private sealed class Block : Module<Tensor, Tensor>
    {
        private readonly LayerNorm ln_1 = LayerNorm(8);
        private readonly Attention attn = new();
        private readonly LayerNorm ln_2 = LayerNorm(8);
        private readonly Linear fc1 = Linear(8, 16);
        private readonly Linear fc2 = Linear(16, 8);

        public Block() : base(nameof(Block)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            var y = x.add(attn.call(ln_1.call(x)), 1);
            return y.add(fc2.call(functional.gelu(fc1.call(ln_2.call(y)))), 1);
        }
    }
}
