"""pytorch-grad-cam's maps on the reduced seeded ViT and Swin of vit_reference.py, for TransformerParityTests.

    /usr/bin/python3 reference/vit_pgc_reference.py /tmp/anchors/pytorch-grad-cam      # a few seconds

Loads the goldens that vit_reference.py wrote into DecomCam.Tests/Golden/vit/ (weights and inputs: run it first) into
torchvision's classes and runs pytorch-grad-cam's GradCAM, GradCAMPlusPlus, ScoreCAM and EigenCAM from the checkout
given (its `ttach` import is stubbed: augmentation smoothing is not used) with its documented reshape transforms:
- vit: layer `encoder.layers[-1].ln_1` (torchvision's name for timm's `blocks[-1].norm1`), the class token dropped and
  the 4x4 patch tokens laid on their grid; input vit_input.npy [2,3,32,32], targets 3 and 7 (ClassifierOutputTarget).
- swin: layer `features[-1]` (the last stage, output [N,h,w,C]) permuted to [N,C,h,w]; input swin_input.npy
  [1,3,56,56], target 3.
Writes pgc_<model>_<method>.npy (gradcam, gradcampp, scorecam, eigencam): the final maps [N,H,W] as pytorch-grad-cam
returns them, and pgc_<model>_<method>_raw.npy, the map on the token grid before its ReLU (what get_cam_image returned):
Eigen-CAM's SVD leaves the sign open, so the test applies our sign rule to it before comparing, and Score-CAM on the
ViT's ln_1 is negative everywhere for these weights (a LayerNorm output with negative biases, its channels weighted by
a softmax: nearly their mean), so its final maps are all zero and only the raw maps carry the comparison.
"""
import os
import sys
import types

import numpy as np
import torch
from torchvision.models.swin_transformer import SwinTransformer
from torchvision.models.vision_transformer import VisionTransformer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import safetensors_io  # noqa: E402

GOLDEN = os.path.join(HERE, "..", "DecomCam.Tests", "Golden", "vit")


def vit_tokens_to_grid(tensor):
    """pytorch-grad-cam's documented ViT reshape: drop the class token, lay the rest on the square grid, channels first."""
    side = int(round((tensor.size(1) - 1) ** 0.5))
    grid = tensor[:, 1:, :].reshape(tensor.size(0), side, side, tensor.size(2))
    return grid.permute(0, 3, 1, 2)


def swin_grid_to_channels_first(tensor):
    """torchvision's Swin stages output [N,h,w,C]: channels first for the CAM."""
    return tensor.permute(0, 3, 1, 2)


def load_vit():
    model = VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32,
                              num_classes=10)
    state = {k: torch.from_numpy(v) for k, v in safetensors_io.load(os.path.join(GOLDEN, "vit_torchvision.safetensors")).items()}
    model.load_state_dict(state)
    return model.eval(), model.encoder.layers[-1].ln_1, vit_tokens_to_grid


def load_swin():
    model = SwinTransformer(patch_size=[4, 4], embed_dim=8, depths=[2, 2], num_heads=[2, 2], window_size=[4, 4],
                            num_classes=10)
    model.load_state_dict(torch.load(os.path.join(GOLDEN, "swin.pth")))
    return model.eval(), model.features[-1], swin_grid_to_channels_first


CASES = {
    "vit": (load_vit, "vit_input.npy", [3, 7]),
    "swin": (load_swin, "swin_input.npy", [3]),
}


def run_recorded(cam, x, targets):
    """The final maps of a pytorch-grad-cam class and the raw map its get_cam_image returned."""
    raws = []
    original = cam.get_cam_image

    def recording(*args, **kw):
        raw = original(*args, **kw)
        raws.append(np.float32(raw))
        return raw

    cam.get_cam_image = recording
    final = cam(input_tensor=x, targets=targets)
    cam.activations_and_grads.release()
    return final, raws[0]


def main():
    checkout = sys.argv[1] if len(sys.argv) > 1 else "/tmp/anchors/pytorch-grad-cam"
    sys.path.insert(0, checkout)
    stub = types.ModuleType("ttach")
    stub.Compose = lambda transforms: None
    stub.HorizontalFlip = stub.Multiply = lambda *a, **k: None
    sys.modules.setdefault("ttach", stub)
    import pytorch_grad_cam as pgc
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    torch.set_num_threads(2)
    methods = {"gradcam": pgc.GradCAM, "gradcampp": pgc.GradCAMPlusPlus, "scorecam": pgc.ScoreCAM,
               "eigencam": pgc.EigenCAM}
    for name, (load, input_file, classes) in CASES.items():
        model, layer, reshape = load()
        x = torch.from_numpy(np.load(os.path.join(GOLDEN, input_file)))
        targets = [ClassifierOutputTarget(c) for c in classes]
        for method, cls in methods.items():
            final, raw = run_recorded(cls(model, [layer], reshape_transform=reshape), x, targets)
            np.save(os.path.join(GOLDEN, f"pgc_{name}_{method}.npy"), np.ascontiguousarray(final, dtype=np.float32))
            np.save(os.path.join(GOLDEN, f"pgc_{name}_{method}_raw.npy"), np.ascontiguousarray(raw, dtype=np.float32))
            print(name, method, final.shape, "final max", float(final.max()), "raw max", float(raw.max()))


if __name__ == "__main__":
    main()
