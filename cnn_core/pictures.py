"""Arrays made into pictures for a projector: feature maps as a grid of tiles, filters as small
images, a heatmap laid over its input. NumPy only.

    from cnn_core import pictures
    pictures.tiles(values[:, :, :16], columns=8)    # uint8 grid, each channel scaled to its own range
    pictures.filter_images(kernel)                  # one uint8 image per filter: RGB for 3 input channels
    pictures.overlay(image, heat)                   # the input in grey, the heat in red-yellow over it
"""

from __future__ import annotations

import numpy as np

GAP = 2  # pixels between tiles


def scale_each(values: np.ndarray) -> np.ndarray:
    """(..., C) -> [0, 1] per channel: every map uses its own full range, so a weak channel is
    still visible (the tile's title gives its real range)."""
    v = np.asarray(values, dtype=np.float64)
    lo = v.min(axis=tuple(range(v.ndim - 1)), keepdims=True)
    hi = v.max(axis=tuple(range(v.ndim - 1)), keepdims=True)
    return np.where(hi > lo, (v - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0)


def enlarge(image: np.ndarray, min_side: int) -> np.ndarray:
    """Nearest-neighbour enlargement to at least `min_side` pixels: a 7x7 map stays a 7x7 map."""
    factor = max(1, -(-min_side // max(image.shape[0], image.shape[1])))
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def tiles(values: np.ndarray, columns: int = 8, min_side: int = 48, together: bool = False) -> np.ndarray:
    """Feature maps (h, w, C) as one grey uint8 picture: C tiles in rows of `columns`, each
    scaled to its own range, or all to one (`together`: a filter's weights, which are compared)."""
    scaled = scale_each(values) if not together else scale_each(np.asarray(values).reshape(-1, 1)).reshape(np.shape(values))
    h, w, c = scaled.shape
    columns = max(1, min(columns, c))
    rows = -(-c // columns)
    tile = enlarge(np.zeros((h, w)), min_side).shape
    out = np.full((rows * (tile[0] + GAP) - GAP, columns * (tile[1] + GAP) - GAP), 255, dtype=np.uint8)
    for i in range(c):
        r, col = divmod(i, columns)
        y, x = r * (tile[0] + GAP), col * (tile[1] + GAP)
        out[y:y + tile[0], x:x + tile[1]] = (enlarge(scaled[:, :, i], min_side) * 255).round().astype(np.uint8)
    return out


def filter_images(kernel: np.ndarray, min_side: int = 48) -> list[np.ndarray]:
    """A conv kernel (k, k, C_in, N) as N pictures: in colour when C_in is 3 (an RGB image's
    filter: what colour and edge it looks for), else the mean over input channels in grey."""
    k = np.asarray(kernel, dtype=np.float64)
    out = []
    for n in range(k.shape[3]):
        f = k[:, :, :, n]
        if f.shape[2] != 3:
            f = f.mean(axis=2, keepdims=True)
        lo, hi = f.min(), f.max()
        scaled = (f - lo) / (hi - lo) if hi > lo else np.zeros_like(f)
        img = enlarge((scaled * 255).round().astype(np.uint8), min_side)
        out.append(img[:, :, 0] if img.shape[2] == 1 else img)
    return out


def overlay(image: np.ndarray, heat: np.ndarray, strength: float = 0.6) -> np.ndarray:
    """The input (uint8, H x W x 1 or 3) in grey with `heat` (H x W, any range >= 0) over it, red
    to yellow where it is strongest; RGB uint8."""
    img = np.asarray(image, dtype=np.float64)
    grey = img.mean(axis=2) if img.ndim == 3 else img
    h = np.asarray(heat, dtype=np.float64)
    h = h / h.max() if h.max() > 0 else np.zeros_like(h)
    colour = np.stack([np.ones_like(h), h, np.zeros_like(h)], axis=-1) * 255  # red -> yellow
    base = np.repeat(grey[:, :, None], 3, axis=2) * (1 - strength * h[:, :, None])
    return np.clip(base + colour * strength * h[:, :, None], 0, 255).round().astype(np.uint8)
