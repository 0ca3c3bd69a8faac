"""Generate the vision-transformer goldens in DecomCam.Tests/Golden/vit/.

Run with Debian's interpreter (torch 1.13, torchvision 0.14):  /usr/bin/python3 reference/vit_reference.py

Reduced torchvision configurations keep the files small; the zoo's full-size models share their classes:
- vit: VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32,
  num_classes=10); state dict as vit_torchvision.safetensors, the same tensors under Hugging Face ViT names
  (ViTForImageClassification: query/key/value split from in_proj) as vit_hf.safetensors, input vit_input.npy [2,3,32,32],
  logits vit_logits.npy.
- swin: SwinTransformer(patch_size=[4,4], embed_dim=8, depths=[2,2], num_heads=[2,2], window_size=[4,4],
  num_classes=10); state dict (with its relative_position_index buffers) as swin.pth, input swin_input.npy [1,3,56,56]
  (56 / 4 = 14 tokens a side: windows padded, shifted windows masked), logits swin_logits.npy.
Every parameter is redrawn from a seeded normal (torchvision zeroes the ViT head, which would make gradients vanish).
"""
import os
import sys

import numpy as np
import torch
from torchvision.models.swin_transformer import SwinTransformer
from torchvision.models.vision_transformer import VisionTransformer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import safetensors_io  # noqa: E402

OUT = os.path.join(HERE, "..", "DecomCam.Tests", "Golden", "vit")


def reseed(model: torch.nn.Module) -> None:
    """Redraw every parameter: norms around 1, biases and tables around 0, matrices with 1/sqrt(fan-in)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("weight") and p.dim() == 1:
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif p.dim() >= 2 and name.endswith("weight"):
                p.copy_(torch.randn_like(p) / np.sqrt(p[0].numel()))
            else:
                p.copy_(0.5 * torch.randn_like(p))


def hf_names(sd, layers):
    """The torchvision ViT state dict under Hugging Face's ViTForImageClassification names."""
    hf = {
        "vit.embeddings.cls_token": sd["class_token"],
        "vit.embeddings.position_embeddings": sd["encoder.pos_embedding"],
        "vit.embeddings.patch_embeddings.projection.weight": sd["conv_proj.weight"],
        "vit.embeddings.patch_embeddings.projection.bias": sd["conv_proj.bias"],
    }
    for i in range(layers):
        tv, h = f"encoder.layers.encoder_layer_{i}.", f"vit.encoder.layer.{i}."
        q, k, v = sd[tv + "self_attention.in_proj_weight"].chunk(3)
        qb, kb, vb = sd[tv + "self_attention.in_proj_bias"].chunk(3)
        for part, w, b in (("query", q, qb), ("key", k, kb), ("value", v, vb)):
            hf[h + f"attention.attention.{part}.weight"] = w
            hf[h + f"attention.attention.{part}.bias"] = b
        for tv_name, h_name in (("self_attention.out_proj", "attention.output.dense"), ("ln_1", "layernorm_before"),
                                ("ln_2", "layernorm_after"), ("mlp.0", "intermediate.dense"), ("mlp.3", "output.dense")):
            hf[h + h_name + ".weight"] = sd[tv + tv_name + ".weight"]
            hf[h + h_name + ".bias"] = sd[tv + tv_name + ".bias"]
    for suffix in ("weight", "bias"):
        hf["vit.layernorm." + suffix] = sd["encoder.ln." + suffix]
        hf["classifier." + suffix] = sd["heads.head." + suffix]
    return {k: v.contiguous() for k, v in hf.items()}


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    vit = VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32,
                            num_classes=10)
    reseed(vit)
    vit.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        logits = vit(x)
    sd = vit.state_dict()
    safetensors_io.save(sd, os.path.join(OUT, "vit_torchvision.safetensors"))
    safetensors_io.save(hf_names(sd, 2), os.path.join(OUT, "vit_hf.safetensors"))
    np.save(os.path.join(OUT, "vit_input.npy"), x.numpy())
    np.save(os.path.join(OUT, "vit_logits.npy"), logits.numpy())
    print("vit logits", logits[0, :4].tolist())

    swin = SwinTransformer(patch_size=[4, 4], embed_dim=8, depths=[2, 2], num_heads=[2, 2], window_size=[4, 4],
                           num_classes=10)
    reseed(swin)
    swin.eval()
    x = torch.randn(1, 3, 56, 56)
    with torch.no_grad():
        logits = swin(x)
    torch.save(swin.state_dict(), os.path.join(OUT, "swin.pth"))
    np.save(os.path.join(OUT, "swin_input.npy"), x.numpy())
    np.save(os.path.join(OUT, "swin_logits.npy"), logits.numpy())
    print("swin logits", logits[0, :4].tolist())


if __name__ == "__main__":
    main()
