"""Maps of pytorch-grad-cam itself, for the Pearson-r parity tests (DecomCam.Tests/Methods/PytorchGradCamParityTests.cs).

    /usr/bin/python3 reference/grad_cam_parity.py /tmp/anchors/pytorch-grad-cam      # about a minute on 2 threads
    /usr/bin/python3 reference/grad_cam_parity.py /tmp/anchors/pytorch-grad-cam --methods fem refinecam   # only these
    /usr/bin/python3 reference/grad_cam_parity.py /tmp/anchors/pytorch-grad-cam --ttach /tmp/anchors/ttach \
        --methods guidedbackprop guidedgradcam gradcam_augsmooth gradcam_eigensmooth      # only these files

--methods takes output names (the file name's part after pgc_resnet18_, gradcam++ or gradcampp); a name without `_`
also selects its variants (refinecam: refinecam_two; gradcam: gradcam_eigensmooth, and gradcam_augsmooth when --ttach
is given). Default: everything, gradcam_augsmooth only with --ttach.

Runs pytorch-grad-cam's classes from the checkout given (its `ttach` import is stubbed unless --ttach names a folder
holding a checkout of qubvel/ttach, which augmentation smoothing needs) on the `resnet18` golden case of make_cam_goldens.py: torchvision ResNet-18 with detinit weights, input
fill_value("input", (2,3,96,96)), targets [5, 817] (ClassifierOutputTarget), layer4. ReLUs are made out-of-place (the
same function; pytorch-grad-cam's tensor hooks on a BatchNorm output that an in-place ReLU overwrites would see the
ReLU's gradient, which matters to FullGrad). Writes DecomCam.Tests/Golden/cam/pgc_resnet18_<method>.npy, the final
maps [2,96,96] as pytorch-grad-cam returns them, and for methods whose SVD leaves the sign open also
pgc_resnet18_<method>_raw.npy, the map before its ReLU (what get_cam_image returned), so that the test can apply our
sign rule before comparing. Beyond the plain method runs: finercam with no targets (pytorch-grad-cam then contrasts
each image's top class with its three nearest classes: the test runs ours on the top class) and refinecam_two
(RefineCAM over layer3 and layer4).

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
        "finercam": lambda: pgc.FinerCAM(model, [layer]),
        "shapleycam": lambda: pgc.ShapleyCAM(model, [layer]),
        "fem": lambda: pgc.FEM(model, [layer]),
        "segeigencam": lambda: pgc.SegEigenCAM(model, [layer]),
        "refinecam": lambda: pgc.RefineCAM(model, [layer]),
        "refinecam_two": lambda: pgc.RefineCAM(model, [model.layer3, layer]),
    }
    special_targets = {"finercam": None}
    smoothed = {  # name: (class, aug_smooth, eigen_smooth)
        "gradcam_augsmooth": (pgc.GradCAM, True, False),
        "gradcam_eigensmooth": (pgc.GradCAM, False, True),
        "gradcampp_eigensmooth": (pgc.GradCAMPlusPlus, False, True),
        "layercam_eigensmooth": (pgc.LayerCAM, False, True),
    }
    names = [n.replace("++", "pp") for n in list(methods) + list(smoothed) + ["guidedbackprop", "guidedgradcam"]]
    asked = None if args.methods is None else {n.replace("++", "pp") for n in args.methods}
    unknown = sorted((asked or set()) - set(names) - {n.split("_")[0] for n in names})
    if unknown:
        ap.error(f"unknown --methods {' '.join(unknown)}; known: {' '.join(names)}")

    def wanted(name):
        file = name.replace("++", "pp")
        return asked is None or file in asked or file.split("_")[0] in asked

    if args.ttach is None:
        if asked is not None and "gradcam_augsmooth" in asked:
            ap.error("gradcam_augsmooth needs --ttach")
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
        save(name.replace("++", "pp"), *run_recorded(make(), x, special_targets.get(name, targets)))


def run_recorded(cam, x, targets, **kwargs):
    """The final maps of a pytorch-grad-cam class and the first raw map its get_cam_image returned (None for the
    wrappers without one: FinerCAM over its base_cam, RefineCAM over one base CAM per layer)."""
    raws = []
    if hasattr(cam, "get_cam_image"):
        original = cam.get_cam_image

        def recording(*args, _original=original, **kw):
            raw = _original(*args, **kw)
            raws.append(np.float32(raw))
            return raw

        cam.get_cam_image = recording
    final = cam(input_tensor=x, targets=targets, **kwargs)
    for base in getattr(cam, "base_cam_per_layer", None) or [getattr(cam, "base_cam", cam)]:
        base.activations_and_grads.release()
    return final, raws[0] if raws else None


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
