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


def _decode(raw: bytes):
    """Bytes of an image file -> a loaded PIL image; UserError for anything a learner could upload wrongly."""
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
    return img


def photo_from_upload(raw: bytes, shape: tuple) -> np.ndarray:
    """An uploaded image as uint8 (H, W, C) of `shape`: the centre square, resized (grey for C = 1)."""
    from PIL import Image

    img = _decode(raw)
    h, w, c = shape
    img = img.convert("L" if c == 1 else "RGB")
    side = min(img.width, img.height)  # centre square crop keeps the aspect ratio
    left, top = (img.width - side) // 2, (img.height - side) // 2
    arr = np.asarray(img.crop((left, top, left + side, top + side)).resize((w, h), Image.LANCZOS), dtype=np.uint8)
    return arr[..., None] if c == 1 else arr


def digit_from_upload(raw: bytes) -> np.ndarray:
    """An uploaded photo or scan of a digit, read the way MNIST's digits were made (and the way a
    drawing is read): grey; a light background inverted to white-on-black; the background level
    taken away; cropped to the digit, scaled to fit 20x20 and centred by its mass in 28x28."""
    img = _decode(raw).convert("L")
    if max(img.size) > 1024:  # a phone photo: plenty of detail at 1,024 pixels, and fast
        img.thumbnail((1024, 1024))
    gray = np.asarray(img, dtype=np.float32)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) > 127:  # dark ink on light paper: MNIST digits are white on black
        gray, border = 255.0 - gray, 255.0 - border
    background = float(np.percentile(border, 90))  # paper grain and shadows at the edges
    ink = gray.max() - background
    if ink < 30:
        raise UserError("image.blank")
    gray = np.clip((gray - background) / ink, 0.0, 1.0) * 255.0
    digit = mnist_digit(gray)
    if digit is None:
        raise UserError("image.blank")
    return digit


def image_from_upload(raw: bytes, shape: tuple) -> np.ndarray:
    """An upload as a model's input of `shape`: a digit for MNIST's 28x28x1, a photo otherwise."""
    return digit_from_upload(raw) if tuple(shape) == (28, 28, 1) else photo_from_upload(raw, shape)


def mnist_digit(gray: np.ndarray, threshold: float = 30.0) -> np.ndarray | None:
    """White-on-black grey values (any size, 0-255) -> a 28x28x1 MNIST-style digit, or None when
    nothing is there. Like MNIST: the digit fits a 20x20 box, centred by its centre of mass."""
    from PIL import Image

    mask = gray > threshold
    if not mask.any():
        return None
    ys, xs = np.nonzero(mask)
    crop = np.where(gray > threshold / 2, gray, 0.0)[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
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


def mnist_from_drawing(rgba: np.ndarray | None) -> np.ndarray | None:
    """A canvas drawing (white strokes on black, RGBA) -> a 28x28x1 MNIST-style digit, or None
    if nothing is drawn."""
    if rgba is None:
        return None
    return mnist_digit(np.asarray(rgba, dtype=np.float32)[..., :3].mean(axis=2))


def fingerprint(image: np.ndarray) -> int:
    """A number that changes when the image does (to notice another input: a new mistake, a new drawing)."""
    return hash(np.asarray(image).tobytes())
