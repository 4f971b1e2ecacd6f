"""Turn a drawing or an uploaded file into an input image for a model (NumPy + Pillow only).

Errors a user can cause (a corrupt file, a text file, a huge image, an empty canvas) raise
UserError (a ValueError) with a sentence to show as is.
"""

from __future__ import annotations

import io

import numpy as np

from cnn_core.messages import UserError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # 10 MB is plenty for one photo
MAX_PIXELS = 40_000_000  # refuse decompression bombs before Pillow decodes them


def image_from_upload(raw: bytes, shape: tuple) -> np.ndarray:
    """Bytes of an image file -> uint8 (H, W, C) of `shape`, resized; digits made white on black."""
    from PIL import Image, UnidentifiedImageError

    if not raw:
        raise UserError("image.empty")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise UserError("image.too_big_file", mb=len(raw) / 1e6, limit=MAX_UPLOAD_BYTES // (1024 * 1024))
    try:
        img = Image.open(io.BytesIO(raw))
        if img.width * img.height > MAX_PIXELS:
            raise UserError("image.too_many_pixels", w=img.width, h=img.height)
        img.load()
    except UserError:
        raise
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise UserError("image.unreadable") from exc
    h, w, c = shape
    img = img.convert("L" if c == 1 else "RGB")
    side = min(img.width, img.height)  # centre square crop keeps the aspect ratio
    left, top = (img.width - side) // 2, (img.height - side) // 2
    img = img.crop((left, top, left + side, top + side)).resize((w, h), Image.LANCZOS)
    arr = np.asarray(img, dtype=np.uint8)
    if c == 1:
        if arr.mean() > 127:  # a dark digit on light paper: MNIST digits are white on black
            arr = 255 - arr
        arr = arr[..., None]
    return arr


def mnist_from_drawing(rgba: np.ndarray | None) -> np.ndarray | None:
    """A canvas drawing (white strokes on black, RGBA) -> a 28x28x1 MNIST-style digit, or None
    if nothing is drawn. Like MNIST: the digit fits a 20x20 box, centred by its centre of mass."""
    from PIL import Image

    if rgba is None:
        return None
    gray = np.asarray(rgba, dtype=np.float32)[..., :3].mean(axis=2)
    if gray.max() < 30:
        return None
    ys, xs = np.nonzero(gray > 30)
    crop = gray[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    scale = 20.0 / max(crop.shape)
    new = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    small = np.asarray(Image.fromarray(crop.astype(np.uint8)).resize(new, Image.LANCZOS), dtype=np.float32)
    out = np.zeros((28, 28), dtype=np.float32)
    top, left = (28 - small.shape[0]) // 2, (28 - small.shape[1]) // 2
    out[top:top + small.shape[0], left:left + small.shape[1]] = small
    total = out.sum()
    if total > 0:  # shift the centre of mass to the middle, as MNIST did
        cy = (out.sum(axis=1) * np.arange(28)).sum() / total
        cx = (out.sum(axis=0) * np.arange(28)).sum() / total
        out = np.roll(out, (round(14 - cy), round(14 - cx)), axis=(0, 1))
    return np.clip(out, 0, 255).astype(np.uint8)[..., None]
