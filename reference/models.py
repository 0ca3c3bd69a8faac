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


def _block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.BatchNorm2d(cout), nn.ReLU())


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
