"""Goldens for DecomCam.Evaluation's metrics from pytorch-grad-cam's own metric classes.

    /usr/bin/python3 reference/evaluation_metrics_reference.py /tmp/anchors/pytorch-grad-cam   # seconds

Reads pytorch-grad-cam's `pytorch_grad_cam/metrics/` (cam_mult_image.py, road.py, arcc.py) from the checkout given as
the first argument (its package __init__ imports `ttach`, which the metrics never use; a stub stands in for it) and runs
them on a tiny model with detinit weights (MetricNet: conv 3->6 3x3 pad 1, ReLU, spatial mean, linear 6->5), detinit
input (2,3,16,16) and two maps (one hash-noise map, one blob), targets [1,3], ClassifierOutputSoftmaxTarget.
ROAD runs without noise (NoisyLinearImputer(noise=0)): the reference's noise comes from torch's global generator,
which the C# side does not share. Writes DecomCam.Tests/Golden/evaluation/: maps.npy, road_morf40_image1.npy and
metrics.json.
"""
import json
import os
import sys
import types

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import detinit  # noqa: E402

OUT = os.path.join(os.path.dirname(HERE), "DecomCam.Tests", "Golden", "evaluation")
PERCENTILES = [10, 20, 30, 40, 50, 60, 70, 80, 90]


class MetricNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 6, 3, padding=1)
        self.fc = torch.nn.Linear(6, 5)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).mean((2, 3)))


def maps():
    noise = (detinit.fill_value("map", (16, 16)).astype(np.float64) + 2) / 4
    h, w = np.meshgrid(np.arange(16), np.arange(16), indexing="ij")
    blob = 0.9 * np.exp(-((h - 5) ** 2 + (w - 10) ** 2) / 18.0) + 0.1 * (detinit.fill_value("map2", (16, 16)).astype(np.float64) + 2) / 4
    return np.stack([noise, blob]).astype(np.float32)


def main():
    sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "/tmp/anchors/pytorch-grad-cam")
    stub = types.ModuleType("ttach")
    stub.Compose = object
    sys.modules.setdefault("ttach", stub)
    from pytorch_grad_cam.metrics.cam_mult_image import CamMultImageConfidenceChange, DropInConfidence, IncreaseInConfidence
    from pytorch_grad_cam.metrics.perturbation_confidence import PerturbationConfidenceMetric, RemoveMostRelevantFirst, RemoveLeastRelevantFirst
    from pytorch_grad_cam.metrics.road import NoisyLinearImputer
    from pytorch_grad_cam.metrics.arcc import batch_pearson_coherency, Complexity
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget

    torch.set_num_threads(2)
    model = detinit.fill_module(MetricNet()).eval()
    x = torch.from_numpy(detinit.fill_value("input", (2, 3, 16, 16)))
    cams = maps()
    classes = [1, 3]
    targets = [ClassifierOutputSoftmaxTarget(c) for c in classes]

    with torch.no_grad():
        y = torch.softmax(model(x), 1)[torch.arange(2), classes].numpy()
        o = torch.softmax(model(x * torch.from_numpy(cams)[:, None]), 1)[torch.arange(2), classes].numpy()
    change = CamMultImageConfidenceChange()(x, cams, targets, model)
    drop = DropInConfidence()(x, cams, targets, model)
    increase = IncreaseInConfidence()(x, cams, targets, model)

    def road(remover, p):
        return PerturbationConfidenceMetric(remover(p, NoisyLinearImputer(noise=0)))(x, cams, targets, model)

    morf = np.stack([road(RemoveMostRelevantFirst, p) for p in PERCENTILES], 1)  # [N,J] changes
    lerf = np.stack([road(RemoveLeastRelevantFirst, p) for p in PERCENTILES], 1)
    combined = (lerf.mean(1) - morf.mean(1)) / 2
    imputed = RemoveMostRelevantFirst(40, NoisyLinearImputer(noise=0))(x[1], torch.from_numpy(cams[1])).numpy().astype(np.float32)

    # Coherency's correlation of a map with its square, complexity of the maps.
    pearson = batch_pearson_coherency(cams ** 2, cams)
    complexity = Complexity()(cams)

    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "maps.npy"), cams)
    np.save(os.path.join(OUT, "road_morf40_image1.npy"), imputed)
    doc = {
        "source": "pytorch-grad-cam metrics (cam_mult_image.py, road.py, arcc.py), reference/evaluation_metrics_reference.py",
        "model": "MetricNet: conv(3->6, 3x3, pad 1), relu, mean over H,W, fc(6->5); detinit weights",
        "input": "detinit input (2,3,16,16)", "classes": classes, "percentiles": PERCENTILES,
        "original": y.tolist(), "perturbed": o.tolist(),
        "change": np.asarray(change).reshape(-1).tolist(), "drop_in_confidence": np.asarray(drop).reshape(-1).tolist(),
        "increase_in_confidence": np.asarray(increase).reshape(-1).tolist(),
        "average_drop_percent": (100 * np.maximum(0, y - o) / y).tolist(),
        "road_morf_change": morf.tolist(), "road_lerf_change": lerf.tolist(), "road_combined": combined.tolist(),
        "pearson_square": np.asarray(pearson).tolist(), "complexity": np.asarray(complexity).tolist(),
    }
    with open(os.path.join(OUT, "metrics.json"), "w") as f:
        json.dump(doc, f, indent=1)
    print(json.dumps({k: v for k, v in doc.items() if k.startswith(("road_comb", "change", "average"))}))


if __name__ == "__main__":
    main()
