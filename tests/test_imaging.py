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


def _rendered_digit(digit: int, size: int, where: tuple, dark_on_light: bool, canvas=(320, 240)) -> bytes:
    """A clean 'photo' of a printed digit: Pillow's own font, anywhere on the page, either polarity."""
    from PIL import ImageDraw, ImageFont

    paper, ink = (245, 20) if dark_on_light else (15, 235)
    img = Image.new("L", canvas, paper)
    ImageDraw.Draw(img).text(where, str(digit), fill=ink, font=ImageFont.load_default(size=size))
    noisy = np.asarray(img, np.float32) + np.random.default_rng(digit).normal(0, 4, canvas[::-1])
    return _png(np.clip(noisy, 0, 255).astype(np.uint8), "L")


@pytest.fixture(scope="module")
def mnist_model():
    """An MNIST model as a learner would train it: the fast MNIST preset's layers with shifts, 3
    epochs on the full set (about 99%). Trained on the shipped sample only (97-98%), a model reads
    7 to 9 of 10 printed digits from run to run: too close to the line to test the preprocessing."""
    from cnn_core import data, executors, jobs, presets, runner, training

    if not data.full_available("mnist"):
        pytest.skip("needs the full MNIST (../shared/datasets or CNN_DATASETS_DIR) for a 99% model")
    cfg = training.TrainConfig(dataset="mnist", source="full", epochs=3, batch_size=256,
                               learning_rate=6e-3, schedule="one_cycle", augment=True, validation_fraction=0.0)
    job = jobs.Job(runner.TrainRequest(presets.TRAIN_PRESETS["fast MNIST"].spec, cfg))
    job.start(executors.LocalExecutor(1))
    assert job.wait(600) and job.state == "finished", job.error
    return job.model


def test_uploaded_printed_digits_are_read_like_drawn_ones(mnist_model):
    """Printed digits at several sizes, places and both polarities, through a trained model: at
    least 8 of 10 right, counted over all 40, where reading them as photos (the centre square
    resized, no inversion) gets about 5 of 40. Over all 40 and not per layout: this font's 1 (its
    flag) and 6 (its hook curls nearly shut) are far from MNIST's handwriting and are read wrong in
    about half the layouts, so 8 of 10 per layout hung on one training run's luck with a third
    digit (7 of 10 in one of a few fresh-clone runs); the total, 35 to 38 of 40 over six
    trainings, does not."""
    from cnn_core import training

    layouts = [(120, (40, 30), True), (60, (200, 150), True), (90, (150, 10), False), (160, (20, 40), False)]
    wrong, plain_right = [], 0
    for size, where, dark_on_light in layouts:
        photos = [_rendered_digit(d, size, where, dark_on_light) for d in range(10)]
        read = training.predict_images(mnist_model, np.stack([imaging.image_from_upload(p, (28, 28, 1))
                                                              for p in photos])).argmax(axis=1)
        wrong += [f"{d} read as {r} (size {size} at {where}, dark on light: {dark_on_light})"
                  for d, r in enumerate(read) if r != d]
        plain = np.stack([imaging.photo_from_upload(p, (28, 28, 1)) for p in photos])  # read as a photo
        plain_right += int((training.predict_images(mnist_model, plain).argmax(axis=1) == np.arange(10)).sum())
    right = 10 * len(layouts) - len(wrong)
    assert right >= 8 * len(layouts), f"{right}/{10 * len(layouts)} right: " + "; ".join(wrong)
    assert plain_right <= right // 2, f"read as photos {plain_right}, as digits {right}"


def test_a_blank_upload_says_there_is_no_digit():
    with pytest.raises(ValueError, match="no digit"):
        imaging.image_from_upload(_png(np.full((50, 50), 200, np.uint8), "L"), (28, 28, 1))
