"""pytorch-grad-cam's maps on full-size torchvision vit_b_16 and swin_t with seeded random weights, for
TransformerFullSizeParityTests (Heavy: about 0.45 GB of weights, not committed).

    PYTHONPATH=/tmp/anchors/pytorch-grad-cam /usr/bin/python3 reference/vit_pgc_full_reference.py out/vit-full      # about 5 minutes

Builds torchvision's vit_b_16 and swin_t (1000 classes) after torch.manual_seed(0) and (1) with their own
initialisation; vit_b_16 initialises its head to zeros (every gradient would vanish), so its head is redrawn from a
seeded normal (std 0.02). Saves <folder>/vit.pth, swin.pth, input.npy (one seeded [1,3,224,224] normal input)
and pytorch-grad-cam's maps for target class 3 with its documented reshape transforms:
- vit: `encoder.layers[-1].ln_1` (timm's `blocks[-1].norm1`), the class token dropped, the 14x14 tokens on their grid;
- swin: `features[-1]` (the last stage, [N,h,w,C]) permuted to [N,C,h,w].
Writes pgc_<model>_<method>.npy (final maps) and pgc_<model>_<method>_raw.npy (get_cam_image's map on the grid) for
gradcam, gradcampp, eigencam and scorecam (batch 32; Score-CAM takes minutes: the ViT's 768 masked passes about 3
minutes on two quiet cores, 35 on busy ones), and prints each one's time.
"""
import os
import sys
import time
import types

import numpy as np
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from vit_pgc_reference import run_recorded, swin_grid_to_channels_first, vit_tokens_to_grid  # noqa: E402

TARGET = 3


def build_vit():
    torch.manual_seed(0)
    model = torchvision.models.vit_b_16()
    with torch.no_grad():
        model.heads.head.weight.normal_(0.0, 0.02)
        model.heads.head.bias.normal_(0.0, 0.02)
    return model.eval(), model.encoder.layers[-1].ln_1, vit_tokens_to_grid


def build_swin():
    torch.manual_seed(1)
    model = torchvision.models.swin_t()
    return model.eval(), model.features[-1], swin_grid_to_channels_first


def main():
    folder = sys.argv[1]
    os.makedirs(folder, exist_ok=True)
    stub = types.ModuleType("ttach")
    stub.Compose = lambda transforms: None
    stub.HorizontalFlip = stub.Multiply = lambda *a, **k: None
    sys.modules.setdefault("ttach", stub)
    import pytorch_grad_cam as pgc
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    torch.set_num_threads(2)
    torch.manual_seed(2)
    x = torch.randn(1, 3, 224, 224)
    np.save(os.path.join(folder, "input.npy"), x.numpy())
    methods = {"gradcam": pgc.GradCAM, "gradcampp": pgc.GradCAMPlusPlus, "eigencam": pgc.EigenCAM}
    for name, build, extra in (("vit", build_vit, {"scorecam": pgc.ScoreCAM}), ("swin", build_swin, {"scorecam": pgc.ScoreCAM})):
        model, layer, reshape = build()
        torch.save(model.state_dict(), os.path.join(folder, f"{name}.pth"))
        for method, cls in {**methods, **extra}.items():
            cam = cls(model, [layer], reshape_transform=reshape)
            cam.batch_size = 32  # Score-CAM's masked batches (the others ignore it)
            start = time.perf_counter()
            final, raw = run_recorded(cam, x, [ClassifierOutputTarget(TARGET)])
            seconds = time.perf_counter() - start
            np.save(os.path.join(folder, f"pgc_{name}_{method}.npy"), np.ascontiguousarray(final, dtype=np.float32))
            np.save(os.path.join(folder, f"pgc_{name}_{method}_raw.npy"), np.ascontiguousarray(raw, dtype=np.float32))
            print(f"{name} {method}: {seconds:.1f} s, raw {raw.shape} max {float(raw.max()):.4g}")


if __name__ == "__main__":
    main()
