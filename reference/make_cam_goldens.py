"""Write the CAM goldens (float32 .npy) into DecomCam.Tests/Golden/cam/ and run the reference's self-checks.

    /usr/bin/python3 reference/make_cam_goldens.py            # from the repository root

Cases (weights from detinit.fill_module, inputs from detinit.fill_value("input", shape); nothing random):
  shapesnet: ShapesNet(4), input (2,3,48,48), targets [1,3], layer block3 (the Sequential's output, after its ReLU)
  resnet18:  torchvision resnet18(num_classes=1000), input (2,3,96,96), targets [5,817], layer layer4
"""
from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cam_reference as cr  # noqa: E402
import detinit  # noqa: E402
from models import SceneNet, ShapesNet  # noqa: E402
import safetensors_io  # noqa: E402

OUT = os.path.join(os.path.dirname(HERE), "DecomCam.Tests", "Golden", "cam")


SPEC_CASES = ["shapesnet", "resnet18"]
EXTRA_CASES = ["shapesnet_block2", "resnet18_128", "demo"]
ASSETS = os.path.join(os.path.dirname(HERE), "DecomCam.Cli", "assets")
DEMO_TARGETS = [5, 4]  # ring in sample.png, cross in demo_second_scene.png (held-out scenes 20005022 and 20005063 of seed 1)


def demo_inputs():
    """The bundled sample.png and a second held-out scene (reference/demo_second_scene.png), as uint8 PNG pixels,
    ImageNet-normalised like DecomCam's ImageLoader (pixel / 255, then (x - mean) / std)."""
    from PIL import Image
    mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)
    std = np.array([0.229, 0.224, 0.225], dtype=np.float32)
    paths = [os.path.join(ASSETS, "sample.png"), os.path.join(HERE, "demo_second_scene.png")]
    imgs = np.stack([np.asarray(Image.open(p).convert("RGB"), dtype=np.uint8) for p in paths])
    x = (imgs.astype(np.float32) / 255.0 - mean) / std
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def build_case(name: str, dtype=torch.float32):
    """(model, layer, x, targets, layer_name) for a golden case; weights from detinit unless the case is 'demo'."""
    if name in ("shapesnet", "shapesnet_block2"):
        model = detinit.fill_module(ShapesNet(4))
        x = torch.from_numpy(detinit.fill_value("input", (2, 3, 48, 48)))
        targets = [1, 3]
        layer_name = "block3" if name == "shapesnet" else "block2"
    elif name in ("resnet18", "resnet18_128"):
        import torchvision
        model = detinit.fill_module(torchvision.models.resnet18(num_classes=1000))
        side = 96 if name == "resnet18" else 128
        x = torch.from_numpy(detinit.fill_value("input", (2, 3, side, side)))
        targets = [5, 817]
        layer_name = "layer4"
    elif name == "demo":
        model = SceneNet(8)
        weights = safetensors_io.load(os.path.join(ASSETS, "scenenet.safetensors"))
        model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
        x = demo_inputs()
        targets = DEMO_TARGETS
        layer_name = "block4"
    else:
        raise ValueError(name)
    model.eval()
    model = model.to(dtype)
    return model, getattr(model, layer_name), x.to(dtype), torch.tensor(targets), layer_name


def to_np(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu().numpy()
    return np.ascontiguousarray(np.asarray(t, dtype=np.float32))


GRADCAM_FAMILY = ("gradcam", "gradcampp", "xgradcam", "layercam", "hirescam")


def golden_arrays(x, targets, res) -> dict:
    """suffix -> array, everything a case writes (file name: <case>_<suffix>.npy)."""
    g = {"input": x, "targets": targets.to(torch.float32), "logits": res["_common"]["logits"],
         "activations": res["_common"]["A"], "gradients": res["_common"]["G"]}
    for m in cr.METHODS:
        g[m] = res[m]["final"]
        g[f"{m}_raw"] = res[m]["raw"]
    g["scorecam_scores"] = res["scorecam"]["scores"]
    u = res["unioncam"]
    g.update({"unioncam_den": u["den"], "unioncam_reg": u["reg"], "unioncam_union": u["union"],
              "unioncam_betas": u["betas"], "unioncam_selected": u["selected"]})
    d = res["decomcam"]
    g.update({"decomcam_ossm": d["ossm"], "decomcam_singular": d["singular"],
              "decomcam_weights_paper": d["weights_paper"], "decomcam_weights_official": d["weights_official"],
              "decomcam_paper": d["final_paper"], "decomcam_official": d["final_official"],
              "decomcam_official_raw": d["raw_official"],   # paper raw = decomcam_raw
              "decomcam_scores": d["scores"], "decomcam_blur_score": d["blur_score"], "decomcam_blur": d["blur"]})
    return g


def tolerance(suffix: str) -> float:
    return 1e-4 if suffix.split("_")[0] in GRADCAM_FAMILY else 1e-3


def save_case(case: str, arrays: dict, manifest) -> None:
    for suffix, arr in arrays.items():
        fn = f"{case}_{suffix}.npy"
        a = to_np(arr)
        np.save(os.path.join(OUT, fn), a)
        manifest["files"][fn] = list(a.shape)
        print(f"  {fn:44s} {list(a.shape)}")


def max_abs(a, b) -> float:
    return float((torch.as_tensor(a, dtype=torch.float64) - torch.as_tensor(b, dtype=torch.float64)).abs().max())


def checks(case, model, layer, x, t, res, report, chunk_check=True):
    A = res["_common"]["A"]
    size = tuple(x.shape[-2:])
    r = {}
    # 1. GradCAM == classic CAM when the layer feeds GAP -> fc directly (ShapesNet block3)
    if layer is getattr(model, "block3", None):
        wfc = model.fc.weight.detach()[t]                      # [N,C]
        cam = (wfc[:, :, None, None] * A).sum(1)
        hw = A.shape[2] * A.shape[3]
        # GradCAM's raw map is the classic CAM divided by h*w (the GAP); post() is scale-invariant except for the
        # +1e-7 on the max, so compare post(CAM / hw) (identical maths) and, for information, post(CAM).
        r["gradcam_vs_classic_cam_over_hw_final_maxabs"] = max_abs(cr.post(cam / hw, size), res["gradcam"]["final"])
        r["gradcam_vs_classic_cam_unscaled_final_maxabs"] = max_abs(cr.post(cam, size), res["gradcam"]["final"])
        r["gradcam_raw_times_hw_vs_classic_cam_raw_rel"] = (max_abs(cam, res["gradcam"]["raw"] * hw) /
                                                            float(cam.abs().max()))
        r["gradcam_raw_max_relu_per_image"] = [float(v) for v in torch.relu(res["gradcam"]["raw"]).amax((1, 2))]
    # 2. OSSMs orthogonal at feature resolution (before ReLU): max |cosine| between different OSSMs
    feat = res["decomcam"]["ossm_feat"]                          # [N,Q,h,w]
    worst = 0.0
    for n in range(feat.shape[0]):
        Fm = feat[n].reshape(feat.shape[1], -1).double()
        Fm = Fm / Fm.norm(dim=1, keepdim=True)
        Cm = Fm @ Fm.T
        worst = max(worst, float((Cm - torch.diag(torch.diagonal(Cm))).abs().max()))
    r["ossm_max_abs_cosine_offdiag"] = worst
    # 3. UnionCAM: what the final map would be under the other AMS choice (how much a flipped flag matters)
    u = res["unioncam"]
    other = torch.where(u["selected"][:, None, None] > 0, u["reg"], u["union"])
    r["unioncam_final_if_selection_flipped_maxabs_per_image"] = [
        max_abs(a, b) for a, b in zip(cr.post(other, size), u["final"])]
    # 4. ScoreCAM chunking invariance
    if chunk_check:
        diffs = {}
        scale = float(res["scorecam"]["raw"].abs().max())
        for ch in (1, 7, A.shape[1]):
            alt = cr.scorecam(model, x, A, t, chunk=ch)
            diffs[str(ch)] = {"raw_maxabs": max_abs(alt["raw"], res["scorecam"]["raw"]),
                              "raw_rel": max_abs(alt["raw"], res["scorecam"]["raw"]) / scale,
                              "final_maxabs": max_abs(alt["final"], res["scorecam"]["final"]),
                              "scores_maxabs": max_abs(alt["scores"], res["scorecam"]["scores"])}
        r["scorecam_chunk_vs_64"] = diffs
    report[case] = r


def blur_checks(report):
    """Our blur (scipy 'reflect' = half-sample symmetric) vs scipy.ndimage and vs torchvision (torch 'reflect')."""
    r = {}
    import torchvision.transforms.functional as TF
    for H in (48, 96, 200):
        x = torch.from_numpy(detinit.fill_value("input", (1, 3, H, H)))
        ours = cr.gaussian_blur(x, 10.0)
        tv = TF.gaussian_blur(x, kernel_size=[81, 81], sigma=[10.0, 10.0])
        diff = (ours - tv).abs()[0]
        rad = 40
        entry = {"torchvision_maxabs_all": float(diff.max())}
        if H > 2 * rad:
            entry["torchvision_maxabs_interior_40px_in"] = float(diff[:, rad:H - rad, rad:H - rad].max())
        try:
            from scipy import ndimage
            sp = np.stack([ndimage.gaussian_filter(x[0, c].double().numpy(), 10.0, mode="reflect", truncate=4.0)
                           for c in range(3)])
            entry["scipy_gaussian_filter_maxabs"] = float(np.abs(ours[0].double().numpy() - sp).max())
        except ImportError:
            entry["scipy_gaussian_filter_maxabs"] = "scipy not installed"
        r[f"{H}x{H}"] = entry
    # radius clamp: a 32x32 image gets radius 31
    x = torch.from_numpy(detinit.fill_value("input", (1, 3, 32, 32)))
    try:
        from scipy import ndimage
        ours = cr.gaussian_blur(x, 10.0)
        sp = np.stack([ndimage.gaussian_filter(x[0, c].double().numpy(), 10.0, mode="reflect", truncate=3.1)
                       for c in range(3)])
        r["32x32_radius_clamped_to_31_vs_scipy_truncate_3.1"] = float(np.abs(ours[0].double().numpy() - sp).max())
    except ImportError:
        pass
    report["blur"] = r


def precision_check(case, arrays32, report, fragile):
    """Rerun the whole pipeline in float64 and compare every golden array. A float32 golden that sits far from the
    float64 result (more than a tenth of its test tolerance) depends on rounding: C# may legitimately differ."""
    model, layer, x, t, _ = build_case(case, torch.float64)
    res64 = cr.run_all(model, layer, x, t)
    arrays64 = golden_arrays(x, t, res64)
    r = {}
    for k, a32 in arrays32.items():
        a64 = arrays64[k]
        if tuple(a32.shape) != tuple(a64.shape):
            r[k] = {"shape_mismatch": [list(a32.shape), list(a64.shape)]}
            fragile.append({"array": k, "reason": "float64 run gives another shape"})
            continue
        d = max_abs(a32, a64)
        scale = max(float(a64.abs().max()), 1e-30)
        r[k] = {"maxabs": d, "rel": d / scale}
        tol = tolerance(k)
        if k == "unioncam_selected":
            bad = d > 0
        else:
            bad = d > 0.1 * tol and d / scale > 0.1 * tol
        if bad:
            e = (torch.as_tensor(a32, dtype=torch.float64) - a64.double()).abs()
            thr = 0.1 * tol if k == "unioncam_selected" else max(0.1 * tol, 0.1 * tol * scale)
            where = (e > (0 if k == "unioncam_selected" else thr)).nonzero()
            fragile.append({"array": k, "float32_vs_float64_maxabs": d, "rel": d / scale, "test_tolerance": tol,
                            "elements": where.tolist()[:20], "n_elements": int(where.shape[0])})
    report[case + "_float32_vs_float64"] = r


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="*", default=SPEC_CASES + EXTRA_CASES)
    ap.add_argument("--no-float64", action="store_true", help="skip the float64 rerun (fragility detector)")
    args = ap.parse_args()
    torch.set_num_threads(2)
    os.makedirs(OUT, exist_ok=True)
    mpath = os.path.join(OUT, "manifest.json")
    manifest = {"generator": "reference/make_cam_goldens.py", "torch": torch.__version__, "dtype": "float32",
                "post": "relu -> per image (R-min)/(max+1e-7) -> bilinear align_corners=False to input size "
                        "(skipped when already at input size)",
                "spec_cases": SPEC_CASES, "extra_cases": EXTRA_CASES,
                "cases": {}, "files": {}, "warnings": {}, "fragile": {}, "checks": {}}
    if os.path.exists(mpath) and set(args.cases) != set(SPEC_CASES + EXTRA_CASES):
        with open(mpath) as f:
            old = json.load(f)
        for key in ("cases", "files", "warnings", "fragile", "checks"):
            manifest[key].update(old.get(key, {}))
    for case in args.cases:
        t0 = time.time()
        model, layer, x, t, layer_name = build_case(case)
        warnings, fragile = [], []
        print(f"== {case} (layer {layer_name}, input {list(x.shape)}, targets {t.tolist()})")
        res = cr.run_all(model, layer, x, t, warnings=warnings)
        d, u = res["decomcam"], res["unioncam"]
        G = res["_common"]["G"]
        manifest["cases"][case] = {
            "weights": "DecomCam.Cli/assets/scenenet.safetensors" if case == "demo" else "detinit.fill_module",
            "input": "assets/sample.png + reference/demo_second_scene.png, normalised" if case == "demo"
            else f"detinit.fill_value('input', {list(x.shape)})",
            "layer": layer_name, "input_shape": list(x.shape), "targets": t.tolist(),
            "feature_shape": list(res["_common"]["A"].shape), "decomcam_P": 500, "decomcam_Q": 10,
            "decomcam_P_effective": int(d["channels"].shape[1]),
            "decomcam_Q_effective": int(d["singular"].shape[1]), "unioncam_theta": 10,
            "gradient_spatially_constant_per_channel": bool((G == G[:, :, :1, :1]).all()),
            "unioncam_amd_entries_equal_threshold": u["amd_entries_equal_threshold"],
            "unioncam_amd_entries_zeroed": int((G < u["threshold"][:, :, None, None]).sum()),
            "unioncam_amd_entries_total": int(G.numel()),
            "predicted": res["_common"]["logits"].argmax(1).tolist(),
            "target_logits": res["_common"]["logits"][torch.arange(len(t)), t].tolist(),
            "decomcam_margins": d["diagnostics"],
            "unioncam_betas": u["betas"].tolist(), "unioncam_selected": u["selected"].tolist(),
        }
        arrays = golden_arrays(x, t, res)
        for fn in [f for f in manifest["files"] if f.startswith(case + "_")]:
            del manifest["files"][fn]
        save_case(case, arrays, manifest)
        checks(case, model, layer, x, t, res, manifest["checks"], chunk_check=case in SPEC_CASES)
        if not args.no_float64:
            precision_check(case, arrays, manifest["checks"], fragile)
        manifest["warnings"][case] = warnings
        manifest["fragile"][case] = fragile
        for f in fragile:
            print("FRAGILE:", case, f)
        print(f"   {case}: {time.time() - t0:.1f}s, {len(warnings)} warnings, {len(fragile)} fragile arrays")
    blur_checks(manifest["checks"])
    with open(mpath, "w") as f:
        json.dump(manifest, f, indent=1)
    print(json.dumps({"cases": manifest["cases"], "checks": {k: v for k, v in manifest["checks"].items()
                                                            if "float64" not in k},
                      "warnings": manifest["warnings"], "fragile": manifest["fragile"]}, indent=1))


if __name__ == "__main__":
    main()
