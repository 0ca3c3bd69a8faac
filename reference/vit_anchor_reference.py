"""Golden maps from the attention methods' own repositories, run on the reduced seeded ViT (vit_reference.py).

The anchors, each run as its repository ships it (nothing of theirs is copied here):
- jacobgil/vit-explain (vit_rollout.py, vit_grad_rollout.py): VITAttentionRollout and VITAttentionGradRollout, which
  hook every module named '...attn_drop' (timm's attention layout).
- hila-chefer/Transformer-Explainability: its timm-style ViT (baselines/ViT/ViT_new.py, the model the attention
  methods' notebooks use; it has those 'attn_drop' modules and records the probabilities and their gradients) and its
  Baselines.generate_rollout (baselines/ViT/ViT_explanation_generator.py).
- hila-chefer/Transformer-MM-Explainability: generate_relevance of its ViT notebook
  (Transformer_MM_explainability_ViT.ipynb), the self-attention rule of "Generic Attention-model Explainability"
  (Chefer, Gur and Wolf 2021) that our CheferRelevance implements; the notebook's cell is executed as it is.
  (Transformer-Explainability's own transformer_attribution is the earlier LRP-based method, not this rule.)

The model is ViT_new's VisionTransformer (image 32, patch 8, width 16, depth 2, 2 heads, MLP 32, 10 classes, layer-norm
eps 1e-6 as torchvision's) holding the weights of DecomCam.Tests/Golden/vit/vit_torchvision.safetensors mapped onto its
names (in_proj -> qkv, out_proj -> proj, mlp.0/3 -> fc1/fc2), so its logits equal torchvision's and the zoo ViT's.
Adaptations, all outside the anchors' code: einops (which ViT_new imports) is not packaged for Debian 12, so
anchor_shims/einops.py stands in for its two patterns; the notebook's generate_relevance calls .cuda(), made the
identity here (CPU only); each anchor explains one image at a time (they read batch index 0), so the two images of
vit_input.npy run separately, image 0 for class 3 and image 1 for class 7.

Writes DecomCam.Tests/Golden/vit/anchor_<name>.npy, [2,4,4] float32, the maps as each anchor returns them:
vitexplain_rollout_<fusion>_<ratio> (max-normalised), vitexplain_gradrollout_<ratio> (max-normalised),
te_rollout (Transformer-Explainability's rollout, unnormalised), mm_chefer (the class token's relevance row,
unnormalised). Prints the logits' agreement with torchvision's, and what vit-explain's gradient hooks record
(explain_hook_gradients).

Run with Debian's python3 (torch 1.13) from the repository root, the three repositories checked out anywhere:

    /usr/bin/python3 reference/vit_anchor_reference.py VIT_EXPLAIN_DIR TRANSFORMER_EXPLAINABILITY_DIR MM_DIR
"""
import json
import os
import sys
from functools import partial

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
VIT = os.path.join(HERE, "..", "DecomCam.Tests", "Golden", "vit")
TARGETS = (3, 7)


def anchor_model(te_dir):
    sys.path.insert(0, te_dir)
    from baselines.ViT.ViT_new import VisionTransformer  # noqa: E402
    sys.path.insert(0, HERE)
    import safetensors_io  # noqa: E402

    model = VisionTransformer(img_size=32, patch_size=8, num_classes=10, embed_dim=16, depth=2, num_heads=2,
                              mlp_ratio=2, qkv_bias=True, norm_layer=partial(nn.LayerNorm, eps=1e-6))
    tv = {k: torch.from_numpy(v) for k, v in safetensors_io.load(os.path.join(VIT, "vit_torchvision.safetensors")).items()}
    state = {"patch_embed.proj.weight": tv["conv_proj.weight"], "patch_embed.proj.bias": tv["conv_proj.bias"],
             "cls_token": tv["class_token"], "pos_embed": tv["encoder.pos_embedding"],
             "norm.weight": tv["encoder.ln.weight"], "norm.bias": tv["encoder.ln.bias"],
             "head.weight": tv["heads.head.weight"], "head.bias": tv["heads.head.bias"]}
    for i in range(2):
        src, dst = f"encoder.layers.encoder_layer_{i}.", f"blocks.{i}."
        for a, b in (("ln_1", "norm1"), ("ln_2", "norm2"), ("self_attention.out_proj", "attn.proj"),
                     ("mlp.0", "mlp.fc1"), ("mlp.3", "mlp.fc2")):
            for p in ("weight", "bias"):
                state[f"{dst}{b}.{p}"] = tv[f"{src}{a}.{p}"]
        state[f"{dst}attn.qkv.weight"] = tv[f"{src}self_attention.in_proj_weight"]
        state[f"{dst}attn.qkv.bias"] = tv[f"{src}self_attention.in_proj_bias"]
    model.load_state_dict(state)
    return model.eval()


def notebook_function(nb_path, name):
    """Executes the notebook's code cell that defines `name` and returns that function."""
    with open(nb_path) as f:
        cells = json.load(f)["cells"]
    source = next("".join(c["source"]) for c in cells if c["cell_type"] == "code" and f"def {name}(" in "".join(c["source"]))
    scope = {"torch": torch, "np": np}
    exec(compile(source, nb_path, "exec"), scope)  # noqa: S102 - the anchor's own cell, run as shipped
    return scope[name]


def main(vit_explain_dir, te_dir, mm_dir):
    torch.manual_seed(0)
    sys.path.insert(0, os.path.join(HERE, "anchor_shims"))
    model = anchor_model(te_dir)
    x = torch.from_numpy(np.load(os.path.join(VIT, "vit_input.npy")))
    with torch.no_grad():
        logits = model(x)
    expected = torch.from_numpy(np.load(os.path.join(VIT, "vit_logits.npy")))
    print(f"logits vs torchvision: max |diff| {(logits - expected).abs().max().item():.2e}")

    sys.path.insert(0, vit_explain_dir)
    from vit_rollout import VITAttentionRollout  # noqa: E402
    from vit_grad_rollout import VITAttentionGradRollout  # noqa: E402
    from baselines.ViT.ViT_explanation_generator import Baselines  # noqa: E402
    torch.Tensor.cuda = lambda self, *a, **k: self  # the notebook's generate_relevance moves tensors to CUDA
    generate_relevance = notebook_function(os.path.join(mm_dir, "Transformer_MM_explainability_ViT.ipynb"), "generate_relevance")

    maps = {}

    def add(name, per_image):
        maps[name] = np.stack([np.asarray(per_image(i), dtype=np.float32).reshape(4, 4) for i in range(2)])

    for fusion, ratio in (("mean", 0.0), ("mean", 0.9), ("max", 0.9)):
        rollout = VITAttentionRollout(model, head_fusion=fusion, discard_ratio=ratio)
        add(f"vitexplain_rollout_{fusion}_{ratio}", lambda i: rollout(x[i:i + 1]))
        strip_hooks(model)
    for ratio in (0.0, 0.9):
        grad_rollout = VITAttentionGradRollout(model, discard_ratio=ratio)
        add(f"vitexplain_gradrollout_{ratio}", lambda i: grad_rollout(x[i:i + 1], TARGETS[i]))
        strip_hooks(model)
    explain_hook_gradients(model, x, VITAttentionGradRollout)
    baselines = Baselines(model)
    add("te_rollout", lambda i: baselines.generate_rollout(x[i:i + 1]).detach().numpy())
    add("mm_chefer", lambda i: generate_relevance(model, x[i:i + 1], index=TARGETS[i]).detach().numpy())

    for name, value in maps.items():
        np.save(os.path.join(VIT, f"anchor_{name}.npy"), value)
        print(f"anchor_{name}.npy: range [{value.min():.4g}, {value.max():.4g}]")


def explain_hook_gradients(model, x, grad_rollout_class):
    """What VITAttentionGradRollout's backward hooks on attn_drop record: a Dropout in eval mode returns its input, so
    the deprecated module backward hook lands on the softmax's autograd node and records the gradient with respect to
    the softmax's input (the attention logits), and the hooks fire in backward order (last block first), while
    grad_rollout zips them with the attentions in forward order. Prints the largest difference of each recorded
    gradient from the logits' gradient of the block in reverse order, A * (G - sum_j A G), with G = dy/dA as ViT_new's
    own tensor hook records it."""
    for i in range(2):
        grad_rollout = grad_rollout_class(model, discard_ratio=0.0)
        grad_rollout(x[i:i + 1], TARGETS[i])
        hooked = grad_rollout.attention_gradients
        strip_hooks(model)
        model.zero_grad()
        model(x[i:i + 1], register_hook=True)[0, TARGETS[i]].backward()
        attention = [b.attn.get_attention_map().detach() for b in model.blocks]
        g = [b.attn.get_attn_gradients() for b in model.blocks]
        logits_grad = [a * (gl - (a * gl).sum(-1, keepdim=True)) for a, gl in zip(attention, g)]
        reversed_diff = max((h - lg).abs().max().item() for h, lg in zip(hooked, reversed(logits_grad)))
        forward_diff = max((h - gl).abs().max().item() for h, gl in zip(hooked, g))
        print(f"image {i}: vit-explain's hooked gradients vs dy/dlogits, blocks reversed: max |diff| {reversed_diff:.2e}; "
              f"vs dy/dA, blocks in order: {forward_diff:.2e}")


def strip_hooks(model):
    """vit-explain's classes register hooks for good; each run starts from a model without them."""
    for module in model.modules():
        module._forward_hooks.clear()
        module._backward_hooks.clear()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
