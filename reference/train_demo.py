"""Train the bundled demo model: ShapesNet on a synthetic 4-class shapes dataset (CPU, no downloads).

    /usr/bin/python3 reference/train_demo.py          # from the repository root; about 5 minutes on 2 CPU threads

Writes DecomCam.Cli/assets/{shapesnet.pth, shapesnet.labels.txt, sample.png} and reference/sample_logits.txt.
Everything is seeded (numpy default_rng and torch.manual_seed), so reruns reproduce the same data; the trained weights
match up to floating-point nondeterminism of the CPU kernels.
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
from models import ShapesNet  # noqa: E402

ROOT = os.path.dirname(HERE)
ASSETS = os.path.join(ROOT, "DecomCam.Cli", "assets")

CLASSES = ["circle", "square", "triangle", "cross"]
SIZE = 96
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

TRAIN_SEED, TEST_SEED, SAMPLE_SEED = 20240601, 20240602, 20240603
N_TRAIN, N_TEST = 8000, 1000
EPOCHS, BATCH, LR = 10, 32, 1e-3
GREY_FRACTION = 0.25

LUMA = np.array([0.299, 0.587, 0.114])
SS = 2  # supersampling factor for anti-aliased edges


def shape_mask(kind: int, cx: float, cy: float, s: float) -> np.ndarray:
    """Coverage in [0,1] of a filled shape with bounding-box side s centred at (cx, cy), on a SIZE x SIZE grid."""
    n = SIZE * SS
    c = (np.arange(n) + 0.5) / SS                      # sub-pixel centres in pixel units
    X, Y = c[None, :], c[:, None]                      # X: column, Y: row (broadcast to n x n)
    dx, dy = X - cx, Y - cy
    h = s / 2.0
    if kind == 0:                                      # circle, diameter s
        m = dx * dx + dy * dy <= h * h
    elif kind == 1:                                    # axis-aligned square, side s
        m = (np.abs(dx) <= h) & (np.abs(dy) <= h)
    elif kind == 2:                                    # upright triangle: apex at top centre, base at the bottom
        top = cy - h
        m = (Y >= top) & (Y <= cy + h) & (np.abs(dx) <= (Y - top) / 2.0)
    else:                                              # plus-shaped cross, bar thickness s/3
        t = s / 6.0
        m = ((np.abs(dx) <= t) & (np.abs(dy) <= h)) | ((np.abs(dy) <= t) & (np.abs(dx) <= h))
    m = np.broadcast_to(m, (n, n)).astype(np.float32)
    return m.reshape(SIZE, SS, SIZE, SS).mean(axis=(1, 3))


def make_image(rng: np.random.Generator, kind: int, plain: bool = False, pos=None, size=None):
    """One RGB image in [0,1], HxWx3 float32. Background: random colour + gentle linear gradient + mild noise;
    one filled shape of a contrasting random colour, size 20-44 px, fully inside the image."""
    grey = (not plain) and rng.uniform() < GREY_FRACTION      # some grey-on-grey images: an easy start for the edges
    base = np.repeat(rng.uniform(0.0, 1.0), 3) if grey else rng.uniform(0.0, 1.0, 3)
    grad_amp = 0.03 if plain else 0.15
    gx, gy = rng.uniform(-grad_amp, grad_amp, 3), rng.uniform(-grad_amp, grad_amp, 3)
    r = (np.arange(SIZE) + 0.5) / SIZE - 0.5
    bg = base[None, None, :] + gx[None, None, :] * r[None, :, None] + gy[None, None, :] * r[:, None, None]
    while True:                                        # contrasting: luminance differs by at least 0.25
        col = np.repeat(rng.uniform(0.0, 1.0), 3) if grey else rng.uniform(0.0, 1.0, 3)
        if abs(float(LUMA @ (col - base))) > 0.25:
            break
    s = float(rng.uniform(20, 44)) if size is None else float(size)
    if pos is None:
        cx, cy = rng.uniform(s / 2 + 1, SIZE - s / 2 - 1, 2)
    else:
        cx, cy = pos
    m = shape_mask(kind, cx, cy, s)[:, :, None]
    img = bg * (1 - m) + col[None, None, :] * m
    noise = 0.01 if plain else 0.03
    img = img + rng.normal(0.0, noise, img.shape)
    return np.clip(img, 0, 1).astype(np.float32)


def make_dataset(seed: int, n: int):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    imgs = np.stack([make_image(rng, int(k)) for k in labels])
    return imgs, labels


def to_uint8(img: np.ndarray) -> np.ndarray:
    return np.clip(np.round(img * 255.0), 0, 255).astype(np.uint8)


def normalise(imgs01: np.ndarray) -> torch.Tensor:
    """[N,H,W,3] in [0,1] -> [N,3,H,W] ImageNet-normalised float32."""
    x = (imgs01.astype(np.float32) - MEAN) / STD
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


@torch.no_grad()
def evaluate(model, x, y, batch=250):
    model.eval()
    pred = torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])
    acc = float((pred == y).float().mean())
    conf = np.zeros((4, 4), dtype=int)
    for t, p in zip(y.tolist(), pred.tolist()):
        conf[t, p] += 1
    return acc, conf


def main():
    torch.set_num_threads(2)
    torch.manual_seed(0)
    os.makedirs(ASSETS, exist_ok=True)
    t0 = time.time()
    # Training images are quantised to uint8 like any PNG/JPEG the CLI will read.
    tr_imgs, tr_lab = make_dataset(TRAIN_SEED, N_TRAIN)
    te_imgs, te_lab = make_dataset(TEST_SEED, N_TEST)
    xtr = normalise(to_uint8(tr_imgs) / 255.0)
    ytr = torch.from_numpy(tr_lab).long()
    xte = normalise(to_uint8(te_imgs) / 255.0)
    yte = torch.from_numpy(te_lab).long()
    print(f"data: {N_TRAIN} train / {N_TEST} test images in {time.time() - t0:.1f}s; "
          f"train class counts {np.bincount(tr_lab).tolist()}")

    model = ShapesNet(4)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    steps = EPOCHS * ((N_TRAIN + BATCH - 1) // BATCH)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=steps, pct_start=0.1)
    g = torch.Generator().manual_seed(1)
    log = []
    for ep in range(EPOCHS):
        model.train()
        perm = torch.randperm(N_TRAIN, generator=g)
        tot, correct, t1 = 0.0, 0, time.time()
        for i in range(0, N_TRAIN, BATCH):
            idx = perm[i:i + BATCH]
            xb, yb = xtr[idx], ytr[idx]
            if torch.rand(1, generator=g).item() < 0.5:      # horizontal flip keeps every class's identity
                xb = xb.flip(3)
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss) * len(idx)
            correct += int((out.argmax(1) == yb).sum())
        acc, _ = evaluate(model, xte, yte)
        line = (f"epoch {ep + 1}/{EPOCHS}: loss {tot / N_TRAIN:.4f} train acc {correct / N_TRAIN:.4f} "
                f"held-out acc {acc:.4f} ({time.time() - t1:.0f}s)")
        print(line)
        log.append(line)
    model.eval()
    acc, conf = evaluate(model, xte, yte)
    print(f"held-out accuracy on {N_TEST} fresh images: {acc:.4f}")
    print("confusion (rows true, cols predicted):", CLASSES)
    print(conf)
    torch.save(model.state_dict(), os.path.join(ASSETS, "shapesnet.pth"))
    with open(os.path.join(ASSETS, "shapesnet.labels.txt"), "w") as f:
        f.write("\n".join(CLASSES) + "\n")

    # Sample image: a triangle off-centre on a plain-ish background, correctly classified (read back from the PNG).
    from PIL import Image
    rng = np.random.default_rng(SAMPLE_SEED)
    path = os.path.join(ASSETS, "sample.png")
    for attempt in range(200):
        img = make_image(rng, 2, plain=True, pos=(rng.uniform(28, 36), rng.uniform(56, 64)), size=34)
        Image.fromarray(to_uint8(img), mode="RGB").save(path, optimize=True)
        back = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
        with torch.no_grad():
            logits = model(normalise(back[None]))[0]
        probs = torch.softmax(logits, 0)
        if int(logits.argmax()) == 2 and float(probs[2]) > 0.9:
            break
    else:
        raise RuntimeError("no correctly classified sample found")
    pred = int(logits.argmax())
    txt = ["# ShapesNet demo model on DecomCam.Cli/assets/sample.png",
           "# input: PNG (uint8 RGB) / 255, then (x - mean) / std with ImageNet mean (0.485,0.456,0.406) "
           "std (0.229,0.224,0.225), NCHW [1,3,96,96]",
           f"# torch {torch.__version__}, eval mode, float32",
           "logits " + " ".join(f"{v:.6f}" for v in logits.tolist()),
           "softmax " + " ".join(f"{v:.6f}" for v in probs.tolist()),
           f"predicted {pred} {CLASSES[pred]}",
           f"heldout_accuracy {acc:.4f}"]
    with open(os.path.join(HERE, "sample_logits.txt"), "w") as f:
        f.write("\n".join(txt) + "\n")
    print("\n".join(txt))
    with open(os.path.join(HERE, "train_log.json"), "w") as f:
        json.dump({"epochs": log, "heldout_accuracy": acc, "confusion": conf.tolist(), "classes": CLASSES,
                   "sample_attempts": attempt + 1, "seconds": time.time() - t0}, f, indent=1)
    print(f"total {time.time() - t0:.0f}s; assets:",
          {fn: os.path.getsize(os.path.join(ASSETS, fn)) for fn in sorted(os.listdir(ASSETS))})


if __name__ == "__main__":
    main()
