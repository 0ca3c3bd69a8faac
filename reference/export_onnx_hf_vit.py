"""Export a Hugging Face-style ViT (ViTForImageClassification's structure and names) to ONNX for the DecomCam.Onnx tests.

Run with Debian's interpreter (torch 1.13) from the repository root, after vit_reference.py:

    /usr/bin/python3 reference/export_onnx_hf_vit.py

The `transformers` package is not installed here, so HfVit below rebuilds what ViTForImageClassification computes, with
its parameter names: separate query/key/value Linear layers, scores as matmul(q, k^T) / sqrt(head width), softmax,
dropout, matmul with v, permute and view back; LayerNorm epsilon 1e-12; exact (erf) GELU; the classifier on the class
token after vit.layernorm. It loads DecomCam.Tests/Golden/vit/vit_hf.safetensors (the reduced seeded ViT under Hugging
Face names: image 32, patch 8, 2 layers, 2 heads, width 16, MLP 32, 10 classes) strictly, writes its logits on
vit_input.npy as vit_hf_logits.npy, and writes DecomCam.Tests/Golden/onnx/vit_hf_opsetNN.onnx at opsets 14 and 17,
input `input` [batch,3,32,32] with a dynamic batch axis, output `output`. Prints the operator types of each export.
"""
import math
import os
import re
import sys

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import safetensors_io  # noqa: E402

VIT = os.path.join(HERE, "..", "DecomCam.Tests", "Golden", "vit")
OUT = os.path.join(HERE, "..", "DecomCam.Tests", "Golden", "onnx")
EPS = 1e-12


class PatchEmbeddings(nn.Module):
    def __init__(self, patch, width):
        super().__init__()
        self.projection = nn.Conv2d(3, width, patch, stride=patch)

    def forward(self, x):
        return self.projection(x).flatten(2).transpose(1, 2)


class Embeddings(nn.Module):
    def __init__(self, patch, width, tokens):
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        self.position_embeddings = nn.Parameter(torch.zeros(1, tokens, width))
        self.patch_embeddings = PatchEmbeddings(patch, width)
        self.dropout = nn.Dropout(0.0)

    def forward(self, x):
        embeddings = self.patch_embeddings(x)
        cls_tokens = self.cls_token.expand(x.shape[0], -1, -1)
        embeddings = torch.cat((cls_tokens, embeddings), dim=1)
        return self.dropout(embeddings + self.position_embeddings)


class SelfAttention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads, self.head_width = heads, width // heads
        self.query = nn.Linear(width, width)
        self.key = nn.Linear(width, width)
        self.value = nn.Linear(width, width)
        self.dropout = nn.Dropout(0.0)

    def transpose_for_scores(self, x):
        x = x.view(x.size()[:-1] + (self.heads, self.head_width))
        return x.permute(0, 2, 1, 3)

    def forward(self, hidden):
        query = self.transpose_for_scores(self.query(hidden))
        key = self.transpose_for_scores(self.key(hidden))
        value = self.transpose_for_scores(self.value(hidden))
        scores = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(self.head_width)
        probs = self.dropout(nn.functional.softmax(scores, dim=-1))
        context = torch.matmul(probs, value).permute(0, 2, 1, 3).contiguous()
        return context.view(context.size()[:-2] + (self.heads * self.head_width,))


class SelfOutput(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.dense = nn.Linear(width, width)
        self.dropout = nn.Dropout(0.0)

    def forward(self, hidden):
        return self.dropout(self.dense(hidden))


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.attention = SelfAttention(width, heads)
        self.output = SelfOutput(width)

    def forward(self, hidden):
        return self.output(self.attention(hidden))


class Intermediate(nn.Module):
    def __init__(self, width, mlp):
        super().__init__()
        self.dense = nn.Linear(width, mlp)

    def forward(self, hidden):
        return nn.functional.gelu(self.dense(hidden))


class Output(nn.Module):
    def __init__(self, width, mlp):
        super().__init__()
        self.dense = nn.Linear(mlp, width)
        self.dropout = nn.Dropout(0.0)

    def forward(self, hidden, residual):
        return self.dropout(self.dense(hidden)) + residual


class Layer(nn.Module):
    def __init__(self, width, heads, mlp):
        super().__init__()
        self.attention = Attention(width, heads)
        self.intermediate = Intermediate(width, mlp)
        self.output = Output(width, mlp)
        self.layernorm_before = nn.LayerNorm(width, eps=EPS)
        self.layernorm_after = nn.LayerNorm(width, eps=EPS)

    def forward(self, hidden):
        hidden = self.attention(self.layernorm_before(hidden)) + hidden
        return self.output(self.intermediate(self.layernorm_after(hidden)), hidden)


class Encoder(nn.Module):
    def __init__(self, layers, width, heads, mlp):
        super().__init__()
        self.layer = nn.ModuleList([Layer(width, heads, mlp) for _ in range(layers)])

    def forward(self, hidden):
        for layer in self.layer:
            hidden = layer(hidden)
        return hidden


class Model(nn.Module):
    def __init__(self, image, patch, layers, width, heads, mlp):
        super().__init__()
        self.embeddings = Embeddings(patch, width, (image // patch) ** 2 + 1)
        self.encoder = Encoder(layers, width, heads, mlp)
        self.layernorm = nn.LayerNorm(width, eps=EPS)

    def forward(self, x):
        return self.layernorm(self.encoder(self.embeddings(x)))


class HfVit(nn.Module):
    """ViTForImageClassification's computation and parameter names, without the transformers package."""

    def __init__(self, image=32, patch=8, layers=2, width=16, heads=2, mlp=32, classes=10):
        super().__init__()
        self.vit = Model(image, patch, layers, width, heads, mlp)
        self.classifier = nn.Linear(width, classes)

    def forward(self, x):
        return self.classifier(self.vit(x)[:, 0, :])


def main() -> None:
    model = HfVit()
    state = {k: torch.from_numpy(v) for k, v in safetensors_io.load(os.path.join(VIT, "vit_hf.safetensors")).items()}
    model.load_state_dict(state, strict=True)
    model.eval()
    x = torch.from_numpy(np.load(os.path.join(VIT, "vit_input.npy")))
    with torch.no_grad():
        logits = model(x)
    np.save(os.path.join(VIT, "vit_hf_logits.npy"), logits.numpy())
    print("hf vit logits", logits[0, :4].tolist())
    for opset in (14, 17):
        path = os.path.join(OUT, f"vit_hf_opset{opset}.onnx")
        options = dict(opset_version=opset, input_names=["input"], output_names=["output"],
                       dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        torch.onnx.export(model, torch.zeros(1, 3, 32, 32), path, **options)
        text = torch.onnx.export_to_pretty_string(model, torch.zeros(1, 3, 32, 32), **options)
        ops = sorted(set(re.findall(r"type: \"(\w+)\"", text)))
        print(f"{os.path.relpath(path)}: {os.path.getsize(path) / 1e3:.1f} kB, operators: {', '.join(ops)}")


if __name__ == "__main__":
    main()
