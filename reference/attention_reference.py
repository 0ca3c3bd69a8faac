"""Golden maps for the attention methods (DecomCam.Tests/Methods/AttentionMethodTests.cs).

A tiny ViT (TinyVit below; DecomCam.Tests/Support/TinyVit.cs is the same module with the same state-dict names),
filled with detinit, explained with our own transcriptions of the formulas:
- rollout and grad_rollout as jacobgil/vit-explain's (vit_rollout.py, vit_grad_rollout.py) compute them, per image,
  with one change: rows are renormalised (a / a.sum(-1, keepdim=True), as the paper says); vit-explain's
  a / a.sum(dim=-1) broadcasts the row sums over columns.
- Chefer relevance (Chefer, Gur and Wolf 2021, self-attention rule): R = I; R += mean_h(relu(grad * A)) @ R.
- LeGrad (Bousselham et al. 2024), written from the paper (torch-cam's LeGrad needs torch 2.x; Debian's is 1.13): per
  block l, s_l = head(ln(z_l[:, 0]))[target] with z_l the block's output tokens; E_l = relu(ds_l / dA_l) averaged over
  heads and queries, the class token's key dropped; the map is the mean of E_l over blocks.
Writes the rollouts' and Chefer's class-token row over the patches, and LeGrad's mean over blocks, on the 4x4 grid
(before any normalisation), [N,4,4] float32.
Run with Debian's python3 (torch 1.13): python3 reference/attention_reference.py DecomCam.Tests/Golden/attention
"""
import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
import detinit  # noqa: E402

TARGETS = [1, 3]


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.attn_probs = nn.Identity()

    def forward(self, x):
        n, t, d = x.shape
        q, k, v = self.qkv(x).reshape(n, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        probs = self.attn_probs(torch.softmax(q @ k.transpose(-2, -1) * (d // self.heads) ** -0.5, dim=-1))
        return self.proj((probs @ v).transpose(1, 2).reshape(n, t, d))


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.ln_2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 2 * dim)
        self.fc2 = nn.Linear(2 * dim, dim)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.fc2(torch.nn.functional.gelu(self.fc1(self.ln_2(x))))


class TinyVit(nn.Module):
    """16x16 input, 4x4 patches (a 4x4 grid), a class token, width 8, 2 heads, 2 blocks, 5 classes."""

    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, 8, 4, stride=4)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, 8))
        self.pos_embedding = nn.Parameter(torch.zeros(1, 17, 8))
        self.blocks = nn.Sequential(Block(8, 2), Block(8, 2))
        self.ln = nn.LayerNorm(8)
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        tokens = self.patch(x).flatten(2).transpose(1, 2)
        tokens = torch.cat([self.cls_token.expand(x.shape[0], 1, 8), tokens], 1) + self.pos_embedding
        return self.head(self.ln(self.blocks(tokens))[:, 0])


def attentions_and_grads(model, x, target):
    """Each block's attention probabilities [1, heads, T, T] and the gradient of the target logit w.r.t. them."""
    seen = []
    hooks = [b.attn.attn_probs.register_forward_hook(lambda m, i, o: seen.append(o)) for b in model.blocks]
    out = model(x)
    for h in hooks:
        h.remove()
    grads = torch.autograd.grad(out[0, target], seen)
    return [a.detach() for a in seen], [g.detach() for g in grads]


def legrad(model, x, target):
    seen, blocks = [], []
    hooks = [b.attn.attn_probs.register_forward_hook(lambda m, i, o: seen.append(o)) for b in model.blocks]
    hooks += [b.register_forward_hook(lambda m, i, o: blocks.append(o)) for b in model.blocks]
    model(x)
    for h in hooks:
        h.remove()
    maps = []
    for a, z in zip(seen, blocks):
        score = model.head(model.ln(z[:, 0]))[0, target]
        g = torch.autograd.grad(score, [a], retain_graph=True)[0]
        maps.append(g.clamp(min=0).mean(1).mean(1)[0, 1:].reshape(4, 4))
    return torch.stack(maps).mean(0)


def discard(fused, ratio, keep_class_token):
    flat = fused.reshape(fused.shape[0], -1).clone()
    _, lowest = flat.topk(int(flat.shape[-1] * ratio), -1, False)
    if keep_class_token:
        lowest = lowest[lowest != 0]
    flat[0, lowest] = 0
    return flat.reshape(fused.shape)


def rollout_step(fused, result):
    a = (fused + torch.eye(fused.shape[-1])) / 2
    a = a / a.sum(dim=-1, keepdim=True)
    return a @ result


def class_row(result):
    return result[0, 0, 1:].reshape(4, 4)


def rollout(attentions, ratio, fusion):
    result = torch.eye(attentions[0].shape[-1])
    for a in attentions:
        fused = {"mean": a.mean(1), "max": a.max(1)[0], "min": a.min(1)[0]}[fusion]
        result = rollout_step(discard(fused, ratio, True), result)
    return class_row(result)


def grad_rollout(attentions, grads, ratio):
    result = torch.eye(attentions[0].shape[-1])
    for a, g in zip(attentions, grads):
        fused = (a * g).mean(1).clamp(min=0)
        result = rollout_step(discard(fused, ratio, False), result)
    return class_row(result)


def chefer(attentions, grads):
    r = torch.eye(attentions[0].shape[-1]).unsqueeze(0)
    for a, g in zip(attentions, grads):
        r = r + (g * a).clamp(min=0).mean(1) @ r
    return class_row(r)


def main():
    out_dir = sys.argv[1]
    torch.set_grad_enabled(True)
    model = detinit.fill_module(TinyVit()).eval()
    x = torch.from_numpy(detinit.fill_value("input", (2, 3, 16, 16)))
    maps = {k: [] for k in ["rollout_mean_0.9", "rollout_max_0.5", "rollout_min_0", "gradrollout_0.9", "gradrollout_0", "chefer", "legrad"]}
    for i, target in enumerate(TARGETS):
        att, grads = attentions_and_grads(model, x[i:i + 1], target)
        maps["rollout_mean_0.9"].append(rollout(att, 0.9, "mean"))
        maps["rollout_max_0.5"].append(rollout(att, 0.5, "max"))
        maps["rollout_min_0"].append(rollout(att, 0.0, "min"))
        maps["gradrollout_0.9"].append(grad_rollout(att, grads, 0.9))
        maps["gradrollout_0"].append(grad_rollout(att, grads, 0.0))
        maps["chefer"].append(chefer(att, grads))
        maps["legrad"].append(legrad(model, x[i:i + 1], target).detach())
    with torch.no_grad():
        np.save(os.path.join(out_dir, "tinyvit_logits.npy"), model(x).numpy().astype(np.float32))
    for name, per_image in maps.items():
        np.save(os.path.join(out_dir, f"tinyvit_{name}.npy"), torch.stack(per_image).numpy().astype(np.float32))


if __name__ == "__main__":
    main()
