"""Maps of pytorch-grad-cam itself, for the Pearson-r parity tests (DecomCam.Tests/Methods/PytorchGradCamParityTests.cs).

    /usr/bin/python3 reference/grad_cam_parity.py /tmp/anchors/pytorch-grad-cam      # about a minute on 2 threads
    /usr/bin/python3 reference/grad_cam_parity.py /tmp/anchors/pytorch-grad-cam fem refinecam   # only these files

Runs pytorch-grad-cam's classes from the checkout given (its `ttach` import is stubbed: augmentation smoothing is not
used) on the `resnet18` golden case of make_cam_goldens.py: torchvision ResNet-18 with detinit weights, input
fill_value("input", (2,3,96,96)), targets [5, 817] (ClassifierOutputTarget), layer4. ReLUs are made out-of-place (the
same function; pytorch-grad-cam's tensor hooks on a BatchNorm output that an in-place ReLU overwrites would see the
ReLU's gradient, which matters to FullGrad). Writes DecomCam.Tests/Golden/cam/pgc_resnet18_<method>.npy, the final
maps [2,96,96] as pytorch-grad-cam returns them, and for methods whose SVD leaves the sign open also
pgc_resnet18_<method>_raw.npy, the map before its ReLU (what get_cam_image returned), so that the test can apply our
sign rule before comparing. Beyond the plain method runs: finercam with no targets (pytorch-grad-cam then contrasts
each image's top class with its three nearest classes: the test runs ours on the top class) and refinecam_two
(RefineCAM over layer3 and layer4).
"""
import os
import sys
import types

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_cam_goldens import OUT, build_case  # noqa: E402

SIGN_OPEN = {"eigencam", "eigengradcam"}


def main():
    sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "/tmp/anchors/pytorch-grad-cam")
    only = set(sys.argv[2:])
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
    special_targets = {"finercam": None}
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
    for name, make in methods.items():
        if only and name.split("_")[0] not in only:
            continue
        if name.startswith("refinecam"):
            cam = make()
            final = cam(input_tensor=x, targets=targets)
            for base in cam.base_cam_per_layer:
                base.activations_and_grads.release()
            np.save(os.path.join(OUT, f"pgc_resnet18_{name}.npy"), np.ascontiguousarray(final, dtype=np.float32))
            print(name, final.shape, float(final.max()))
            continue
        cam = make()
        raws = []
        original = getattr(cam, "get_cam_image", None)

        def recording(*args, _original=original, **kwargs):
            raw = _original(*args, **kwargs)
            raws.append(np.float32(raw))
            return raw

        if hasattr(cam, "get_cam_image"):
            cam.get_cam_image = recording
        final = cam(input_tensor=x, targets=special_targets.get(name, targets))
        (cam.base_cam if name == "finercam" else cam).activations_and_grads.release()
        file = name.replace("++", "pp")
        np.save(os.path.join(OUT, f"pgc_resnet18_{file}.npy"), np.ascontiguousarray(final, dtype=np.float32))
        if name in SIGN_OPEN:
            np.save(os.path.join(OUT, f"pgc_resnet18_{file}_raw.npy"), np.ascontiguousarray(raws[0], dtype=np.float32))
        print(name, final.shape, float(final.max()))


if __name__ == "__main__":
    main()
