"""Independent reference implementation of nine CAM methods (float32, eval mode, PyTorch).

Written from the formulas in /work/shared/notes/algorithms.md and the seeds (000/001 DecomCAM, 003 UnionCAM); no code
copied from pytorch-grad-cam or the official DecomCAM repository. Used to write the goldens the C# tests compare against.

Conventions (every method):
  x        input [N,3,H,W] (already normalised), float32
  targets  class id per sample (LongTensor [N])
  A        target-layer output [N,C,h,w]
  G        d(sum_n logit_n[target_n]) / dA   (pre-softmax logits)
  raw map  L [N,h',w'] at feature resolution (DecomCAM: at input resolution)
  final    post(L): ReLU -> per image (R - min) / (max + 1e-7) -> bilinear (align_corners=False) to (H,W) if needed

Every method returns a dict with at least "raw" and "final"; fragility warnings (decisions within a hair of flipping)
are appended to the optional `warnings` list.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

METHODS = ["gradcam", "gradcampp", "xgradcam", "layercam", "hirescam", "eigencam", "scorecam", "unioncam", "decomcam"]


def _warn(warnings: Optional[List[str]], msg: str) -> None:
    """Collect (and print) a fragility warning; silent when no list is given."""
    if warnings is not None:
        warnings.append(msg)
        print("WARNING:", msg)


# ----------------------------------------------------------------------------------------------------------------------
# Plumbing: activations, gradients, scoring, post-processing
# ----------------------------------------------------------------------------------------------------------------------

def _as_targets(targets, n: int) -> torch.Tensor:
    t = torch.as_tensor(targets, dtype=torch.long).reshape(-1)
    if t.numel() != n:
        raise ValueError(f"need one target per sample: got {t.numel()} for batch {n}")
    return t


def activations_and_gradients(model: torch.nn.Module, layer: torch.nn.Module, x: torch.Tensor, targets):
    """One forward with a hook on `layer`, one backward of sum_n logits[n, target_n]. Returns (logits, A, G), detached."""
    store = {}

    def hook(_module, _inp, out):
        store["A"] = out

    handle = layer.register_forward_hook(hook)
    try:
        logits = model(x)
    finally:
        handle.remove()
    t = _as_targets(targets, x.shape[0])
    score = logits[torch.arange(x.shape[0]), t].sum()
    (G,) = torch.autograd.grad(score, store["A"])
    return logits.detach(), store["A"].detach(), G.detach()


@torch.no_grad()
def target_logits(model: torch.nn.Module, inputs: torch.Tensor, target: int, chunk: int = 64) -> torch.Tensor:
    """Logit of class `target` for every input in [B,3,H,W], scored in chunks of `chunk`."""
    out = []
    for i in range(0, inputs.shape[0], chunk):
        out.append(model(inputs[i:i + chunk])[:, target])
    return torch.cat(out)


def minmax_per_image(z: torch.Tensor) -> torch.Tensor:
    """z [N,h,w]: z - min; z / (max + 1e-7), per image."""
    z = z - z.amin(dim=(1, 2), keepdim=True)
    return z / (z.amax(dim=(1, 2), keepdim=True) + 1e-7)


def post(raw: torch.Tensor, size) -> torch.Tensor:
    """Common post-processing: ReLU, per-image min-max (eps 1e-7 on the max), bilinear resize (align_corners=False)."""
    r = minmax_per_image(torch.relu(raw))
    if tuple(r.shape[-2:]) != tuple(size):
        r = F.interpolate(r[:, None], size=tuple(size), mode="bilinear", align_corners=False)[:, 0]
    return r


def _check_degenerate(raw: torch.Tensor, name: str, warnings) -> None:
    for n in range(raw.shape[0]):
        m = float(torch.relu(raw[n]).max())
        if m < 1e-6:
            _warn(warnings, f"{name}: image {n}: ReLU(raw) max is {m:.3g} (map degenerate / all zero after ReLU)")


def _weighted_sum(w: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
    """w [N,C] or [N,C,h,w] times A [N,C,h,w], summed over C."""
    if w.dim() == 2:
        w = w[:, :, None, None]
    return (w * A).sum(dim=1)


def _sign_fix(v: torch.Tensor, name: str, warnings) -> torch.Tensor:
    """Make the largest-|.| entry positive (first index on exact ties, torch.argmax). Warn when the top two |.| are
    within 1e-4 relative and carry opposite signs (the rule could flip under rounding)."""
    a = v.abs().flatten()
    k = int(torch.argmax(a))
    if a.numel() > 1:
        top2 = torch.topk(a, 2)
        i0, i1 = int(top2.indices[0]), int(top2.indices[1])
        vf = v.flatten()
        if float(top2.values[0] - top2.values[1]) < 1e-4 * float(top2.values[0]) and (vf[i0] * vf[i1]) < 0:
            _warn(warnings, f"{name}: sign rule near-tie: |v| top two {float(top2.values[0]):.6g} / "
                            f"{float(top2.values[1]):.6g} with opposite signs")
    if float(v.flatten()[k]) < 0:
        v = -v
    return v


# ----------------------------------------------------------------------------------------------------------------------
# Gradient family
# ----------------------------------------------------------------------------------------------------------------------

def gradcam(A, G, size, warnings=None):
    w = G.mean(dim=(2, 3))
    raw = _weighted_sum(w, A)
    _check_degenerate(raw, "gradcam", warnings)
    return {"raw": raw, "final": post(raw, size), "weights": w}


def gradcampp(A, G, size, warnings=None):
    g2 = G ** 2
    g3 = G ** 3
    s = A.sum(dim=(2, 3))[:, :, None, None]
    a = g2 / (2 * g2 + s * g3 + 1e-6)
    a = torch.where(G != 0, a, torch.zeros_like(a))
    w = (torch.relu(G) * a).sum(dim=(2, 3))
    raw = _weighted_sum(w, A)
    _check_degenerate(raw, "gradcampp", warnings)
    return {"raw": raw, "final": post(raw, size), "weights": w}


def xgradcam(A, G, size, warnings=None):
    w = (G * A).sum(dim=(2, 3)) / (A.sum(dim=(2, 3)) + 1e-7)
    raw = _weighted_sum(w, A)
    _check_degenerate(raw, "xgradcam", warnings)
    return {"raw": raw, "final": post(raw, size), "weights": w}


def layercam(A, G, size, warnings=None):
    raw = (torch.relu(G) * A).sum(dim=1)
    _check_degenerate(raw, "layercam", warnings)
    return {"raw": raw, "final": post(raw, size)}


def hirescam(A, G, size, warnings=None):
    raw = (G * A).sum(dim=1)
    _check_degenerate(raw, "hirescam", warnings)
    return {"raw": raw, "final": post(raw, size)}


# ----------------------------------------------------------------------------------------------------------------------
# EigenCAM
# ----------------------------------------------------------------------------------------------------------------------

def eigencam(A, size, warnings=None):
    N, C, h, w = A.shape
    maps = []
    for n in range(N):
        M = A[n].reshape(C, h * w).T
        M = M - M.mean(dim=0)
        _U, S, Vh = torch.linalg.svd(M, full_matrices=False)
        if S.numel() > 1 and float(S[0] - S[1]) < 1e-4 * float(S[0]):
            _warn(warnings, f"eigencam: image {n}: S0 {float(S[0]):.6g} and S1 {float(S[1]):.6g} near-tied")
        p = M @ Vh[0]
        p = _sign_fix(p, f"eigencam image {n}", warnings)
        maps.append(p.reshape(h, w))
    raw = torch.stack(maps)
    _check_degenerate(raw, "eigencam", warnings)
    return {"raw": raw, "final": post(raw, size)}


# ----------------------------------------------------------------------------------------------------------------------
# ScoreCAM
# ----------------------------------------------------------------------------------------------------------------------

def scorecam(model, x, A, targets, chunk=64, warnings=None):
    N, C, h, w = A.shape
    H, W = x.shape[-2:]
    t = _as_targets(targets, N)
    with torch.no_grad():
        U = F.interpolate(A, size=(H, W), mode="bilinear", align_corners=True)
        mn = U.amin(dim=(2, 3), keepdim=True)
        mx = U.amax(dim=(2, 3), keepdim=True)
        m = (U - mn) / (mx - mn + 1e-8)
        scores = torch.empty(N, C, dtype=x.dtype)
        for n in range(N):
            for c0 in range(0, C, chunk):
                c1 = min(C, c0 + chunk)
                inp = x[n:n + 1] * m[n, c0:c1, None]          # [k,3,H,W]
                scores[n, c0:c1] = model(inp)[:, int(t[n])]
        wts = torch.softmax(scores, dim=1)
        raw = _weighted_sum(wts, A)
    _check_degenerate(raw, "scorecam", warnings)
    return {"raw": raw, "final": post(raw, (H, W)), "scores": scores, "weights": wts}


# ----------------------------------------------------------------------------------------------------------------------
# UnionCAM (seed 003)
# ----------------------------------------------------------------------------------------------------------------------

def black_baseline(x: torch.Tensor) -> torch.Tensor:
    """A black image (0 in [0,1] space) normalised with ImageNet mean/std, shaped like x."""
    mean = torch.tensor(IMAGENET_MEAN, dtype=x.dtype)[None, :, None, None]
    std = torch.tensor(IMAGENET_STD, dtype=x.dtype)[None, :, None, None]
    return ((torch.zeros_like(x) - mean) / std).expand_as(x).contiguous()


@torch.no_grad()
def unioncam_beta(model, x, maps, targets, baseline=None):
    """beta for feature-resolution maps [N,h,w]: softmax(model(x*up(map)))[t] - softmax(model(baseline))[t]."""
    N = x.shape[0]
    H, W = x.shape[-2:]
    t = _as_targets(targets, N)
    if baseline is None:
        baseline = black_baseline(x)
    m = F.interpolate(maps[:, None], size=(H, W), mode="bilinear", align_corners=False)
    p = torch.softmax(model(x * m), dim=1)[torch.arange(N), t]
    p0 = torch.softmax(model(baseline), dim=1)[torch.arange(N), t]
    return p - p0


def unioncam(model, x, A, G, targets, theta=10.0, scorecam_raw=None, chunk=64, warnings=None):
    N, C, h, w = A.shape
    H, W = x.shape[-2:]
    t = _as_targets(targets, N)
    # AMD: per (n,c) zero the gradient entries below the theta-th percentile of that channel's gradients.
    q = torch.quantile(G.reshape(N, C, h * w), theta / 100.0, dim=2, keepdim=True).reshape(N, C, 1, 1)
    Gd = torch.where(G < q, torch.zeros_like(G), G)
    # fragility: entries within a hair of the threshold but not equal to it
    close = ((G - q).abs() <= 1e-6 * (q.abs() + 1e-12)) & (G != q)
    if bool(close.any()):
        _warn(warnings, f"unioncam: {int(close.sum())} gradient entries within 1e-6 relative of their channel's "
                        f"quantile threshold (AMD could flip)")
    exact = int((G == q).sum())
    Wp = torch.relu(Gd)
    Wn = Wp / (Wp.sum(dim=(2, 3), keepdim=True) + 1e-7)
    L_den = minmax_per_image(torch.relu((Wn * A).sum(dim=1)))
    if scorecam_raw is None:
        scorecam_raw = scorecam(model, x, A, t, chunk=chunk, warnings=warnings)["raw"]
    L_reg = minmax_per_image(torch.relu(scorecam_raw))
    baseline = black_baseline(x)
    b_den = unioncam_beta(model, x, L_den, t, baseline)
    b_reg = unioncam_beta(model, x, L_reg, t, baseline)
    bd = torch.clamp(b_den, min=0)
    br = torch.clamp(b_reg, min=0)
    L_union = minmax_per_image(bd[:, None, None] * L_den + br[:, None, None] * L_reg)
    b_union = unioncam_beta(model, x, L_union, t, baseline)
    selected = b_union > b_reg
    raw = torch.where(selected[:, None, None], L_union, L_reg)
    # Fragility. Betas are softmax-probability differences: float32 noise on them is ~1e-7 absolute.
    for n in range(N):
        for nm, b in (("beta_den", b_den), ("beta_reg", b_reg)):
            if abs(float(b[n])) < 1e-6:
                _warn(warnings, f"unioncam: image {n}: {nm} = {float(b[n]):.3g} is at float32 noise level "
                                f"(clamp at 0 undecided; softmax saturated?)")
        if max(float(bd[n]), float(br[n])) < 1e-6:
            _warn(warnings, f"unioncam: image {n}: both clamped betas < 1e-6: L_union is eps-dominated (~0 map)")
        diff = float(b_union[n] - b_reg[n])
        if abs(diff) < 1e-5:
            _warn(warnings, f"unioncam: image {n}: beta_union - beta_reg = {diff:.3g} (AMS selection near-tied)")
    _check_degenerate(raw, "unioncam", warnings)
    return {
        "raw": raw, "final": post(raw, (H, W)),
        "den": L_den, "reg": L_reg, "union": L_union,
        "betas": torch.stack([b_den, b_reg, b_union], dim=1),
        "selected": selected.to(torch.float32),
        "threshold": q.reshape(N, C), "amd_entries_equal_threshold": exact,
    }


# ----------------------------------------------------------------------------------------------------------------------
# DecomCAM (seeds 000 paper, 001 official code)
# ----------------------------------------------------------------------------------------------------------------------

def gaussian_kernel1d(sigma: float, radius: int, dtype=torch.float32) -> torch.Tensor:
    """k_i = exp(-i^2 / (2 sigma^2)), i = -radius..radius, normalised to sum 1 (computed in float64, then cast)."""
    i = torch.arange(-radius, radius + 1, dtype=torch.float64)
    k = torch.exp(-(i ** 2) / (2.0 * sigma * sigma))
    return (k / k.sum()).to(dtype)


def _symmetric_index(n: int, r: int) -> torch.Tensor:
    """Indices of numpy.pad(mode='symmetric') / scipy 'reflect' (half-sample symmetric: ...c b a | a b c...), r <= n."""
    i = torch.arange(-r, n + r)
    i = torch.where(i < 0, -i - 1, i)
    i = torch.where(i >= n, 2 * n - i - 1, i)
    return i


def gaussian_blur(x: torch.Tensor, sigma: float = 10.0, truncate: float = 4.0) -> torch.Tensor:
    """Separable Gaussian blur of [N,C,H,W] per channel, scipy.ndimage 'reflect' (half-sample symmetric) boundary.
    radius = int(truncate*sigma + 0.5), clamped to min(H,W)-1. Rows (H) first, then columns (W)."""
    N, C, H, W = x.shape
    r = int(truncate * sigma + 0.5)
    r = min(r, min(H, W) - 1)
    k = gaussian_kernel1d(sigma, r, x.dtype)
    y = x.reshape(N * C, 1, H, W)
    y = y[:, :, _symmetric_index(H, r), :]
    y = F.conv2d(y, k.reshape(1, 1, -1, 1))
    y = y[:, :, :, _symmetric_index(W, r)]
    y = F.conv2d(y, k.reshape(1, 1, 1, -1))
    return y.reshape(N, C, H, W)


def decomcam(model, x, A, G, targets, P=500, Q=10, sigma=10.0, chunk=64, warnings=None):
    """Both integration modes at once. "paper" (default): w = relu(s - s_blur) / max; "official": 0 if s < 0.001 else
    s / max(s). Returns OSSMs at input resolution [N,Q',H,W] plus per-mode weights, raw and final maps."""
    N, C, h, w = A.shape
    H, W = x.shape[-2:]
    t = _as_targets(targets, N)
    alpha = G.mean(dim=(2, 3))
    P_ = min(P, C)
    blur = gaussian_blur(x, sigma=sigma)
    out = {k: [] for k in ("ossm", "ossm_feat", "singular", "scores", "blur_score", "weights_paper",
                           "weights_official", "raw_paper", "raw_official", "channels")}
    diag = []   # per image: how close the discrete decisions came to flipping (relative margins)
    for n in range(N):
        dg = {}
        srt = torch.sort(alpha[n], descending=True)
        idx = srt.indices[:P_]
        if P_ < C:
            a_in, a_out = float(srt.values[P_ - 1]), float(srt.values[P_])
            scale = float(alpha[n].abs().max())
            gap = a_in - a_out
            dg["topP_boundary_gap_rel"] = gap / scale
            if gap < 1e-4 * scale:
                _warn(warnings, f"decomcam: image {n}: top-P boundary near-tied: alpha[P-1]={a_in:.8g} "
                                f"alpha[P]={a_out:.8g} (gap {gap:.3g}, {gap / scale:.3g} of max|alpha|)")
        X = (A[n, idx] * alpha[n, idx, None, None]).reshape(P_, h * w).T       # [h*w, P]
        Xc = X - X.mean(dim=0)
        U, S, _Vh = torch.linalg.svd(Xc, full_matrices=False)
        Qn = min(Q, S.numel())
        gaps = [float(S[q] - S[q + 1]) / float(S[0]) for q in range(min(Qn, S.numel() - 1))]
        dg["min_singular_gap_rel"] = min(gaps) if gaps else None
        dg["smallest_kept_singular_rel"] = float(S[Qn - 1]) / float(S[0])
        for q in range(min(Qn, S.numel() - 1)):
            if float(S[q] - S[q + 1]) < 1e-4 * float(S[0]):
                _warn(warnings, f"decomcam: image {n}: singular values {q} and {q + 1} near-tied: "
                                f"{float(S[q]):.8g} vs {float(S[q + 1]):.8g} (S0 {float(S[0]):.6g})")
        for q in range(Qn):
            if float(S[q]) < 1e-4 * float(S[0]):
                _warn(warnings, f"decomcam: image {n}: component {q} is numerically null: S={float(S[q]):.3g} "
                                f"(S0 {float(S[0]):.6g}); centred X has rank <= min(h*w-1, P) = "
                                f"{min(h * w - 1, P_)}; its OSSM direction and mask are rounding noise")
        feats = []
        for q in range(Qn):
            o = (U[:, q] * S[q]).reshape(h, w)
            o = _sign_fix(o, f"decomcam image {n} OSSM {q}", warnings)
            feats.append(o)
        feat = torch.stack(feats)                                                  # [Q',h,w]
        O = F.interpolate(torch.relu(feat)[None], size=(H, W), mode="bicubic", align_corners=False)[0]
        m = O - O.amin(dim=(1, 2), keepdim=True)
        mmax = m.amax(dim=(1, 2), keepdim=True)
        m = torch.where(mmax > 0, m / torch.where(mmax > 0, mmax, torch.ones_like(mmax)), m)
        masked = torch.maximum(x[n:n + 1] * m[:, None], blur[n:n + 1] * (1 - m[:, None]))   # [Q',3,H,W]
        s = target_logits(model, masked, int(t[n]), chunk=chunk)
        s0 = target_logits(model, blur[n:n + 1], int(t[n]))[0]
        # official integration
        smax = s.max()
        w_off = torch.where(s < 0.001, torch.zeros_like(s), s / smax)
        for q in range(Qn):
            if abs(float(s[q]) - 0.001) < 1e-4:
                _warn(warnings, f"decomcam: image {n}: official score {q} = {float(s[q]):.6g} within 1e-4 of 0.001")
        # paper integration
        d = s - s0
        w_pap = torch.relu(d)
        if float(w_pap.max()) > 0:
            w_pap = w_pap / w_pap.max()
        else:
            w_pap = torch.zeros_like(w_pap)
        for q in range(Qn):
            if abs(float(d[q])) < 1e-4:
                _warn(warnings, f"decomcam: image {n}: paper score difference {q} = {float(d[q]):.3g} within 1e-4 of 0")
        out["ossm"].append(O)
        out["ossm_feat"].append(feat)
        out["singular"].append(S[:Qn])
        out["scores"].append(s)
        out["blur_score"].append(s0)
        out["weights_paper"].append(w_pap)
        out["weights_official"].append(w_off)
        out["raw_paper"].append((w_pap[:, None, None] * O).sum(dim=0))
        out["raw_official"].append((w_off[:, None, None] * O).sum(dim=0))
        out["channels"].append(idx)
        dg["official_min_dist_to_0.001"] = float((s - 0.001).abs().min())
        dg["paper_min_abs_diff"] = float(d.abs().min())
        diag.append(dg)
    res = {k: torch.stack(v) for k, v in out.items()}
    res["blur"] = blur
    res["alpha"] = alpha
    res["diagnostics"] = diag
    _check_degenerate(res["raw_paper"], "decomcam paper", warnings)
    _check_degenerate(res["raw_official"], "decomcam official", warnings)
    res["final_paper"] = post(res["raw_paper"], (H, W))
    res["final_official"] = post(res["raw_official"], (H, W))
    res["raw"] = res["raw_paper"]
    res["final"] = res["final_paper"]
    return res


# ----------------------------------------------------------------------------------------------------------------------
# Everything at once
# ----------------------------------------------------------------------------------------------------------------------

def run_all(model, layer, x, targets, chunk=64, decom_P=500, decom_Q=10, theta=10.0, warnings=None) -> Dict[str, dict]:
    """All nine methods on one (model, layer, input, targets). Model is put in eval mode."""
    model.eval()
    t = _as_targets(targets, x.shape[0])
    size = tuple(x.shape[-2:])
    logits, A, G = activations_and_gradients(model, layer, x, t)
    res = {"_common": {"logits": logits, "A": A, "G": G}}
    res["gradcam"] = gradcam(A, G, size, warnings)
    res["gradcampp"] = gradcampp(A, G, size, warnings)
    res["xgradcam"] = xgradcam(A, G, size, warnings)
    res["layercam"] = layercam(A, G, size, warnings)
    res["hirescam"] = hirescam(A, G, size, warnings)
    res["eigencam"] = eigencam(A, size, warnings)
    res["scorecam"] = scorecam(model, x, A, t, chunk=chunk, warnings=warnings)
    res["unioncam"] = unioncam(model, x, A, G, t, theta=theta, scorecam_raw=res["scorecam"]["raw"], chunk=chunk,
                               warnings=warnings)
    res["decomcam"] = decomcam(model, x, A, G, t, P=decom_P, Q=decom_Q, chunk=chunk, warnings=warnings)
    return res
