"""ShapesNet: the small CNN used for the bundled demo model and the parity goldens.

Children, in order (state-dict keys follow from these names):
  block1 = Conv2d(3,16,3,p=1), BatchNorm2d(16), ReLU
  pool1  = MaxPool2d(2)
  block2 = Conv2d(16,32,3,p=1), BatchNorm2d(32), ReLU
  pool2  = MaxPool2d(2)
  block3 = Conv2d(32,64,3,p=1), BatchNorm2d(64), ReLU
  gap    = AdaptiveAvgPool2d(1)
  fc     = Linear(64, num_classes)
forward: block1 -> pool1 -> block2 -> pool2 -> block3 -> gap -> flatten(1) -> fc
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
