"""Datasets: the shipped samples, 'auto' that never waits on a network, the full local sets."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from cnn_core import data

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No local full sets and an empty Keras cache: the situation of a fresh laptop offline."""
    monkeypatch.delenv(data.DATASETS_ENV, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    data.clear_cache()
    yield
    data.clear_cache()


@pytest.mark.parametrize("name,shape", [("mnist", (28, 28, 1)), ("cifar10", (32, 32, 3))])
def test_samples_are_balanced_uint8_nhwc(name, shape):
    ds = data.load_dataset(name, "sample")
    assert ds.x_train.shape == (10_000, *shape) and ds.x_train.dtype == np.uint8
    assert ds.x_test.shape == (2_000, *shape)
    assert np.bincount(ds.y_train).tolist() == [1000] * 10
    assert np.bincount(ds.y_test).tolist() == [200] * 10
    assert ds.num_classes == 10 and ds.input_shape == shape
    assert "sample" in str(ds.source) and "10,000 training" in str(ds.source)
    assert not ds.x_train.flags.writeable  # shared by every session: read-only


def test_samples_fit_the_asset_budget():
    sizes = sum(p.stat().st_size for p in (ROOT / "cnn_core" / "assets").glob("*_sample.npz"))
    assert sizes < 25e6


def test_auto_offline_uses_the_sample(offline):
    ds = data.load_dataset("mnist", "auto")
    assert ds.kind == "sample" and "sample" in str(ds.source)


def test_auto_shares_the_arrays_it_resolves_to(offline):
    """A class where some pick 'auto' and some 'sample' holds one copy of the images, not two."""
    auto, sample = data.load_dataset("mnist", "auto"), data.load_dataset("mnist", "sample")
    assert auto.x_train is sample.x_train and data.is_shared(auto.x_train)
    assert not data.is_shared(auto.x_train.copy())


def test_full_offline_says_why(offline, monkeypatch):
    import keras

    def no_network(*_a, **_k):
        raise OSError("network unreachable")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    with pytest.raises(ValueError, match="could not be downloaded") as err:
        data.load_dataset("mnist", "full")
    words = str(err.value)  # one sentence that says what to do, without a library's exception name
    assert "connect to the internet once" in words and "CNN_DATASETS_DIR" in words and "OSError" not in words


def test_bad_names_raise_sentences():
    with pytest.raises(ValueError, match="Unknown dataset"):
        data.load_dataset("imagenet")
    with pytest.raises(ValueError, match="Unknown source"):
        data.load_dataset("mnist", "internet")


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/datasets")
def test_full_mnist_from_the_local_folder(monkeypatch):
    monkeypatch.setenv(data.DATASETS_ENV, str(SHARED))
    data.clear_cache()
    ds = data.load_dataset("mnist", "auto")
    assert ds.kind == "full" and ds.x_train.shape == (60_000, 28, 28, 1)
    assert ds.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert "full MNIST" in str(ds.source)


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/datasets")
def test_build_samples_is_deterministic_and_matches_the_shipped_ones(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("build_samples", ROOT / "scripts" / "build_samples.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr("sys.argv", ["build_samples", "--datasets", str(SHARED), "--out", str(tmp_path)])
    mod.main()
    for name in ("mnist_sample.npz", "cifar10_sample.npz"):
        with np.load(tmp_path / name) as new, np.load(ROOT / "cnn_core" / "assets" / name) as shipped:
            assert sorted(new.files) == sorted(shipped.files)
            for key in new.files:
                np.testing.assert_array_equal(new[key], shipped[key])


def test_to_float_scales_to_unit_range():
    x = np.array([[0, 255]], dtype=np.uint8)
    f = data.to_float(x)
    assert f.dtype == np.float32 and f.min() == 0.0 and f.max() == 1.0


def test_decoded_cifar_is_cached_and_read_back_without_decoding(monkeypatch, tmp_path):
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path))
    data.clear_cache()
    seen = []
    first = data.load_dataset("cifar10", "sample", progress=lambda m, done=0, total=0: seen.append((str(m), done, total)))
    assert list(tmp_path.glob("cifar10_sample_*.npz"))  # the decoded arrays were written to the cache
    decoding = [(d, t) for m, d, t in seen if m.startswith("Decoding")]
    assert decoding and decoding[-1][1] == 12_000 and decoding[-1][0] > decoding[0][0]  # a progress bar's worth

    def no_decoding(*_a, **_k):
        raise AssertionError("decoded again")

    monkeypatch.setattr(data, "decode_jpegs", no_decoding)
    data.clear_cache()
    again = data.load_dataset("cifar10", "sample")
    data.clear_cache()
    np.testing.assert_array_equal(first.x_train, again.x_train)
