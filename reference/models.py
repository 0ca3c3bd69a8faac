"""ShapesNet (the tiny CNN of the seeded parity goldens) and SceneNet (the bundled demo model, trained by
`decomcam train-demo`); twins of DecomCam.Core/Models/ShapesNet.cs and SceneNet.cs.

ShapesNet
Children, in order (state-dict keys follow from these names):
  block1 = Conv2d(3,16,3,p=1), BatchNorm2d(16), ReLU
  pool1  = MaxPool2d(2)
  block2 = Conv2d(16,32,3,p=1), BatchNorm2d(32), ReLU
  pool2  = MaxPool2d(2)
  block3 = Conv2d(32,64,3,p=1), BatchNorm2d(64), ReLU
  gap    = AdaptiveAvgPool2d(1)
  fc     = Linear(64, num_classes)
forward: block1 -> pool1 -> block2 -> pool2 -> block3 -> gap -> flatten(1) -> fc

SceneNet: block1 = Conv2d(3,16,3,s=2,p=1)+BN+ReLU; block2 (16->32); pool2; block3 (32->64); pool3; block4 (64->128);
gap; fc = Linear(128, num_classes). forward: block1 -> block2 -> pool2 -> block3 -> pool3 -> block4 -> gap -> fc

SceneDet (the demo detector, `decomcam train-demo --task detect`): block1 (3->16, s=2), block2 (16->32, s=2), block3
(32->64, s=2), block4 (64->64), block5 (64->64, dilation 2, padding 2), head = Conv2d(64, 4+K, 1). Output YOLOv8
[N, 4+K, h*w], anchors row-major: centre (cell + sigmoid(t)) * 8, size exp(clamp(t, -6, 4)) * 32, sigmoid class scores.
"""
import torch
from torch import nn


class ShapesNet(nn.Module):
    def __init__(self, num_classes: int = 4):
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.pool1 = nn.MaxPool2d(2)
        self.block2 = nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU())
        self.pool2 = nn.MaxPool2d(2)
        self.block3 = nn.Sequential(nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU())
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.block1(x)
        x = self.pool1(x)
        x = self.block2(x)
        x = self.pool2(x)
        x = self.block3(x)
        x = self.gap(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


def _block(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation), nn.BatchNorm2d(cout), nn.ReLU())


class SceneDet(nn.Module):
    STRIDE = 8
    BOX_PRIOR = 32.0

    def __init__(self, num_classes: int = 8):
        super().__init__()
        self.block1 = _block(3, 16, stride=2)
        self.block2 = _block(16, 32, stride=2)
        self.block3 = _block(32, 64, stride=2)
        self.block4 = _block(64, 64)
        self.block5 = _block(64, 64, dilation=2)
        self.head = nn.Conv2d(64, 4 + num_classes, 1)

    @staticmethod
    def decode(raw: torch.Tensor) -> torch.Tensor:
        n, _, h, w = raw.shape
        t = raw.flatten(2)
        gy, gx = torch.meshgrid(torch.arange(h, dtype=raw.dtype), torch.arange(w, dtype=raw.dtype), indexing="ij")
        grid = torch.stack([gx.reshape(-1), gy.reshape(-1)], 0)[None]
        xy = (t[:, :2].sigmoid() + grid) * SceneDet.STRIDE
        wh = t[:, 2:4].clamp(-6, 4).exp() * SceneDet.BOX_PRIOR
        return torch.cat([xy, wh, t[:, 4:].sigmoid()], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.block5(self.block4(self.block3(self.block2(self.block1(x)))))
        return self.decode(self.head(x))


class SceneNet(nn.Module):
    def __init__(self, num_classes: int = 8):
        super().__init__()
        self.block1 = _block(3, 16, stride=2)
        self.block2 = _block(16, 32)
        self.pool2 = nn.MaxPool2d(2)
        self.block3 = _block(32, 64)
        self.pool3 = nn.MaxPool2d(2)
        self.block4 = _block(64, 128)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool2(self.block2(self.block1(x)))
        x = self.pool3(self.block3(x))
        x = torch.flatten(self.gap(self.block4(x)), 1)
        return self.fc(x)
