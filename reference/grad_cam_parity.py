"""Maps of pytorch-grad-cam itself, for the Pearson-r parity tests (DecomCam.Tests/Methods/PytorchGradCamParityTests.cs).

    /usr/bin/python3 reference/grad_cam_parity.py /tmp/anchors/pytorch-grad-cam      # about a minute on 2 threads
    /usr/bin/python3 reference/grad_cam_parity.py /tmp/anchors/pytorch-grad-cam --ttach /tmp/anchors/ttach \
        --methods guidedbackprop guidedgradcam gradcam_augsmooth gradcam_eigensmooth      # only these files

Runs pytorch-grad-cam's classes from the checkout given (its `ttach` import is stubbed unless --ttach names a folder
holding a checkout of qubvel/ttach, which augmentation smoothing needs) on the `resnet18` golden case of make_cam_goldens.py: torchvision ResNet-18 with detinit weights, input
fill_value("input", (2,3,96,96)), targets [5, 817] (ClassifierOutputTarget), layer4. ReLUs are made out-of-place (the
same function; pytorch-grad-cam's tensor hooks on a BatchNorm output that an in-place ReLU overwrites would see the
ReLU's gradient, which matters to FullGrad). Writes DecomCam.Tests/Golden/cam/pgc_resnet18_<method>.npy, the final
maps [2,96,96] as pytorch-grad-cam returns them, and for methods whose SVD leaves the sign open also
pgc_resnet18_<method>_raw.npy, the map before its ReLU (what get_cam_image returned), so that the test can apply our
sign rule before comparing.

Beyond the methods: `guidedbackprop` is GuidedBackpropReLUModel's gradient per image (it explains one image per call),
saved as [2,3,96,96]; `guidedgradcam` is pytorch-grad-cam's recipe `cam_mask * gb` (GradCAM's final map times that
gradient, before deprocess_image's display scaling), [2,3,96,96]; `<method>_eigensmooth` (with `_raw`) and
`gradcam_augsmooth` are the classes called with eigen_smooth=True and aug_smooth=True (ttach's flips and factors).
"""
import os
import sys
import types

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_cam_goldens import OUT, build_case  # noqa: E402

SIGN_OPEN = {"eigencam", "eigengradcam", "gradcam_eigensmooth", "gradcampp_eigensmooth", "layercam_eigensmooth"}


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkout", nargs="?", default="/tmp/anchors/pytorch-grad-cam")
    ap.add_argument("--ttach", help="a folder holding the ttach package (needed by gradcam_augsmooth)")
    ap.add_argument("--methods", nargs="*", help="only these outputs (default: all)")
    args = ap.parse_args()
    sys.path.insert(0, args.checkout)
    if args.ttach:
        sys.path.insert(0, args.ttach)
    else:
        stub = types.ModuleType("ttach")
        stub.Compose = lambda transforms: None
        stub.HorizontalFlip = stub.Multiply = lambda *a, **k: None
        sys.modules.setdefault("ttach", stub)
    import pytorch_grad_cam as pgc
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    torch.set_num_threads(2)
    model, layer, x, t, _ = build_case("resnet18")
    for m in model.modules():
        if isinstance(m, torch.nn.ReLU):
            m.inplace = False
    targets = [ClassifierOutputTarget(int(c)) for c in t]
    methods = {
        "gradcam": lambda: pgc.GradCAM(model, [layer]),
        "gradcam++": lambda: pgc.GradCAMPlusPlus(model, [layer]),
        "xgradcam": lambda: pgc.XGradCAM(model, [layer]),
        "layercam": lambda: pgc.LayerCAM(model, [layer]),
        "hirescam": lambda: pgc.HiResCAM(model, [layer]),
        "eigencam": lambda: pgc.EigenCAM(model, [layer]),
        "eigengradcam": lambda: pgc.EigenGradCAM(model, [layer]),
        "gradcamelementwise": lambda: pgc.GradCAMElementWise(model, [layer]),
        "ablationcam": lambda: pgc.AblationCAM(model, [layer]),
        "kpcacam": lambda: pgc.KPCA_CAM(model, [layer]),
        "fullgrad": lambda: pgc.FullGrad(model, []),
    }
    smoothed = {  # name: (class, aug_smooth, eigen_smooth)
        "gradcam_augsmooth": (pgc.GradCAM, True, False),
        "gradcam_eigensmooth": (pgc.GradCAM, False, True),
        "gradcampp_eigensmooth": (pgc.GradCAMPlusPlus, False, True),
        "layercam_eigensmooth": (pgc.LayerCAM, False, True),
    }
    wanted = lambda name: not args.methods or name in args.methods  # noqa: E731
    if args.ttach is None and args.methods is None:
        del smoothed["gradcam_augsmooth"]
    for name, (cls, aug, eigen) in smoothed.items():
        if wanted(name):
            save(name, *run_recorded(cls(model, [layer]), x, targets, aug_smooth=aug, eigen_smooth=eigen))
    if wanted("guidedbackprop") or wanted("guidedgradcam"):
        gb = guided_gradients(pgc, model, x, t)
        if wanted("guidedbackprop"):
            save("guidedbackprop", gb, None)
        if wanted("guidedgradcam"):
            cam, _ = run_recorded(pgc.GradCAM(model, [layer]), x, targets)
            save("guidedgradcam", cam[:, None] * gb, None)
    for name, make in methods.items():
        if not wanted(name):
            continue
        save(name.replace("++", "pp"), *run_recorded(make(), x, targets))


def run_recorded(cam, x, targets, **kwargs):
    """The final maps of a pytorch-grad-cam class and the first raw map its get_cam_image returned."""
    raws = []
    original = cam.get_cam_image

    def recording(*args, _original=original, **kw):
        raw = _original(*args, **kw)
        raws.append(np.float32(raw))
        return raw

    cam.get_cam_image = recording
    final = cam(input_tensor=x, targets=targets, **kwargs)
    cam.activations_and_grads.release()
    return final, raws[0]


def guided_gradients(pgc, model, x, t):
    """GuidedBackpropReLUModel's [H,W,3] gradient of each image for its target, as [N,3,H,W]."""
    from pytorch_grad_cam.guided_backprop import GuidedBackpropReLUModel
    gb_model = GuidedBackpropReLUModel(model=model, device="cpu")
    return np.stack([gb_model(x[i:i + 1].clone(), target_category=int(t[i])).transpose(2, 0, 1) for i in range(len(t))])


def save(file, final, raw):
    np.save(os.path.join(OUT, f"pgc_resnet18_{file}.npy"), np.ascontiguousarray(final, dtype=np.float32))
    if file in SIGN_OPEN:
        np.save(os.path.join(OUT, f"pgc_resnet18_{file}_raw.npy"), np.ascontiguousarray(raw, dtype=np.float32))
    print(file, final.shape, float(final.max()))


if __name__ == "__main__":
    main()
