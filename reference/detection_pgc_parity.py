"""Writes the goldens of DetectionParityTests: the bundled demo detector (SceneDet, reference/models.py, weights from
DecomCam.Cli/assets/scenedet.safetensors) on DecomCam.Tests/Golden/detection/scene.png (held-out scene 20,000,003 of
seed 1), its detections by torchvision.ops (decode as the YOLOv8 layout, confidence > 0.25, batched_nms at 0.45), and
pytorch-grad-cam's own Grad-CAM, Eigen-CAM and Score-CAM at block5 with one target per detection (its box shrunk by
1 px a side, see below), written like pgc's
FasterRCNNBoxScoreTarget for the dense layout (YoloBoxScoreTarget below). pgc's Eigen-CAM keeps the sign the SVD gives;
it runs here with our sign rule (the largest-magnitude entry of the projection made positive), as the other parity
goldens do. Also exports the detector to ONNX (`scenedet_opset13.onnx`, YOLOv8 layout, dynamic batch). Run from the
repository root after retraining the detector:
    /usr/bin/python3 reference/detection_pgc_parity.py /tmp/anchors/pytorch-grad-cam
"""
import json
import os
import sys
import types

import numpy as np
import torch
from PIL import Image
from torchvision.ops import batched_nms, box_convert, box_iou

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_io  # noqa: E402
from models import SceneDet  # noqa: E402

GOLDEN = os.path.join(HERE, "..", "DecomCam.Tests", "Golden", "detection")
WEIGHTS = os.path.join(HERE, "..", "DecomCam.Cli", "assets", "scenedet.safetensors")
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


class YoloBoxScoreTarget:
    """pgc's FasterRCNNBoxScoreTarget for one image's YOLOv8 output [4+K, A]: for each reference box, among the anchors
    whose best class is the box's label and whose IoU with it is above the threshold, the highest-IoU one adds its IoU
    plus its score for that label; 0 when none."""

    def __init__(self, labels, bounding_boxes, iou_threshold=0.5):
        self.labels = labels
        self.bounding_boxes = bounding_boxes
        self.iou_threshold = iou_threshold

    def __call__(self, model_output):
        boxes = box_convert(model_output[:4].T, "cxcywh", "xyxy")
        scores = model_output[4:].T
        output = torch.tensor([0.0], dtype=boxes.dtype)
        for box, label in zip(self.bounding_boxes, self.labels):
            ious = box_iou(torch.as_tensor(box, dtype=boxes.dtype)[None], boxes)[0]
            candidates = (scores.argmax(1) == label) & (ious > self.iou_threshold)
            if candidates.any():
                index = torch.where(candidates, ious, torch.full_like(ious, -1)).argmax()
                output = output + ious[index] + scores[index, label]
        return output


def signed_projection(original):
    def projection(activation_batch):
        p = original(activation_batch)
        for i in range(len(p)):
            flat = p[i].reshape(-1)
            if flat[np.argmax(np.abs(flat))] < 0:
                p[i] = -p[i]
        return p
    return projection


def main():
    sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "/tmp/anchors/pytorch-grad-cam")
    stub = types.ModuleType("ttach")
    stub.Compose = lambda transforms: None
    stub.HorizontalFlip = stub.Multiply = lambda *a, **k: None
    sys.modules.setdefault("ttach", stub)
    import pytorch_grad_cam as pgc
    import pytorch_grad_cam.eigen_cam as eigen_cam
    eigen_cam.get_2d_projection = signed_projection(eigen_cam.get_2d_projection)

    torch.set_num_threads(2)
    model = SceneDet(8)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in safetensors_io.load(WEIGHTS).items()})
    model.eval()
    rgb = np.asarray(Image.open(os.path.join(GOLDEN, "scene.png")).convert("RGB"), dtype=np.float32) / 255
    x = torch.from_numpy(((rgb - MEAN) / STD).transpose(2, 0, 1)[None].astype(np.float32))
    np.save(os.path.join(GOLDEN, "scenedet_input.npy"), x.numpy())

    with torch.no_grad():
        out = model(x)[0]
    boxes = box_convert(out[:4].T, "cxcywh", "xyxy")
    best, cls = out[4:].T.max(1)
    keep = torch.nonzero(best > 0.25).flatten()
    kept = keep[batched_nms(boxes[keep], best[keep], cls[keep], 0.45)]
    detections = {"anchors": kept.tolist(), "classes": cls[kept].tolist(), "scores": best[kept].tolist(), "boxes": boxes[kept].tolist()}
    print("detections", detections)

    d = len(kept)
    # Each reference box is its detection shrunk by 1 px a side: a detection matches its own anchor with IoU 1 exactly,
    # where the IoU's gradient has a kink (min/max ties), and the forwards with and without gradients round the box by
    # ~1e-6 differently, which picks one side of it or the other.
    targets = [YoloBoxScoreTarget([int(cls[a])], [(boxes[a] + torch.tensor([1.0, 1.0, -1.0, -1.0])).tolist()]) for a in kept]
    batch = x.repeat(d, 1, 1, 1)
    for name, method in {"gradcam": pgc.GradCAM, "eigencam": pgc.EigenCAM, "scorecam": pgc.ScoreCAM}.items():
        with method(model=model, target_layers=[model.block5]) as cam:
            maps = cam(input_tensor=batch, targets=targets)
        np.save(os.path.join(GOLDEN, f"pgc_scenedet_{name}.npy"), maps.astype(np.float32))
        print(name, maps.shape, float(maps.max()))
    with open(os.path.join(GOLDEN, "scenedet_detections.json"), "w") as f:
        json.dump(detections, f)
    # The ONNX export in YOLOv8 layout (BatchNorm folded, dynamic batch) for OnnxDetectionTests.
    torch.onnx.export(model, x, os.path.join(GOLDEN, "scenedet_opset13.onnx"), opset_version=13, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})


if __name__ == "__main__":
    main()
