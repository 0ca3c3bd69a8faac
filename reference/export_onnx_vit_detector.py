"""Export the small ViT detector of the tests (DecomCam.Tests/Support/VitDetector.cs) to ONNX for OnnxVitDetectorTests.

Run with Debian's interpreter (torch 1.13, torchvision 0.14) from the repository root:

    /usr/bin/python3 reference/export_onnx_vit_detector.py

The twin has VitDetector's children and state-dict keys (`conv_proj`, `class_token`, torchvision's ViT `Encoder` as
`encoder` with blocks `encoder.layers.encoder_layer_N` and final norm `encoder.ln`, `head`): 64 px images in patches
of 8 (an 8x8 grid, 65 tokens), 3 blocks of width 32 with 2 heads, MLP 64, then Linear(32, 4+3) on each patch token
(the class token dropped), decoded as SceneDet in YOLOv8's layout [N, 7, 64]: centre (cell + sigmoid(t)) * 8, size
exp(clamp(t, -6, 4)) * 32, sigmoid class scores. Its weights come from detinit.fill_module, the seed-free fill that
DeterministicInit.cs computes bit-identically in C#, so no weight file is needed: the C# VitDetector and this export
hold the same weights. Writes DecomCam.Tests/Golden/detection/vitdet_opset14.onnx (LayerNorm decomposed, as the
reduced ViT's opset-14 export), input `input` [batch,3,64,64] with a dynamic batch axis, output `output`, and
vitdet_output.npy, the twin's output for detinit's input [1,3,64,64]; prints the operator types and the size.
"""
import os
import re
import sys
from functools import partial

import numpy as np
import torch
from torch import nn
from torchvision.models.vision_transformer import Encoder

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import detinit  # noqa: E402

OUT = os.path.join(HERE, "..", "DecomCam.Tests", "Golden", "detection")
IMAGE, PATCH, LAYERS, HEADS, WIDTH, MLP, CLASSES = 64, 8, 3, 2, 32, 64, 3
GRID = IMAGE // PATCH


class VitDetector(nn.Module):
    STRIDE = PATCH
    BOX_PRIOR = 32.0

    def __init__(self):
        super().__init__()
        self.conv_proj = nn.Conv2d(3, WIDTH, PATCH, stride=PATCH)
        self.class_token = nn.Parameter(torch.zeros(1, 1, WIDTH))
        self.encoder = Encoder(GRID * GRID + 1, LAYERS, HEADS, WIDTH, MLP, 0.0, 0.0, partial(nn.LayerNorm, eps=1e-6))
        self.head = nn.Linear(WIDTH, 4 + CLASSES)
        gy, gx = torch.meshgrid(torch.arange(GRID, dtype=torch.float32), torch.arange(GRID, dtype=torch.float32), indexing="ij")
        # Not persistent: a constant of the graph, no state-dict entry (VitDetector.cs builds it in its decode).
        self.register_buffer("grid", torch.stack([gx.reshape(-1), gy.reshape(-1)], 0)[None], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        patches = self.conv_proj(x).flatten(2).transpose(1, 2)
        tokens = torch.cat([self.class_token.expand(x.shape[0], -1, -1), patches], 1)
        raw = self.head(self.encoder(tokens)[:, 1:]).transpose(1, 2)  # [N, 4+K, grid²], anchors row-major
        xy = (raw[:, :2].sigmoid() + self.grid) * self.STRIDE
        wh = raw[:, 2:4].clamp(-6, 4).exp() * self.BOX_PRIOR
        return torch.cat([xy, wh, raw[:, 4:].sigmoid()], 1)


def main() -> None:
    model = detinit.fill_module(VitDetector()).eval()
    x = torch.from_numpy(detinit.fill_value("input", (1, 3, IMAGE, IMAGE)))
    with torch.no_grad():
        y = model(x)
    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "vitdet_output.npy"), y.numpy())
    path = os.path.join(OUT, "vitdet_opset14.onnx")
    options = dict(opset_version=14, input_names=["input"], output_names=["output"],
                   dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    torch.onnx.export(model, x, path, **options)
    ops = sorted(set(re.findall(r"type: \"(\w+)\"", torch.onnx.export_to_pretty_string(model, x, **options))))
    print(f"{os.path.relpath(path)}: {os.path.getsize(path) / 1e3:.1f} kB, output {tuple(y.shape)}, operators: {', '.join(ops)}")
    print("state-dict keys:", " ".join(model.state_dict().keys()))


if __name__ == "__main__":
    main()
