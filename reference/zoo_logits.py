"""Generate the model-zoo parity goldens in DecomCam.Tests/Golden/zoo/.

Run with Debian's interpreter (torch 1.13, torchvision 0.14):  /usr/bin/python3 reference/zoo_logits.py [NAME ...]
(no names: every model)

For each model: fill with detinit.fill_module, run an eval-mode forward on detinit.fill_value("input", (2,3,64,64))
(the ViTs, whose position embedding fixes the input size: (1,3,224,224); the scene ViT's (1,3,128,128)),
and write <name>_logits.npy (float32) and <name>_keys.txt (one "key<TAB>comma-separated shape<TAB>dtype" line per
state-dict entry, in state-dict order). Also writes input.npy, and ShapesNet's filled state dict as
shapesnet_detinit.pth (torch.save of the state dict) and shapesnet_detinit.safetensors.
"""
import os
import sys

import numpy as np
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import detinit  # noqa: E402
import safetensors_io  # noqa: E402
from models import SceneDet, SceneNet, ShapesNet  # noqa: E402

OUT = os.path.join(HERE, "..", "DecomCam.Tests", "Golden", "zoo")

TORCHVISION = [
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
]
TRANSFORMERS = {"vit-b-16": "vit_b_16", "vit-b-32": "vit_b_32", "swin-t": "swin_t"}
INPUT_SHAPE = (2, 3, 64, 64)
VIT_INPUT_SHAPE = (1, 3, 224, 224)
SCENE_VIT_INPUT_SHAPE = (1, 3, 128, 128)


def build(name: str) -> torch.nn.Module:
    if name == "shapesnet":
        return ShapesNet(num_classes=4)
    if name == "scenenet":
        return SceneNet(num_classes=8)
    if name == "scenedet":
        return SceneDet(num_classes=8)
    if name == "scenevit":  # VisionTransformerConfig.SceneVit
        return torchvision.models.vision_transformer.VisionTransformer(
            image_size=128, patch_size=16, num_layers=4, num_heads=4, hidden_dim=96, mlp_dim=192, num_classes=8)
    return getattr(torchvision.models, TRANSFORMERS.get(name, name))(weights=None, num_classes=1000)


def write_keys(model: torch.nn.Module, path: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for key, t in model.state_dict().items():
            shape = ",".join(str(d) for d in t.shape)
            f.write(f"{key}\t{shape}\t{str(t.dtype).replace('torch.', '')}\n")


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    x_np = detinit.fill_value("input", INPUT_SHAPE)
    np.save(os.path.join(OUT, "input.npy"), x_np.astype(np.float32))
    for name in sys.argv[1:] or TORCHVISION + list(TRANSFORMERS) + ["shapesnet", "scenenet", "scenevit", "scenedet"]:
        shape = SCENE_VIT_INPUT_SHAPE if name == "scenevit" else VIT_INPUT_SHAPE if name.startswith("vit") else INPUT_SHAPE
        x = torch.from_numpy(detinit.fill_value("input", shape))
        model = build(name)
        detinit.fill_module(model)
        model.eval()
        with torch.no_grad():
            logits = model(x).numpy().astype(np.float32)
        np.save(os.path.join(OUT, f"{name}_logits.npy"), logits)
        write_keys(model, os.path.join(OUT, f"{name}_keys.txt"))
        print(f"{name}: logits {tuple(logits.shape)} max|logit| {np.abs(logits).max():.6g}")
        if name == "shapesnet":
            sd = model.state_dict()
            torch.save(sd, os.path.join(OUT, "shapesnet_detinit.pth"))
            safetensors_io.save(sd, os.path.join(OUT, "shapesnet_detinit.safetensors"))
        del model


if __name__ == "__main__":
    main()
