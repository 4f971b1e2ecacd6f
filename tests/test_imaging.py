"""Uploads and drawings become model inputs; bad files get a sentence, never a traceback."""

import io

import numpy as np
import pytest
from PIL import Image

from cnn_core import imaging


def _png(array, mode):
    buf = io.BytesIO()
    Image.fromarray(array, mode).save(buf, format="PNG")
    return buf.getvalue()


def test_upload_is_resized_and_a_dark_digit_on_paper_is_inverted():
    paper = np.full((100, 80), 250, np.uint8)
    paper[30:70, 35:45] = 10  # a dark stroke on white paper
    out = imaging.image_from_upload(_png(paper, "L"), (28, 28, 1))
    assert out.shape == (28, 28, 1) and out.dtype == np.uint8
    assert out.mean() < 128  # white on black, like MNIST
    rgb = imaging.image_from_upload(_png(np.zeros((40, 60, 3), np.uint8), "RGB"), (32, 32, 3))
    assert rgb.shape == (32, 32, 3)


@pytest.mark.parametrize("raw,words", [
    (b"", "empty"),
    (b"this is a text file, not a picture", "not an image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not an image"),  # a corrupt PNG
    (b"x" * (imaging.MAX_UPLOAD_BYTES + 1), "under 10 MB"),
])
def test_bad_uploads_get_a_sentence(raw, words):
    with pytest.raises(ValueError, match=words):
        imaging.image_from_upload(raw, (28, 28, 1))


def test_drawing_becomes_a_centred_mnist_digit():
    canvas = np.zeros((196, 196, 4), np.uint8)
    canvas[20:120, 20:40, :3] = 255  # a stroke near the top-left corner
    digit = imaging.mnist_from_drawing(canvas)
    assert digit.shape == (28, 28, 1)
    ys, xs = np.nonzero(digit[..., 0] > 30)
    assert 20 >= ys.max() - ys.min() + 1 >= 17  # scaled to fit 20 pixels
    assert abs(ys.mean() - 14) < 2 and abs(xs.mean() - 14) < 2  # centred by its mass
    assert imaging.mnist_from_drawing(np.zeros((196, 196, 4), np.uint8)) is None  # nothing drawn
