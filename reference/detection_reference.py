"""Writes DecomCam.Tests/Golden/detection/ops.json: torchvision.ops.box_iou, nms and batched_nms on fixed boxes.

The boxes and scores are drawn once from numpy's seeded generator and written beside the results, so the C# tests
(`DetectionGoldenTests`) read the inputs and the expected outputs from the same file. Scores are distinct, so the
order of kept boxes is defined. Run from the repository root with Debian's Python:
    /usr/bin/python3 reference/detection_reference.py
"""
import json
import os

import numpy as np
import torch
import torchvision
from torchvision.ops import batched_nms, box_iou, nms


def random_boxes(rng, count, size=128.0):
    xy = rng.uniform(0, size * 0.8, (count, 2))
    wh = rng.uniform(4, size * 0.4, (count, 2))
    return np.concatenate([xy, xy + wh], 1).astype(np.float32)


def clustered_boxes(rng, count, clusters=5, size=128.0):
    """Boxes jittered around a few centres, so that suppression has work to do."""
    centres = random_boxes(rng, clusters, size)
    pick = rng.integers(0, clusters, count)
    jitter = rng.normal(0, 4, (count, 4)).astype(np.float32)
    boxes = centres[pick] + jitter
    boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1)
    return boxes.astype(np.float32)


def main():
    rng = np.random.default_rng(24)
    a = random_boxes(rng, 7)
    b = random_boxes(rng, 9)
    boxes = clustered_boxes(rng, 40)
    scores = rng.permutation(40).astype(np.float32) / 40 + 0.01
    classes = rng.integers(0, 3, 40)
    out = {
        "torchvision": torchvision.__version__,
        "torch": torch.__version__,
        "iou_a": a.tolist(),
        "iou_b": b.tolist(),
        "box_iou": box_iou(torch.from_numpy(a), torch.from_numpy(b)).numpy().tolist(),
        "nms_boxes": boxes.tolist(),
        "nms_scores": scores.tolist(),
        "nms_classes": classes.tolist(),
    }
    for threshold in (0.3, 0.5, 0.7):
        t = torch.from_numpy(boxes)
        s = torch.from_numpy(scores)
        out[f"nms_keep_{threshold}"] = nms(t, s, threshold).tolist()
        out[f"batched_nms_keep_{threshold}"] = batched_nms(t, s, torch.from_numpy(classes), threshold).tolist()
    path = os.path.join("DecomCam.Tests", "Golden", "detection", "ops.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f)
    print("wrote", path, {k: len(v) for k, v in out.items() if k.startswith(("nms_keep", "batched"))})


if __name__ == "__main__":
    main()
