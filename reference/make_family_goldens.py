"""Write the goldens of the rest of the family (family_reference.py) into DecomCam.Tests/Golden/cam/.

    /usr/bin/python3 reference/make_family_goldens.py                       # all cases, about five minutes on 2 threads
    /usr/bin/python3 reference/make_family_goldens.py --cases shapesnet     # a subset
    /usr/bin/python3 reference/make_family_goldens.py --methods fem dff     # only these methods' files

The cases of make_cam_goldens.py but resnet18_128 (build_case: detinit weights or the demo model, the same inputs, targets and layers);
files <case>_<method>.npy (final) and <case>_<method>_raw.npy, plus <case>_ablationcam_scores.npy and
<case>_fullgrad_sum.npy (on resnet18 the sampled methods run with 2 samples: <case>_<method>_s2.npy), and family_manifest.json (shapes, warnings, and the self-check of KPCA against scikit-learn's
KernelPCA: relative max difference after aligning signs, 0 at float32 resolution except RBF on resnet18, whose
eigenvalues tie). ReLUs are switched to out-of-place before running
(the same function): the C# models never modify a layer's output in place, and a gradient taken with respect to a
BatchNorm output that an in-place ReLU overwrote would be the ReLU output's.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cam_reference as cr  # noqa: E402
import family_reference as fr  # noqa: E402
from make_cam_goldens import OUT, build_case, to_np, max_abs  # noqa: E402

KERNELS = ["sigmoid", "rbf", "poly", "linear", "cosine"]
CASES = ["shapesnet", "resnet18", "shapesnet_block2", "demo"]


def sklearn_kpca_check(A, kernel):
    """Max |ours - scikit-learn| over the raw KPCA maps after aligning signs (sklearn's own sign rule may differ)."""
    from sklearn.decomposition import KernelPCA
    ours = fr.kpcacam(A, A.shape[-2:], kernel)["raw"]
    worst = 0.0
    for n in range(A.shape[0]):
        X = A[n].reshape(A.shape[1], -1).T.double().numpy()
        X = X - X.mean(axis=0)
        p = torch.from_numpy(KernelPCA(n_components=1, kernel=kernel).fit_transform(X)[:, 0]).float()
        o = ours[n].flatten()
        sign = 1.0 if float((p * o).sum()) >= 0 else -1.0
        worst = max(worst, max_abs(o, sign * p) / max(float(o.abs().max()), 1e-30))
    return worst


def sklearn_nmf_check(A, ours):
    """scikit-learn's NMF from the same NNDSVDa start, 200 multiplicative updates: (its relative residual, ours)."""
    from sklearn.decomposition import NMF
    X = A.transpose(0, 1).reshape(A.shape[1], -1).double().numpy()
    X = X - X.min(axis=1, keepdims=True)
    model = NMF(n_components=ours["maps"].shape[1], init="nndsvda", solver="mu", max_iter=200, tol=0)
    W = model.fit_transform(X)
    return {"sklearn_relative_residual": float(np.linalg.norm(W @ model.components_ - X) / np.linalg.norm(X)),
            "ours_relative_residual": ours["residual"]}


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="*", default=CASES)
    ap.add_argument("--methods", nargs="*", default=None,
                    help="write only these methods' files (file names' first part, e.g. fem dff); default: all")
    args = ap.parse_args()
    torch.set_num_threads(2)
    mpath = os.path.join(OUT, "family_manifest.json")
    manifest = {"generator": "reference/make_family_goldens.py", "torch": torch.__version__, "files": {}, "checks": {},
                "warnings": {}}
    if os.path.exists(mpath):
        with open(mpath) as f:
            old = json.load(f)
        for key in ("files", "checks", "warnings"):
            manifest[key].update(old.get(key, {}))
    for case in args.cases:
        model, layer, x, t, layer_name = build_case(case)
        for m in model.modules():
            if isinstance(m, torch.nn.ReLU):
                m.inplace = False
        warnings = []
        size = tuple(x.shape[-2:])
        _logits, A, G = cr.activations_and_gradients(model, layer, x, t)
        few = {"samples": 2} if case.startswith("resnet18") else {}  # ResNet-18's 512 channels: 36k SS-CAM forwards
        sampled = "_s2" if few else ""
        makers = {
            "eigengradcam": lambda: fr.eigengradcam(A, G, size, warnings),
            "gradcamelementwise": lambda: fr.gradcamelementwise(A, G, size),
            "randomcam": lambda: fr.randomcam(A, size, seed=0),
            "ablationcam": lambda: fr.ablationcam(model, layer, x, A, t),
            "fullgrad": lambda: fr.fullgrad(model, x, t),
            # The sampled methods with their defaults; on ResNet-18 with 2 samples.
            "smoothgradcampp" + sampled: lambda: fr.smoothgradcampp(model, layer, x, A, t, **few),
            "sscam" + sampled: lambda: fr.sscam(model, x, A, t, **few),
            "iscam" + sampled: lambda: fr.iscam(model, x, A, t, **few),
            "finercam": lambda: fr.finercam(model, layer, x, t),
            "shapleycam": lambda: fr.shapleycam(model, layer, x, t),
            "shapleycam_softmax": lambda: fr.shapleycam(model, layer, x, t, score="softmax"),
            "fem": lambda: fr.fem(A, size),
            "segeigencam": lambda: fr.segeigencam(A, G, size, warnings),
            "refinecam": lambda: fr.refinecam(model, [layer], x, t),
        }
        fits_fc = model.fc.weight.shape[1] == A.shape[1]
        if fits_fc:
            makers["cam"] = lambda: fr.cam(A, model.fc.weight.detach(), t, size)
            makers["dff"] = lambda: fr.dff(A, model.fc, t, size)
        for k in KERNELS:
            makers["kpcacam" if k == "sigmoid" else f"kpcacam_{k}"] = lambda k=k: fr.kpcacam(A, size, k, warnings=warnings)
        if case == "resnet18":  # saturated softmax: the classes nearest 5 and 817 have p = 0, so Finer-CAM has no gradient
            del makers["finercam"]
        if case == "shapesnet":
            makers["refinecam_two"] = lambda: fr.refinecam(model, [model.block2, layer], x, t)
        chosen = [m for m in makers if args.methods is None or m.split("_")[0] in args.methods]
        res = {name: makers[name]() for name in chosen}
        arrays = {}
        for name, r in res.items():
            arrays[name] = r["final"]
            arrays[name + "_raw"] = r["raw"]
        extras = {"ablationcam": {"ablationcam_scores": "scores"}, "fullgrad": {"fullgrad_sum": "sum"},
                  "finercam": {"finercam_similar": "similar"}, "shapleycam_softmax": {"shapleycam_softmax_weights": "weights"},
                  "refinecam_two": {"refinecam_two_raw2": None},
                  "dff": {"dff_maps": "maps", "dff_embeddings": "embeddings", "dff_scores": "scores", "dff_selected": "selected"}}
        for name, files in extras.items():
            for suffix, key in files.items():
                if name in res:
                    arrays[suffix] = res[name]["raws"][1] if key is None else res[name][key]
        for suffix, arr in arrays.items():
            fn = f"{case}_{suffix}.npy"
            a = to_np(arr)
            np.save(os.path.join(OUT, fn), a)
            manifest["files"][fn] = list(a.shape)
        checks = manifest["checks"].setdefault(case, {})
        if "kpcacam" in res:
            checks["kpca_vs_sklearn_rel_maxabs"] = {k: sklearn_kpca_check(A, k) for k in KERNELS}
        if "fullgrad" in res:
            checks["fullgrad_layers"] = len(res["fullgrad"]["layers"])
        if "dff" in res:
            checks["dff_relative_residual"] = res["dff"]["residual"]
            checks["dff_vs_sklearn"] = sklearn_nmf_check(A, res["dff"])
        if "shapleycam_softmax" in res:
            checks["shapleycam_softmax_hvp_maxabs"] = float(res["shapleycam_softmax"]["hvp"].abs().max())
            checks["shapleycam_logit_hvp_maxabs"] = float(res["shapleycam"]["hvp"].abs().max())
        manifest["warnings"][case] = sorted(set(manifest["warnings"].get(case, []) if args.methods else []) | set(warnings))
        print(case, json.dumps(checks))
    with open(mpath, "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
