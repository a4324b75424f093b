#!/usr/bin/python3
"""Writes the real-data examples in examples/, offline:
    /usr/bin/python3 examples/make/make_examples.py
Needs numpy, PIL and scikit-image (Debian: python3-numpy, python3-pil, python3-skimage).

- chelsea.png: scikit-image's "chelsea" photograph (Stefan van der Walt's cat; CC0, "no copyright
  restrictions", as skimage.data.chelsea's docstring says), shrunk to 96 × 64 so the example stays small.
  chelsea.conv.json resizes it to 32 × 32, scales and normalizes it (ImageNet values) and convolves it with
  chelsea-kernels.safetensors: two 3 × 3 edge detectors (Sobel, x and y) over the three channels.
- batch.npz (np.savez_compressed): a batch of two 6 × 6 one-channel pictures (a vertical and a horizontal
  bar), two 3 × 3 kernels and their bias; batch.conv.json reads all three from it.
"""
import os

import numpy as np
import skimage.data
from PIL import Image

from safetensors_file import write_safetensors

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def chelsea():
    Image.fromarray(skimage.data.chelsea()).resize((96, 64), Image.BILINEAR).save(os.path.join(HERE, 'chelsea.png'), optimize=True)
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)
    weight = np.stack([np.stack([sobel_x] * 3), np.stack([sobel_x.T] * 3)]) / 3
    write_safetensors(os.path.join(HERE, 'chelsea-kernels.safetensors'), {'conv1.weight': weight, 'conv1.bias': np.zeros(2, dtype=np.float32)})


def batch():
    x = np.zeros((2, 1, 6, 6))
    x[0, 0, :, 2:4] = 1
    x[1, 0, 2:4, :] = 1
    w = np.array([[[[-1, 0, 1]] * 3], [[[-1, -1, -1], [0, 0, 0], [1, 1, 1]]]], dtype=np.float64)
    np.savez_compressed(os.path.join(HERE, 'batch.npz'), x=x, w=w, b=np.array([0.0, 0.5]))


if __name__ == '__main__':
    chelsea()
    batch()
