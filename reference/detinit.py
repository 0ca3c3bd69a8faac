"""Deterministic, seed-free fill for parity tests, computed identically in C# (DecomCam.Tests/Support/DeterministicInit.cs).

Every value comes from an integer hash of (element index, FNV-1a hash of the tensor's name), so Python and C#
produce bit-identical float32 tensors without sharing a random number generator.
"""
import numpy as np

MASK = (1 << 32) - 1


def fnv1a32(name: str) -> int:
    h = 0x811C9DC5
    for b in name.encode("utf-8"):
        h ^= b
        h = (h * 0x01000193) & MASK
    return h


def uniform01(name: str, n: int) -> np.ndarray:
    """n values in [0, 1) as float64."""
    i = np.arange(1, n + 1, dtype=np.uint64)
    x = (i * np.uint64(0x9E3779B1) + np.uint64(fnv1a32(name))) & np.uint64(MASK)
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x45D9F3B)) & np.uint64(MASK)
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x45D9F3B)) & np.uint64(MASK)
    x ^= x >> np.uint64(16)
    return x.astype(np.float64) / 4294967296.0


def fill_value(name: str, shape) -> np.ndarray:
    """The float32 value that the tensor called `name` (a state-dict key, or 'input') gets."""
    n = int(np.prod(shape)) if len(shape) else 1
    u = uniform01(name, n)
    s = 2.0 * u - 1.0
    if name.endswith("num_batches_tracked"):
        v = np.zeros(n)
    elif name.endswith("running_var"):
        v = 0.5 + u
    elif name.endswith("running_mean"):
        v = 0.1 * s
    elif name.endswith("bias"):
        v = 0.1 * s
    elif name.endswith("weight") and len(shape) == 1:
        v = 1.0 + 0.25 * s
    elif name.endswith("weight"):
        fan_in = n // shape[0]
        v = s * np.sqrt(6.0 / fan_in)
    else:
        v = 2.0 * s
    return v.astype(np.float32).reshape(shape)


def fill_module(module):
    """Fill every parameter and buffer of a torch module in place; returns the module."""
    import torch
    with torch.no_grad():
        for key, t in module.state_dict().items():
            if t.dtype.is_floating_point:
                t.copy_(torch.from_numpy(fill_value(key, tuple(t.shape))))
            else:
                t.zero_()
    return module
