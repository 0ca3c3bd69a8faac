#!/usr/bin/env python3
"""Time the Python CAM libraries that DecomCam.NET is compared against (the "anchors").

Anchors, each imported from a checkout given on the command line (never vendored here):
  * pytorch-grad-cam (jacobgil): GradCAM, and ScoreCAM with batch size 32;
  * official DecomCAM (CapricornGuang): its `DecomCAM` class (Q=10 components, P=500 channels,
    OSSM masks blended with a Gaussian-blurred input), called as the repository's demos call it.

Every case mirrors the .NET workload: torch.manual_seed(0), a torchvision ResNet with random
weights in eval mode, then the input (torch.randn(1, 3, 224, 224), or --input FILE.npy),
target class --target, target layer model.layer4, everything on the CPU. Only the explain call
is timed (time.perf_counter) after --warmup untimed calls; the median of the repeats is printed
to stdout as one line per case:

  anchor=<pytorch-grad-cam|official-decomcam> method=<m> model=<m> median_seconds=<float>

Progress bars and notes go to stderr. With --save-weights DIR, each model's state dict
(DIR/<model>.pth) and the input (DIR/input.npy) are written first, so that the .NET command line
can explain exactly the same model and input (compare-anchors.sh does this).
"""
import argparse
import importlib
import statistics
import sys
import time
import types

import os

import numpy as np
import torch
import torchvision
from threadpoolctl import threadpool_limits

PACKAGE = "pytorch_grad_cam"  # both anchors ship a package under this same name
METHODS = ("gradcam", "scorecam", "decomcam")
MODELS = ("resnet18", "resnet50")
ANCHOR = {"gradcam": "pytorch-grad-cam", "scorecam": "pytorch-grad-cam", "decomcam": "official-decomcam"}


class _Inert:
    """Stand-in for the classes of an optional dependency that the timed path never uses."""

    def __init__(self, *args, **kwargs):
        pass


def stub_if_missing(name, **attrs):
    """Register an inert module `name` unless the real one can be imported.

    `ttach` (test-time augmentation, only used with aug_smooth=True) and `clip` (only used for
    CLIP models) are imported at module level by the anchors but play no part in these cases.
    """
    try:
        importlib.import_module(name)
    except ImportError:
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        sys.modules[name] = module
        print(f"note: '{name}' is not installed; using an inert stand-in", file=sys.stderr)


def load_package(src):
    """Import the `pytorch_grad_cam` package of the checkout at `src`, dropping any other one."""
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    sys.path.insert(0, src)
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(src)


def make_cam(method, model, args):
    """Build the anchor's CAM object for `method` on model.layer4, and its class target."""
    package = load_package(args.decomcam_src if method == "decomcam" else args.grad_cam_src)
    layers = [model.layer4]
    if method == "gradcam":
        cam = package.GradCAM(model=model, target_layers=layers)
    elif method == "scorecam":
        cam = package.ScoreCAM(model=model, target_layers=layers)
        cam.batch_size = 32  # read by ScoreCAM.get_cam_weights; not a constructor argument
    else:
        cam = package.DecomCAM(model=model, target_layers=layers, n_components=10, p=500)
    return cam, package.utils.model_targets.ClassifierOutputTarget(args.target)


def median_seconds(cam, x, target, warmup, repeat):
    """Median wall time of `repeat` explain calls, after `warmup` untimed ones."""
    for _ in range(warmup):
        cam(input_tensor=x, targets=[target])
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        cam(input_tensor=x, targets=[target])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def comma_list(allowed):
    """argparse type: a comma-separated subset of `allowed`, in the order given."""
    def parse(text):
        items = [item.strip() for item in text.split(",") if item.strip()]
        unknown = [item for item in items if item not in allowed]
        if unknown or not items:
            raise argparse.ArgumentTypeError(f"choose from {','.join(allowed)} (got {text!r})")
        return items
    return parse


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grad-cam-src", help="checkout of jacobgil/pytorch-grad-cam")
    parser.add_argument("--decomcam-src", help="checkout of CapricornGuang/DecomCAM")
    parser.add_argument("--methods", type=comma_list(METHODS), default=list(METHODS))
    parser.add_argument("--models", type=comma_list(MODELS), default=list(MODELS))
    parser.add_argument("--input", help="float32 .npy of shape [1,3,224,224] (default: seeded randn)")
    parser.add_argument("--target", type=int, default=238, help="target class (default 238)")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--repeat", type=int, help="timed calls per case (default 5; ScoreCAM 3)")
    parser.add_argument("--threads", type=int, default=2, help="torch and BLAS threads (default 2)")
    parser.add_argument("--save-weights", metavar="DIR", help="write DIR/<model>.pth and DIR/input.npy first")
    args = parser.parse_args()
    if {"gradcam", "scorecam"} & set(args.methods) and not args.grad_cam_src:
        parser.error("--grad-cam-src is required for gradcam and scorecam")
    if "decomcam" in args.methods and not args.decomcam_src:
        parser.error("--decomcam-src is required for decomcam")
    return args


def main():
    args = parse_args()
    stub_if_missing("ttach", Compose=_Inert, HorizontalFlip=_Inert, Multiply=_Inert)
    stub_if_missing("clip")
    torch.set_num_threads(args.threads)
    with threadpool_limits(limits=args.threads):
        for model_name in args.models:
            torch.manual_seed(0)
            model = getattr(torchvision.models, model_name)(weights=None).eval()
            if args.input:
                x = torch.from_numpy(np.load(args.input).astype(np.float32))
            else:
                x = torch.randn(1, 3, 224, 224)
            if args.save_weights:
                os.makedirs(args.save_weights, exist_ok=True)
                torch.save(model.state_dict(), os.path.join(args.save_weights, f"{model_name}.pth"))
                np.save(os.path.join(args.save_weights, "input.npy"), x.numpy())
            for method in args.methods:
                repeat = args.repeat or (3 if method == "scorecam" else 5)
                cam, target = make_cam(method, model, args)
                with cam:
                    seconds = median_seconds(cam, x, target, args.warmup, repeat)
                print(f"anchor={ANCHOR[method]} method={method} model={model_name} "
                      f"median_seconds={seconds:.6f}", flush=True)


if __name__ == "__main__":
    main()
