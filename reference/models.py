"""Reference PyTorch models for DecomCam.NET parity tests (only torch is needed to import this module)."""
import torch
from torch import nn


class ShapesNet(nn.Module):
    """The small demo CNN bundled with DecomCam.NET; mirrors DecomCamNet.Models.ShapesNet exactly.

    State-dict keys: block1.0.weight, block1.0.bias, block1.1.{weight,bias,running_mean,running_var,num_batches_tracked},
    the same for block2 and block3, then fc.weight and fc.bias.
    """

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
        x = self.pool1(self.block1(x))
        x = self.pool2(self.block2(x))
        x = self.block3(x)
        x = self.gap(x)
        x = torch.flatten(x, 1)
        return self.fc(x)
