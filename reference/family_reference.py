"""Independent reference for the rest of the CAM family (issue 12), float32 unless stated, eval mode.

Written from the papers' formulas and the behaviour pytorch-grad-cam documents (read, not copied). Conventions as in
cam_reference.py: A, G the target layer's output and d(sum_n logit_n[t_n])/dA, raw map at feature resolution unless
stated, final = cam_reference.post(raw).

  cam                 L = sum_k W_fc[t, k] A_k (the classifier's row of the target class)
  eigengradcam        eigencam of G * A (same centring and sign rule: largest-|.| entry positive)
  gradcamelementwise  L = sum_k relu(G_k * A_k)
  randomcam           w = torch.rand(N, C, generator seeded with `seed`) * 2 - 1, L = sum_k w_k A_k
  ablationcam         w_k = (s - s_k) / s, s_k the target logit with channel k of the layer's output set to v,
                      v = 0 if min(A[n]) == 0 else min(A[n]) - 1e7 (pytorch-grad-cam's value for the first ablated row)
  kpcacam             kernel PCA (1 component) of the centred positions x channels matrix: K = kernel(X, X) centred
                      (K - 1K - K1 + 1K1), top eigenpair (v, lambda) in float64, projection v * sqrt(lambda), largest-|.|
                      entry positive; kernels as scikit-learn's (gamma None = 1 / C, coef0 1, degree 3)
  fullgrad            |dS/dx * x| per input channel plus |b_l * dS/dz_l| per channel of every Conv2d/BatchNorm2d z_l with
                      a bias (BatchNorm's effective bias b - mean * w / sqrt(var + eps)), each channel map min-max scaled
                      (eps 1e-7) and resized to the input, all summed; final = min-max of the sum (at input size)
  sscam               (torch-cam) m_k = bilinear(minmax(A_k), align_corners=False); item i = (sample, row, channel) in
                      that nesting draws noise randn(1,H,W) from a generator seeded seed + i, times std; gain =
                      mean over samples of logit(x * (m_k + noise)) - logit(x); w = softmax_k(gain)
  iscam               (torch-cam) the same masks; c_i = sum_{j<=i} j/N; gain = mean_i logit(c_i * m_k * x) - logit(x)
  smoothgradcampp     noisy copies x + std * randn(x.shape, generator seeded seed + i); D_p = mean_i G_i^p;
                      alpha = D2 / (2 D2 + sum_hw(A) D3 + 1e-8), 0 where D2 == 0; w = sum_hw(alpha relu(D1)); A clean
  fem                 w_k = mean_hw[A_k > mean_hw(A_k) + k std_hw(A_k)] (population std), k = 2; L = sum_k w_k A_k
  segeigencam         eigencam of |G| * A (sign: largest-|.| entry positive, i.e. flip when |min| > |max|)
  finercam            S = sum_j p_j (y_c - alpha y_j) / (sum_j p_j + 1e-9) over the n classes j != c with the smallest
                      |y_j - y_c| (stable order), p = softmax(y), differentiated through p too; w = mean_hw dS/dA
  shapleycam          G = dS/dA with the graph kept, HA = d(G . A)/dA with A held fixed (Hessian-vector product);
                      w = mean_hw(G - HA / 2); S the logit, or the softmax probability with score="softmax"
  refinecam           each layer's Grad-CAM++ final map (its own forward), product over layers, per-image min-max
  dff                 X = channels x (images * positions) in float64, minus each channel's minimum; NMF by NNDSVDa start
                      and 200 multiplicative updates (W then H, 1e-12 in the denominators), pairs ordered by decreasing
                      |W_k| |H_k| (stable); embeddings W + offset scored by the final linear layer; a row's map is H's
                      map of the concept with the highest logit for the row's class
  guidedbackprop      g = d(sum_n logit_n[t_n])/dx with every nn.ReLU module's backward replaced by
                      grad_in = grad_out * (grad_out > 0) * (relu input > 0); raw = max_c |g| [N,H,W] at input size,
                      final = post(raw); g itself is kept ([N,3,H,W])
  guidedgradcam       product = gradcam final [N,H,W] (upsampled, in [0,1]) * g per channel; raw = gradcam raw;
                      final = minmax_per_image(max_c |product|)
  eigen smoothing     the method's weighted activations w_k * A_k [N,C,h,w] reduced by eigencam's projection (centred,
                      first component, largest-|.| entry positive) instead of the channel sum
  aug smoothing       final maps of the inputs x * f and flip(x * f) (f in 0.9, 1, 1.1; flip = last axis), each
                      flipped back where its input was, averaged (not normalised again); targets fixed beforehand
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

import cam_reference as cr

AUG_FACTORS = (0.9, 1.0, 1.1)
FAMILY = ["cam", "eigengradcam", "gradcamelementwise", "randomcam", "ablationcam", "kpcacam", "fullgrad",
          "smoothgradcampp", "sscam", "iscam", "finercam", "shapleycam", "fem", "segeigencam", "refinecam", "dff"]
ABLATION_OFFSET = 1e7


def cam(A, fc_weight, targets, size):
    raw = cr._weighted_sum(fc_weight[targets], A)
    return {"raw": raw, "final": cr.post(raw, size)}


def eigengradcam(A, G, size, warnings=None):
    return cr.eigencam(G * A, size, warnings)


def gradcamelementwise(A, G, size):
    raw = torch.relu(G * A).sum(dim=1)
    return {"raw": raw, "final": cr.post(raw, size)}


def randomcam(A, size, seed=0):
    g = torch.Generator().manual_seed(seed)
    w = torch.rand(A.shape[0], A.shape[1], generator=g) * 2 - 1
    raw = cr._weighted_sum(w, A)
    return {"raw": raw, "final": cr.post(raw, size), "weights": w}


@torch.no_grad()
def ablationcam(model, layer, x, A, targets, chunk=64):
    N, C = A.shape[:2]
    t = cr._as_targets(targets, N)
    s0 = model(x)[torch.arange(N), t]
    scores = torch.empty(N, C, dtype=x.dtype)
    state = {}

    def replace(_module, _inp, _out):
        return state["out"]

    handle = layer.register_forward_hook(replace)
    try:
        for n in range(N):
            low = float(A[n].min())
            value = 0.0 if low == 0 else low - ABLATION_OFFSET
            for c0 in range(0, C, chunk):
                c1 = min(C, c0 + chunk)
                out = A[n:n + 1].repeat(c1 - c0, 1, 1, 1)
                out[torch.arange(c1 - c0), torch.arange(c0, c1)] = value
                state["out"] = out
                scores[n, c0:c1] = model(x[n:n + 1].expand(c1 - c0, -1, -1, -1))[:, int(t[n])]
    finally:
        handle.remove()
    w = (s0[:, None] - scores) / s0[:, None]
    raw = cr._weighted_sum(w, A)
    return {"raw": raw, "final": cr.post(raw, tuple(x.shape[-2:])), "weights": w, "scores": scores}


def _kernel(X, kernel, gamma, degree=3, coef0=1.0):
    g = 1.0 / X.shape[1] if gamma is None else gamma
    dot = X @ X.T
    if kernel == "linear":
        return dot
    if kernel == "sigmoid":
        return torch.tanh(g * dot + coef0)
    if kernel == "poly":
        return (g * dot + coef0) ** degree
    if kernel == "rbf":
        sq = (X * X).sum(1)
        return torch.exp(-g * (sq[:, None] + sq[None, :] - 2 * dot).clamp_min(0))
    if kernel == "cosine":
        norm = X.norm(dim=1).clamp_min(1e-12)
        return dot / (norm[:, None] * norm[None, :])
    raise ValueError(kernel)


def kpcacam(A, size, kernel="sigmoid", gamma=None, warnings=None):
    N, C, h, w = A.shape
    maps = []
    for n in range(N):
        X = A[n].reshape(C, h * w).T.double()
        X = X - X.mean(dim=0)
        K = _kernel(X, kernel, gamma)
        one = torch.full_like(K, 1.0 / K.shape[0])
        Kc = K - one @ K - K @ one + one @ K @ one
        vals, vecs = torch.linalg.eigh(Kc)
        if float(vals[-1] - vals[-2]) < 1e-6 * abs(float(vals[-1])):
            cr._warn(warnings, f"kpcacam {kernel}: image {n}: top eigenvalues near-tied")
        p = vecs[:, -1] * math.sqrt(max(float(vals[-1]), 0.0))
        maps.append(cr._sign_fix(p, f"kpcacam image {n}", warnings).reshape(h, w).float())
    raw = torch.stack(maps)
    return {"raw": raw, "final": cr.post(raw, size)}


def bias_layers(model):
    return [(name, m) for name, m in model.named_modules()
            if isinstance(m, (torch.nn.Conv2d, torch.nn.BatchNorm2d)) and m.bias is not None]


def _effective_bias(m):
    if isinstance(m, torch.nn.BatchNorm2d):
        return (m.bias - m.running_mean * m.weight / torch.sqrt(m.running_var + m.eps)).detach()
    return m.bias.detach()


def _scale_resize(z, size):
    """[N,C,h,w] -> each (n,c) map min-max scaled (eps 1e-7), then bilinear (align_corners=False) to size."""
    N, C = z.shape[:2]
    flat = z.reshape(N * C, -1)
    flat = flat - flat.amin(1, keepdim=True)
    flat = flat / (flat.amax(1, keepdim=True) + 1e-7)
    z = flat.reshape(z.shape)
    if tuple(z.shape[-2:]) != tuple(size):
        z = F.interpolate(z, size=tuple(size), mode="bilinear", align_corners=False)
    return z


def _forward_with_hooks(model, x, hooks):
    """(x', model(x')) for a copy x' of x that requires grad, with each (module, forward hook) of `hooks` registered
    for this one pass and removed afterwards."""
    handles = [m.register_forward_hook(hook) for m, hook in hooks]
    try:
        xin = x.clone().requires_grad_(True)
        return xin, model(xin)
    finally:
        for h in handles:
            h.remove()


def fullgrad(model, x, targets):
    layers = bias_layers(model)
    outs = {}
    xin, logits = _forward_with_hooks(model, x, [(m, lambda _m, _i, o, name=name: outs.__setitem__(name, o)) for name, m in layers])
    t = cr._as_targets(targets, x.shape[0])
    score = logits[torch.arange(x.shape[0]), t].sum()
    grads = torch.autograd.grad(score, [xin] + [outs[name] for name, _ in layers])
    size = tuple(x.shape[-2:])
    total = _scale_resize((grads[0] * x).abs(), size).sum(1)
    per_layer = []
    for (name, m), g in zip(layers, grads[1:]):
        term = _scale_resize((_effective_bias(m)[None, :, None, None] * g).abs(), size).sum(1)
        per_layer.append(term.detach())
        total = total + term
    total = total.detach()
    final = cr.minmax_per_image(total)
    return {"raw": per_layer[0], "final": final, "sum": total, "layers": [n for n, _ in layers]}


def _torchcam_masks(A, size):
    mn = A.amin(dim=(2, 3), keepdim=True)
    mx = A.amax(dim=(2, 3), keepdim=True)
    m = (A - mn) / (mx - mn + 1e-8)
    return F.interpolate(m, size=tuple(size), mode="bilinear", align_corners=False)


@torch.no_grad()
def _sampled_gains(model, x, A, targets, samples, blend, chunk=64):
    N, C = A.shape[:2]
    t = cr._as_targets(targets, N)
    masks = _torchcam_masks(A, x.shape[-2:])
    base = model(x)[torch.arange(N), t]
    total = torch.zeros(N, C, dtype=x.dtype)
    for s in range(samples):
        for n in range(N):
            for c0 in range(0, C, chunk):
                c1 = min(C, c0 + chunk)
                items = [(s * N + n) * C + c for c in range(c0, c1)]
                inp = blend(masks[n, c0:c1, None], x[n:n + 1], s, items)
                total[n, c0:c1] += model(inp)[:, int(t[n])] - base[n]
    return total / samples


def sscam(model, x, A, targets, samples=35, std=2.0, seed=0):
    H, W = x.shape[-2:]

    def blend(m, xi, _s, items):
        noise = torch.stack([torch.randn(1, H, W, generator=torch.Generator().manual_seed(seed + i)) for i in items])
        return xi * (m + noise * std)

    gains = _sampled_gains(model, x, A, targets, samples, blend)
    raw = cr._weighted_sum(torch.softmax(gains, 1), A)
    return {"raw": raw, "final": cr.post(raw, (H, W)), "gains": gains}


def iscam(model, x, A, targets, samples=10):
    coeff = []
    acc = 0.0
    for i in range(samples):
        acc += (i + 1) / samples
        coeff.append(acc)
    gains = _sampled_gains(model, x, A, targets, samples, lambda m, xi, s, _items: coeff[s] * (m * xi))
    raw = cr._weighted_sum(torch.softmax(gains, 1), A)
    return {"raw": raw, "final": cr.post(raw, tuple(x.shape[-2:])), "gains": gains}


def smoothgradcampp(model, layer, x, A, targets, samples=4, std=0.3, seed=0):
    d = [torch.zeros_like(A) for _ in range(3)]
    for i in range(samples):
        noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(seed + i))
        _logits, _A, G = cr.activations_and_gradients(model, layer, x + noise * std, targets)
        for p in range(3):
            d[p] += G ** (p + 1)
    d1, d2, d3 = (v / samples for v in d)
    alpha = d2 / (2 * d2 + A.sum(dim=(2, 3), keepdim=True) * d3 + 1e-8)
    alpha = torch.where(d2 != 0, alpha, torch.zeros_like(alpha))
    w = (alpha * torch.relu(d1)).sum(dim=(2, 3))
    raw = cr._weighted_sum(w, A)
    return {"raw": raw, "final": cr.post(raw, tuple(x.shape[-2:]))}


def fem(A, size, k=2.0):
    mean = A.mean(dim=(2, 3), keepdim=True)
    std = A.std(dim=(2, 3), unbiased=False, keepdim=True)
    w = (A > mean + k * std).float().mean(dim=(2, 3))
    raw = cr._weighted_sum(w, A)
    return {"raw": raw, "final": cr.post(raw, size), "weights": w}


def segeigencam(A, G, size, warnings=None):
    return cr.eigencam(G.abs() * A, size, warnings)


def _forward_with_layer(model, layer, x):
    store = {}
    handle = layer.register_forward_hook(lambda _m, _i, out: store.__setitem__("A", out))
    try:
        logits = model(x)
    finally:
        handle.remove()
    return logits, store["A"]


def similar_classes(logits, targets, n):
    y = logits.detach()
    d = (y - y.gather(1, targets[:, None])).abs()
    d.scatter_(1, targets[:, None], float("inf"))
    return torch.sort(d, dim=1, stable=True).indices[:, :n]


def finercam(model, layer, x, targets, n=3, alpha=1.0):
    t = cr._as_targets(targets, x.shape[0])
    logits, A = _forward_with_layer(model, layer, x)
    sim = similar_classes(logits, t, n)
    p = torch.softmax(logits, 1).gather(1, sim)
    main = logits.gather(1, t[:, None])
    score = ((p * (main - alpha * logits.gather(1, sim))).sum(1) / (p.sum(1) + 1e-9)).sum()
    (G,) = torch.autograd.grad(score, A)
    raw = cr._weighted_sum(G.mean(dim=(2, 3)), A.detach())
    return {"raw": raw, "final": cr.post(raw, tuple(x.shape[-2:])), "similar": sim}


def shapleycam(model, layer, x, targets, score="logit"):
    t = cr._as_targets(targets, x.shape[0])
    logits, A = _forward_with_layer(model, layer, x.clone().requires_grad_(True))
    out = torch.softmax(logits, 1) if score == "softmax" else logits
    s = out[torch.arange(x.shape[0]), t].sum()
    (G,) = torch.autograd.grad(s, A, create_graph=True)
    HA = torch.zeros_like(A)
    if G.requires_grad:
        (h,) = torch.autograd.grad(G, A, grad_outputs=A.detach(), allow_unused=True)
        if h is not None:
            HA = h
    w = (G - 0.5 * HA).detach().mean(dim=(2, 3))
    raw = cr._weighted_sum(w, A.detach())
    return {"raw": raw, "final": cr.post(raw, tuple(x.shape[-2:])), "weights": w, "hvp": HA.detach()}


def refinecam(model, layers, x, targets):
    finals, raws = [], []
    for layer in layers:
        _logits, A, G = cr.activations_and_gradients(model, layer, x, targets)
        r = cr.gradcampp(A, G, tuple(x.shape[-2:]))
        finals.append(r["final"])
        raws.append(r["raw"])
    final = cr.minmax_per_image(torch.stack(finals).prod(0))
    return {"raw": raws[0], "final": final, "raws": raws}


def nmf(X, k, iterations=200, eps=1e-12):
    """X [p,n] >= 0, float64 -> W [p,k], H [k,n] (NNDSVDa start, Lee-Seung updates W then H, ordered by |W_k| |H_k|)."""
    U, S, Vh = torch.linalg.svd(X, full_matrices=False)
    W = torch.zeros(X.shape[0], k, dtype=X.dtype)
    H = torch.zeros(k, X.shape[1], dtype=X.dtype)
    W[:, 0] = S[0].sqrt() * U[:, 0].abs()
    H[0] = S[0].sqrt() * Vh[0].abs()
    for j in range(1, k):
        u, v = U[:, j], Vh[j]
        up, un, vp, vn = u.clamp(min=0), (-u).clamp(min=0), v.clamp(min=0), (-v).clamp(min=0)
        mp, mn = up.norm() * vp.norm(), un.norm() * vn.norm()
        if mp >= mn:
            a, b, m = up / up.norm(), vp / vp.norm(), mp
        else:
            a, b, m = un / un.norm(), vn / vn.norm(), mn
        scale = (S[j] * m).sqrt()
        W[:, j], H[j] = scale * a, scale * b
    avg = X.mean()
    W[W == 0] = avg
    H[H == 0] = avg
    for _ in range(iterations):
        W = W * (X @ H.T) / (W @ (H @ H.T) + eps)
        H = H * (W.T @ X) / (W.T @ W @ H + eps)
    order = torch.sort(W.norm(dim=0) * H.norm(dim=1), descending=True, stable=True).indices
    return W[:, order], H[order]


def dff(A, fc, targets, size, k=5, iterations=200):
    N, C, h, w = A.shape
    t = cr._as_targets(targets, N)
    X = A.transpose(0, 1).reshape(C, -1).double()
    offset = X.amin(dim=1, keepdim=True)
    W, H = nmf(X - offset, k, iterations)
    embeddings = (W + offset).float()
    maps = H.reshape(k, N, h, w).transpose(0, 1).float()
    with torch.no_grad():
        scores = fc(embeddings.T.contiguous())
    selected = scores[:, t].argmax(0)
    raw = maps[torch.arange(N), selected]
    return {"raw": raw, "final": cr.post(raw, size), "maps": maps, "embeddings": embeddings, "scores": scores,
            "selected": selected, "residual": float((W @ H - (X - offset)).norm() / (X - offset).norm())}


class _GuidedRectifier(torch.autograd.Function):
    """max(x, 0) whose backward lets a gradient through only where it and the forward input are both positive."""

    @staticmethod
    def forward(ctx, x):
        y = x.clamp_min(0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return torch.where((y > 0) & (grad > 0), grad, torch.zeros_like(grad))


def guided_input_gradient(model, x, targets):
    """d(sum_n logit_n[t_n])/dx with guided rectifiers: forward hooks feed each ReLU module's input through
    _GuidedRectifier for this one pass and are removed afterwards."""
    relus = [m for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    xin, logits = _forward_with_hooks(model, x, [(m, lambda _m, inp, _out: _GuidedRectifier.apply(inp[0])) for m in relus])
    t = cr._as_targets(targets, x.shape[0])
    (g,) = torch.autograd.grad(logits[torch.arange(x.shape[0]), t].sum(), xin)
    return g.detach()


def guidedbackprop(model, x, targets):
    g = guided_input_gradient(model, x, targets)
    raw = g.abs().amax(dim=1)
    return {"raw": raw, "final": cr.post(raw, tuple(x.shape[-2:])), "gradient": g}


def guidedgradcam(model, x, A, G, targets, eigen_smooth=False):
    size = tuple(x.shape[-2:])
    cam_map = eigen_smoothed(G.mean(dim=(2, 3))[:, :, None, None] * A, size) if eigen_smooth else cr.gradcam(A, G, size)
    g = guided_input_gradient(model, x, targets)
    product = cam_map["final"][:, None] * g
    return {"raw": cam_map["raw"], "final": cr.minmax_per_image(product.abs().amax(dim=1)), "product": product,
            "gradient": g}


def eigen_smoothed(weighted, size, warnings=None):
    """Eigen smoothing: the projection of the weighted activations [N,C,h,w] (eigencam's, with its sign rule)."""
    return cr.eigencam(weighted, size, warnings)


def aug_smoothed(final_maps, x):
    """Augmentation smoothing of `final_maps(x') -> [N,H,W]` over the six flips and factors."""
    total = torch.zeros(x.shape[0], *x.shape[-2:], dtype=x.dtype)
    for flip in (False, True):
        for f in AUG_FACTORS:
            xi = x * f
            m = final_maps(xi.flip(-1) if flip else xi)
            total += m.flip(-1) if flip else m
    return total / (2 * len(AUG_FACTORS))
