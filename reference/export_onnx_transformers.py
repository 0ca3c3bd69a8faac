"""Export the reduced seeded ViT and Swin of vit_reference.py to ONNX for the DecomCam.Onnx transformer tests.

Run with Debian's interpreter (torch 1.13, torchvision 0.14) from the repository root, after vit_reference.py:

    /usr/bin/python3 reference/export_onnx_transformers.py

Reads DecomCam.Tests/Golden/vit/vit_torchvision.safetensors (the reduced torchvision VisionTransformer: image 32,
patch 8, 2 layers, 2 heads, width 16, MLP 32, 10 classes) and writes DecomCam.Tests/Golden/onnx/vit_opsetNN.onnx at
opset 14 (LayerNormalization decomposed into ReduceMean/Sub/Pow/Sqrt/Div) and 17 (LayerNormalization), input `input`
[batch,3,32,32] with a dynamic batch axis, output `output`. The zoo ViT loads the same safetensors, so the ONNX graph
and the TorchSharp model share their weights. Reads swin.pth (SwinTransformer: patch 4, width 8, depths [2,2], heads
[2,2], window 4, 10 classes) and writes swin_opset17.onnx, input [batch,3,56,56] (opset 17 only: its operators beyond
the ViT's, Mod, Not, Range, ScatterND, do not change between opsets, and each export is 0.5 MB). Prints the operator
types of each export.
"""
import os
import re
import sys

import torch
from torchvision.models.swin_transformer import SwinTransformer
from torchvision.models.vision_transformer import VisionTransformer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import safetensors_io  # noqa: E402

VIT = os.path.join(HERE, "..", "DecomCam.Tests", "Golden", "vit")
OUT = os.path.join(HERE, "..", "DecomCam.Tests", "Golden", "onnx")
OPSETS = (14, 17)


def export(model: torch.nn.Module, x: torch.Tensor, name: str, opset: int) -> None:
    path = os.path.join(OUT, f"{name}_opset{opset}.onnx")
    options = dict(opset_version=opset, input_names=["input"], output_names=["output"],
                   dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    torch.onnx.export(model, x, path, **options)
    text = torch.onnx.export_to_pretty_string(model, x, **options)
    ops = sorted(set(re.findall(r"type: \"(\w+)\"", text)))
    print(f"{os.path.relpath(path)}: {os.path.getsize(path) / 1e3:.1f} kB, operators: {', '.join(ops)}")


def main() -> None:
    vit = VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32,
                            num_classes=10)
    state = {k: torch.from_numpy(v) for k, v in safetensors_io.load(os.path.join(VIT, "vit_torchvision.safetensors")).items()}
    vit.load_state_dict(state)
    vit.eval()
    os.makedirs(OUT, exist_ok=True)
    for opset in OPSETS:
        export(vit, torch.zeros(1, 3, 32, 32), "vit", opset)
    swin = SwinTransformer(patch_size=[4, 4], embed_dim=8, depths=[2, 2], num_heads=[2, 2], window_size=[4, 4],
                           num_classes=10)
    swin.load_state_dict(torch.load(os.path.join(VIT, "swin.pth")))
    swin.eval()
    export(swin, torch.zeros(1, 3, 56, 56), "swin", 17)


if __name__ == "__main__":
    main()
