"""Write the goldens of the rest of the family (family_reference.py) into DecomCam.Tests/Golden/cam/.

    /usr/bin/python3 reference/make_family_goldens.py                       # all cases, about five minutes on 2 threads
    /usr/bin/python3 reference/make_family_goldens.py --cases shapesnet     # a subset
    /usr/bin/python3 reference/make_family_goldens.py --methods guidedbackprop guidedgradcam smoothing   # only these files

The cases of make_cam_goldens.py but resnet18_128 (build_case: detinit weights or the demo model, the same inputs, targets and layers);
files <case>_<method>.npy (final) and <case>_<method>_raw.npy, plus <case>_ablationcam_scores.npy and
<case>_fullgrad_sum.npy, <case>_guidedbackprop_gradient.npy [N,3,H,W] and <case>_guidedgradcam_product.npy, the
smoothing goldens (group `smoothing`: <case>_<method>_eigensmooth[_raw].npy for gradcam, gradcampp, layercam,
gradcamelementwise and scorecam, <case>_gradcam_augsmooth.npy, <case>_gradcam_aug_eigensmooth.npy and
<case>_guidedbackprop_augsmooth.npy) (on resnet18 the sampled methods run with 2 samples: <case>_<method>_s2.npy), and family_manifest.json (shapes, warnings, and the self-check of KPCA against scikit-learn's
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
GROUPS = ["eigengradcam", "gradcamelementwise", "randomcam", "ablationcam", "fullgrad", "sampled", "cam", "kpcacam",
          "guidedbackprop", "guidedgradcam", "smoothing"]


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
    ap.add_argument("--methods", nargs="*", default=GROUPS, choices=GROUPS,
                    help="which goldens to write (sampled: Smooth Grad-CAM++, SS-CAM, IS-CAM; smoothing: eigen and aug smoothing)")
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
        res = {}
        want = set(args.methods)
        if "eigengradcam" in want:
            res["eigengradcam"] = fr.eigengradcam(A, G, size, warnings)
        if "gradcamelementwise" in want:
            res["gradcamelementwise"] = fr.gradcamelementwise(A, G, size)
        if "randomcam" in want:
            res["randomcam"] = fr.randomcam(A, size, seed=0)
        if "ablationcam" in want:
            res["ablationcam"] = fr.ablationcam(model, layer, x, A, t)
        if "fullgrad" in want:
            res["fullgrad"] = fr.fullgrad(model, x, t)
        if "sampled" in want:
            # The sampled methods with their defaults; on ResNet-18 (512 channels: 36k forwards for SS-CAM) with 2 samples.
            few = {"samples": 2} if case.startswith("resnet18") else {}
            suffix = "_s2" if few else ""
            res["smoothgradcampp" + suffix] = fr.smoothgradcampp(model, layer, x, A, t, **few)
            res["sscam" + suffix] = fr.sscam(model, x, A, t, **few)
            res["iscam" + suffix] = fr.iscam(model, x, A, t, **few)
        if "cam" in want and model.fc.weight.shape[1] == A.shape[1]:
            res["cam"] = fr.cam(A, model.fc.weight.detach(), t, size)
        if "kpcacam" in want:
            for k in KERNELS:
                res["kpcacam" if k == "sigmoid" else f"kpcacam_{k}"] = fr.kpcacam(A, size, k, warnings=warnings)
        if "guidedbackprop" in want:
            res["guidedbackprop"] = fr.guidedbackprop(model, x, t)
        if "guidedgradcam" in want:
            res["guidedgradcam"] = fr.guidedgradcam(model, x, A, G, t)
        if "smoothing" in want:
            res.update(smoothing(model, layer, x, A, G, t, size, warnings))
        arrays = {}
        for name, r in res.items():
            arrays[name] = r["final"]
            if "raw" in r:
                arrays[name + "_raw"] = r["raw"]
        for name, key, extra in [("ablationcam", "scores", "ablationcam_scores"), ("fullgrad", "sum", "fullgrad_sum"),
                                 ("guidedbackprop", "gradient", "guidedbackprop_gradient"),
                                 ("guidedgradcam", "product", "guidedgradcam_product")]:
            if name in res:
                arrays[extra] = res[name][key]
        for suffix, arr in arrays.items():
            fn = f"{case}_{suffix}.npy"
            a = to_np(arr)
            np.save(os.path.join(OUT, fn), a)
            manifest["files"][fn] = list(a.shape)
        checks = manifest["checks"].setdefault(case, {})
        if "kpcacam" in want:
            checks["kpca_vs_sklearn_rel_maxabs"] = {k: sklearn_kpca_check(A, k) for k in KERNELS}
        if "fullgrad" in want:
            checks["fullgrad_layers"] = len(res["fullgrad"]["layers"])
        kept = manifest["warnings"].get(case, []) if want != set(GROUPS) else []
        manifest["warnings"][case] = kept + [w for w in warnings if w not in kept]
        print(case, json.dumps(checks))
    with open(mpath, "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
