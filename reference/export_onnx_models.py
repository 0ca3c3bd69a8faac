"""Export seeded models to ONNX for the DecomCam.Onnx tests (torch.onnx.export; the `onnx` package is not needed).

Run with Debian's interpreter (torch 1.13, torchvision 0.14) from the repository root:

    /usr/bin/python3 reference/export_onnx_models.py                    # small models -> DecomCam.Tests/Golden/onnx/
    /usr/bin/python3 reference/export_onnx_models.py --heavy out/onnx   # + torchvision models (~1 GB, a few minutes)
    /usr/bin/python3 reference/export_onnx_models.py --heavy out/onnx --models resnet18   # + only those

Weights come from detinit.fill_module (the same values DeterministicInit.cs builds in C#). Every model is exported in
eval mode at opset 13 and 17 with a dynamic batch axis (so the graphs carry Shape/Gather/Concat chains), input named
`input`, output `output`. Small models (committed):
  shapesnet_opsetNN.onnx  ShapesNet(4), 48x48 input: its CAMs are compared with the TorchSharp zoo's ShapesNet.
  opzoo_opsetNN.onnx      a 32x32 CNN that uses every operator the importer claims for image CNNs (see OpZoo).
Heavy models (written only with --heavy): resnet18, resnet50, vgg16, mobilenet_v2, densenet121, efficientnet_b0 at
224x224, as <name>_opsetNN.onnx.
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import detinit  # noqa: E402
from models import ShapesNet  # noqa: E402

SMALL_OUT = os.path.join(HERE, "..", "DecomCam.Tests", "Golden", "onnx")
OPSETS = (13, 17)
HEAVY = ("resnet18", "resnet50", "vgg16", "mobilenet_v2", "densenet121", "efficientnet_b0")


class OpZoo(nn.Module):
    """A small CNN whose export uses Conv (groups, dilation, padding, stride), BatchNormalization (after a
    concatenation, so not folded), Relu, LeakyRelu, PRelu, Sigmoid, HardSigmoid, HardSwish, Clip (ReLU6), Tanh,
    Softmax, MaxPool (ceil mode), AveragePool (with and without padding), GlobalAveragePool, GlobalMaxPool, Add, Sub,
    Mul, Div, Concat, Flatten, Reshape (from a Shape chain), Transpose, Unsqueeze, Squeeze, Gemm, MatMul, Pad
    (constant and reflect), ReduceMean, Resize (nearest and bilinear) and Constant."""

    def __init__(self, num_classes: int = 5):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, stride=1, padding=1)
        self.depthwise = nn.Conv2d(16, 16, 3, padding=2, dilation=2, groups=16)
        self.grouped = nn.Conv2d(16, 16, 1, groups=4)
        self.bn = nn.BatchNorm2d(32)
        self.prelu = nn.PReLU(32)
        self.down = nn.Conv2d(32, 24, 3, stride=2, padding=0)
        self.side = nn.Conv2d(24, 24, 1)
        self.head = nn.Conv2d(24, 32, 3, padding=1)
        self.attn = nn.Linear(32, 32)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = F.relu(self.stem(x))                                            # 32x32
        a = F.leaky_relu(self.depthwise(x), 0.1)
        b = F.hardswish(self.grouped(x))
        x = self.prelu(self.bn(torch.cat([a, b], dim=1)))
        x = F.pad(x, (1, 0, 0, 1), mode="reflect")                          # 33x33
        x = F.max_pool2d(x, 3, stride=2, ceil_mode=True)                    # 16x16
        x = torch.tanh(self.down(x))                                        # 7x7
        y = F.avg_pool2d(F.pad(x, (1, 1, 1, 1)), 3, stride=1)               # 7x7
        x = F.relu6(self.side(y) * 3.0) - x / 2.0 + torch.sigmoid(y) * F.hardsigmoid(x)
        x = F.interpolate(x, scale_factor=2, mode="nearest")                # 14x14
        x = F.avg_pool2d(x, 2, stride=2, padding=1, count_include_pad=False)  # 8x8
        x = F.interpolate(x, size=(12, 12), mode="bilinear", align_corners=False)
        x = F.relu(self.head(x))                                            # 12x12: the default CAM layer
        n, c = x.shape[0], x.shape[1]
        tokens = x.reshape(n, c, -1).transpose(1, 2)                        # [n,144,32]
        weights = torch.softmax(self.attn(tokens), dim=-1)
        pooled = torch.matmul(weights.transpose(1, 2), tokens).mean(dim=1)  # [n,32]
        gmax = F.adaptive_max_pool2d(x, 1).squeeze(3).squeeze(2)            # [n,32]
        gavg = F.adaptive_avg_pool2d(x, 1).flatten(1).unsqueeze(1)[:, 0]    # [n,32]
        return self.fc(torch.cat([pooled + gavg, gmax], dim=1))


def export(model: nn.Module, shape, path: str, opset: int) -> None:
    model.eval()
    x = torch.from_numpy(detinit.fill_value("input", shape))
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    print(f"{os.path.relpath(path)}: {os.path.getsize(path) / 1e6:.2f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--heavy", metavar="DIR", help="also export the torchvision models into DIR")
    parser.add_argument("--models", nargs="*", choices=HEAVY, default=list(HEAVY), help="the torchvision models to export with --heavy")
    args = parser.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    os.makedirs(SMALL_OUT, exist_ok=True)
    small = {
        "shapesnet": (lambda: ShapesNet(num_classes=4), (1, 3, 48, 48)),
        "opzoo": (lambda: OpZoo(), (1, 3, 32, 32)),
    }
    for name, (make, shape) in small.items():
        for opset in OPSETS:
            export(detinit.fill_module(make()), shape, os.path.join(SMALL_OUT, f"{name}_opset{opset}.onnx"), opset)
    if args.heavy:
        os.makedirs(args.heavy, exist_ok=True)
        for name in args.models:
            model = detinit.fill_module(getattr(torchvision.models, name)(weights=None, num_classes=1000))
            for opset in OPSETS:
                export(model, (1, 3, 224, 224), os.path.join(args.heavy, f"{name}_opset{opset}.onnx"), opset)


if __name__ == "__main__":
    main()
