"""Regenerates the golden files of DecomCam.Tests/Imaging (run with Debian's /usr/bin/python3:
numpy 1.24, torch 1.13, torchvision 0.14, PIL 9.4, OpenCV 4.6 from python3-opencv). Deterministic."""
import os
import numpy as np
from numpy.lib import format as npformat
from PIL import Image
import cv2
import torch
from torchvision import transforms

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240611)

# A 120x90 RGB test picture: smooth gradients, a sharp-edged disc, stripes and noise.
h, w = 90, 120
y, x = np.mgrid[0:h, 0:w].astype(np.float64)
r = 255 * x / (w - 1)
g = 255 * (0.5 + 0.5 * np.sin(y / 7.0))
b = np.where((x - 70) ** 2 + (y - 40) ** 2 < 25 ** 2, 230.0, 40.0)
b = b + 60 * ((x.astype(int) // 4) % 2)
img = np.stack([r, g, b], axis=-1) + rng.normal(0, 12, (h, w, 3))
img = np.clip(np.round(img), 0, 255).astype(np.uint8)
Image.fromarray(img, "RGB").save(os.path.join(here, "pattern.png"))

pipeline = transforms.Compose([
    transforms.Resize(64),
    transforms.CenterCrop(56),
    transforms.ToTensor(),
    transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
])
with Image.open(os.path.join(here, "pattern.png")) as im:
    ref = pipeline(im.convert("RGB")).unsqueeze(0).numpy().astype("<f4")
np.save(os.path.join(here, "pattern_resize64_crop56.npy"), ref)

# A smooth 120x90 JPEG (quality 90, 4:2:0 chroma), run through the same pipeline.
y, x = np.mgrid[0:h, 0:w].astype(np.float64)
smooth = np.stack([255 * x / (w - 1), 255 * (0.5 + 0.5 * np.sin(y / 12.0 + x / 25.0)),
                   128 + 100 * np.cos(x / 17.0) * np.sin(y / 13.0)], axis=-1)
smooth = np.clip(np.round(smooth + rng.normal(0, 2, (h, w, 3))), 0, 255).astype(np.uint8)
Image.fromarray(smooth, "RGB").save(os.path.join(here, "smooth.jpg"), quality=90)
with Image.open(os.path.join(here, "smooth.jpg")) as im:
    ref = pipeline(im.convert("RGB")).unsqueeze(0).numpy().astype("<f4")
np.save(os.path.join(here, "smooth_jpg_resize64_crop56.npy"), ref)

# Valid JPEG variants the truncation check must accept: progressive with restart markers, EXIF, bytes after EOI.
small = img[:24, :32]
cv2.imwrite(os.path.join(here, "progressive_restart.jpg"), small[:, :, ::-1],
            [cv2.IMWRITE_JPEG_PROGRESSIVE, 1, cv2.IMWRITE_JPEG_RST_INTERVAL, 1, cv2.IMWRITE_JPEG_QUALITY, 90])
exif = Image.Exif()
exif[0x010E] = "DecomCam test"
Image.fromarray(small, "RGB").save(os.path.join(here, "exif_trailing.jpg"), exif=exif.tobytes(), quality=90)
with open(os.path.join(here, "exif_trailing.jpg"), "ab") as f:
    f.write(b"trailing bytes after EOI\xff\x00")

# numpy-written .npy files for the reader.
a = (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 11.5) / 4
np.save(os.path.join(here, "numpy_f4_2x3x4.npy"), a)
np.save(os.path.join(here, "numpy_f8_3x2.npy"), np.array([[1.5, -2.25], [1e-3, 3.0e5], [np.pi, -np.e]], dtype="<f8"))
np.save(os.path.join(here, "numpy_f4_scalar.npy"), np.array(7.25, dtype=np.float32))
for version in [(2, 0), (3, 0)]:
    with open(os.path.join(here, f"numpy_f4_v{version[0]}.npy"), "wb") as f:
        npformat.write_array(f, a, version=version)
np.save(os.path.join(here, "numpy_fortran.npy"), np.asfortranarray(a[0]))
np.save(os.path.join(here, "numpy_bigendian.npy"), a.astype(">f4"))
np.save(os.path.join(here, "numpy_int64.npy"), np.arange(6, dtype="<i8"))
np.save(os.path.join(here, "numpy_object.npy"), np.array([1, "a"], dtype=object), allow_pickle=True)
