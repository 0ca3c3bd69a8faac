"""Write the goldens of the rest of the family (family_reference.py) into DecomCam.Tests/Golden/cam/.

    /usr/bin/python3 reference/make_family_goldens.py                       # all cases, about five minutes on 2 threads
    /usr/bin/python3 reference/make_family_goldens.py --cases shapesnet     # a subset
    /usr/bin/python3 reference/make_family_goldens.py --methods fem dff     # only these methods' files
    /usr/bin/python3 reference/make_family_goldens.py --methods guidedbackprop guidedgradcam smoothing   # methods and groups
    /usr/bin/python3 reference/make_family_goldens.py --cases shapesnet --methods sampled finercam

--methods takes method names, a file name's first part after `<case>_` (fem selects fem and fem_raw, shapleycam also
shapleycam_softmax, refinecam also refinecam_two, kpcacam every kernel's files, smoothgradcampp also the _s2 files of resnet18),
and two groups: `sampled` (smoothgradcampp, sscam, iscam) and `smoothing` (every *_eigensmooth and *_augsmooth file
below); default: everything.

The cases of make_cam_goldens.py but resnet18_128 (build_case: detinit weights or the demo model, the same inputs, targets and layers);
files <case>_<method>.npy (final) and <case>_<method>_raw.npy, plus <case>_ablationcam_scores.npy and
<case>_fullgrad_sum.npy, <case>_finercam_similar.npy, <case>_shapleycam_softmax_weights.npy, <case>_refinecam_two_raw2.npy
(shapesnet: RefineCAM over block2 and the case's layer), <case>_dff_{maps,embeddings,scores,selected}.npy (cases whose
layer feeds fc), <case>_guidedbackprop_gradient.npy [N,3,H,W] and <case>_guidedgradcam_product.npy, the
smoothing goldens (group `smoothing`: <case>_<method>_eigensmooth[_raw].npy for gradcam, gradcampp, layercam,
gradcamelementwise and scorecam, <case>_gradcam_augsmooth.npy, <case>_gradcam_aug_eigensmooth.npy and
<case>_guidedbackprop_augsmooth.npy) (on resnet18 the sampled methods run with 2 samples: <case>_<method>_s2.npy), and family_manifest.json (shapes, warnings, and the self-check of KPCA against scikit-learn's
KernelPCA: relative max difference after aligning signs, 0 at float32 resolution except RBF on resnet18, whose
eigenvalues tie; DFF's NMF residual beside scikit-learn's NMF from the same start; ShapleyCAM's Hessian-vector product
sizes). ReLUs are switched to out-of-place before running
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
METHODS = ["eigengradcam", "gradcamelementwise", "randomcam", "ablationcam", "fullgrad", "smoothgradcampp", "sscam", "iscam",
           "finercam", "shapleycam", "fem", "segeigencam", "refinecam", "cam", "dff", "kpcacam", "guidedbackprop",
           "guidedgradcam"]
GROUPS = {"sampled": ["smoothgradcampp", "sscam", "iscam"], "smoothing": ["smoothing"]}


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


def smoothing(model, layer, x, A, G, t, size, warnings):
    """Eigen smoothing of methods whose map is a weighted channel sum, and augmentation smoothing of Grad-CAM (alone and
    with eigen smoothing) and of Guided Backpropagation."""
    gradcam_w = G.mean(dim=(2, 3))[:, :, None, None]
    weighted = {
        "gradcam": gradcam_w * A,
        "gradcampp": cr.gradcampp(A, G, size)["weights"][:, :, None, None] * A,
        "layercam": torch.relu(G) * A,
        "gradcamelementwise": torch.relu(G * A),
        "scorecam": cr.scorecam(model, x, A, t)["weights"][:, :, None, None] * A,
    }
    res = {f"{name}_eigensmooth": fr.eigen_smoothed(w, size, warnings) for name, w in weighted.items()}

    def gradcam_final(xi, eigen):
        _logits, Ai, Gi = cr.activations_and_gradients(model, layer, xi, t)
        wi = Gi.mean(dim=(2, 3))[:, :, None, None] * Ai
        return fr.eigen_smoothed(wi, size)["final"] if eigen else cr.post(wi.sum(dim=1), size)

    res["gradcam_augsmooth"] = {"final": fr.aug_smoothed(lambda xi: gradcam_final(xi, False), x)}
    res["gradcam_aug_eigensmooth"] = {"final": fr.aug_smoothed(lambda xi: gradcam_final(xi, True), x)}
    res["guidedbackprop_augsmooth"] = {"final": fr.aug_smoothed(lambda xi: fr.guidedbackprop(model, xi, t)["final"], x)}
    return res


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="*", default=CASES)
    ap.add_argument("--methods", nargs="*", default=None, choices=METHODS + list(GROUPS), metavar="NAME",
                    help="write only these methods' files (a file name's first part, e.g. fem dff guidedbackprop) or "
                         "groups' (sampled: Smooth Grad-CAM++, SS-CAM, IS-CAM; smoothing: eigen and aug smoothing); "
                         "default: all")
    args = ap.parse_args()
    want = None if args.methods is None else {n for m in args.methods for n in GROUPS.get(m, [m])}
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
        makers["guidedbackprop"] = lambda: fr.guidedbackprop(model, x, t)
        makers["guidedgradcam"] = lambda: fr.guidedgradcam(model, x, A, G, t)
        makers["smoothing"] = lambda: smoothing(model, layer, x, A, G, t, size, warnings)  # several results
        res = {}
        for name, make in makers.items():
            if want is None or name.split("_")[0] in want:
                if name == "smoothing":
                    res.update(make())
                else:
                    res[name] = make()
        arrays = {}
        for name, r in res.items():
            arrays[name] = r["final"]
            if "raw" in r:
                arrays[name + "_raw"] = r["raw"]
        extras = {"ablationcam": {"ablationcam_scores": "scores"}, "fullgrad": {"fullgrad_sum": "sum"},
                  "finercam": {"finercam_similar": "similar"}, "shapleycam_softmax": {"shapleycam_softmax_weights": "weights"},
                  "refinecam_two": {"refinecam_two_raw2": None},
                  "dff": {"dff_maps": "maps", "dff_embeddings": "embeddings", "dff_scores": "scores", "dff_selected": "selected"},
                  "guidedbackprop": {"guidedbackprop_gradient": "gradient"},
                  "guidedgradcam": {"guidedgradcam_product": "product"}}
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
        merged = list(manifest["warnings"].get(case, [])) if want is not None else []  # a subset keeps the others'
        for w in warnings:
            if w not in merged:
                merged.append(w)
        manifest["warnings"][case] = merged
        print(case, json.dumps(checks))
    with open(mpath, "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
