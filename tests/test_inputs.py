"""Input batches: the .npz sample, official CIFAR/ImageNet16 batch files written here in their
Python-2 pickle format, seeded choice, normalization recomputed by hand, noise, and errors."""

from __future__ import annotations

import os
import pickle
import struct

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from nas_harness import inputs as I
from nas_harness.api import DatasetInfo, HarnessError
from nas_harness.inputs import InputConfig, load_batch
from nas_harness.plugins.data.builtin import official
from nas_harness.plugins.data.builtin.stats import MEAN_STD

C10 = DatasetInfo("cifar10", 10, (3, 32, 32))
C10V = DatasetInfo("cifar10-valid", 10, (3, 32, 32))
C100 = DatasetInfo("cifar100", 100, (3, 32, 32))
IN16 = DatasetInfo("ImageNet16-120", 120, (3, 16, 16))

# xautodl get_datasets, written out again here (pixel units)
XAUTODL = {
    "cifar10": ([125.3, 123.0, 113.9], [63.0, 62.1, 66.7]),
    "cifar100": ([129.3, 124.1, 112.4], [68.2, 65.4, 70.4]),
    "imagenet16": ([122.68, 116.66, 104.01], [63.22, 61.26, 65.09]),
}


@pytest.fixture(autouse=True)
def no_data_dir(monkeypatch):
    monkeypatch.delenv(I.DATA_DIR_ENV, raising=False)


def normalize_by_hand(raw_nchw: np.ndarray, family: str) -> np.ndarray:
    mean, std = (np.array(v, dtype=np.float64).reshape(1, 3, 1, 1) / 255 for v in XAUTODL[family])
    return (raw_nchw / 255.0 - mean) / std


# --------------------------------------------------------------------------- official files, py2 style


class Py2Pickler(pickle._Pickler):
    """Writes bytes as Python 2 ``str`` opcodes and numpy under its old module name, like the
    official CIFAR and ImageNet16 batch files (pickled by Python 2 / numpy 1)."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str

    def save_global(self, obj, name=None):
        module = getattr(obj, "__module__", "")
        module = "numpy.core.multiarray" if module.startswith("numpy._core") else module
        self.write(pickle.GLOBAL + f"{module}\n{name or obj.__qualname__}\n".encode())
        self.memoize(obj)


def write_py2(path, obj) -> None:
    with open(path, "wb") as f:
        Py2Pickler(f, protocol=2).dump(obj)


def fake_images(n: int, side: int, start: int) -> np.ndarray:
    """N×3·side² uint8 rows whose R/G/B planes are start+k, 100+start+k, 200−start−k."""
    k = np.arange(start, start + n, dtype=np.int64)[:, None]
    planes = [
        np.broadcast_to(k % 100, (n, side * side)),
        np.broadcast_to(100 + k % 100, (n, side * side)),
        np.broadcast_to(200 - k % 100, (n, side * side)),
    ]
    return np.concatenate(planes, axis=1).astype(np.uint8)


@pytest.fixture
def cifar10_dir(tmp_path):
    folder = tmp_path / "data" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for b in range(1, 6):
        write_py2(
            folder / f"data_batch_{b}",
            {
                b"batch_label": b"training batch",
                b"labels": [(b * 3 + i) % 10 for i in range(4)],
                b"data": fake_images(4, 32, 4 * (b - 1)),
                b"filenames": [b"x.png"] * 4,
            },
        )
    write_py2(folder / "test_batch", {b"labels": [9, 8, 7], b"data": fake_images(3, 32, 50)})
    return folder


@pytest.fixture
def cifar100_dir(tmp_path):
    folder = tmp_path / "data" / "cifar-100-python"
    folder.mkdir(parents=True)
    write_py2(
        folder / "train",
        {
            b"fine_labels": [99, 0, 42, 7, 13, 64],
            b"coarse_labels": [19, 4, 0, 1, 2, 3],
            b"data": fake_images(6, 32, 0),
        },
    )
    write_py2(
        folder / "test", {b"fine_labels": [1, 2], b"coarse_labels": [0, 0], b"data": fake_images(2, 32, 10)}
    )
    return folder


IN16_LABELS = [[1, 121, 120, 500, 2], [1000, 60, 119, 121, 3], *([[200, 300, 400]] * 8)]


@pytest.fixture
def imagenet16_dir(tmp_path):
    folder = tmp_path / "torch" / "cifar.python" / "ImageNet16"
    folder.mkdir(parents=True)
    start = 0
    for b, labels in enumerate(IN16_LABELS, start=1):
        write_py2(
            folder / f"train_data_batch_{b}",
            {b"data": fake_images(len(labels), 16, start), b"labels": labels, b"mean": np.zeros(768)},
        )
        start += len(labels)
    write_py2(folder / "val_data", {b"data": fake_images(3, 16, 70), b"labels": [120, 121, 1]})
    return folder


def raw_of(batch, family: str) -> np.ndarray:
    """Undo the normalization by hand: back to pixel values."""
    mean, std = (np.array(v).reshape(1, 3, 1, 1) for v in XAUTODL[family])
    return batch.inputs.double().numpy() * std + mean


def test_cifar10_batches_in_the_official_format(cifar10_dir):
    batch = load_batch(InputConfig(path=cifar10_dir.parent, batch_size=8, seed=3), C10)
    assert (batch.kind, batch.spec, batch.fallback) == ("cifar10", "cifar10[train](bs=8,s=3)", False)
    idx = np.random.default_rng(3).choice(20, 8, replace=False)
    assert batch.indices == tuple(idx.tolist())
    assert batch.inputs.dtype == torch.float32 and batch.inputs.shape == (8, 3, 32, 32)
    labels = [(b * 3 + i) % 10 for b in range(1, 6) for i in range(4)]
    assert batch.targets.tolist() == [labels[i] for i in idx] and batch.targets.dtype == torch.int64
    expected = normalize_by_hand(
        fake_images(20, 32, 0).reshape(-1, 3, 32, 32)[idx].astype(np.float64), "cifar10"
    )
    assert np.allclose(batch.inputs.numpy(), expected, atol=1e-5)
    assert np.allclose(raw_of(batch, "cifar10")[:, 0, 0, 0], idx % 100, atol=1e-3)  # R plane = image number
    test = load_batch(InputConfig(path=cifar10_dir, split="test", batch_size=3, seed=0), C10)
    assert test.spec == "cifar10[test](bs=3,s=0)" and sorted(test.targets.tolist()) == [7, 8, 9]


def test_cifar10_valid_reads_cifar10(cifar10_dir):
    a = load_batch(InputConfig(path=cifar10_dir.parent, batch_size=5), C10)
    b = load_batch(InputConfig(path=cifar10_dir.parent, batch_size=5), C10V)
    assert b.kind == "cifar10" and torch.equal(a.inputs, b.inputs) and a.indices == b.indices


def test_cifar100_fine_labels_through_the_data_dir(cifar100_dir, monkeypatch):
    monkeypatch.setenv(I.DATA_DIR_ENV, str(cifar100_dir.parent))
    batch = load_batch(InputConfig(batch_size=6, seed=1), C100)
    assert (batch.kind, batch.spec) == ("cifar100", "cifar100[train](bs=6,s=1)")
    idx = list(batch.indices)
    assert sorted(idx) == list(range(6))
    assert batch.targets.tolist() == [[99, 0, 42, 7, 13, 64][i] for i in idx]
    expected = normalize_by_hand(
        fake_images(6, 32, 0).reshape(-1, 3, 32, 32)[idx].astype(np.float64), "cifar100"
    )
    assert np.allclose(batch.inputs.numpy(), expected, atol=1e-5)
    with pytest.raises(HarnessError, match="100 classes|labels run from 0 to 99"):
        load_batch(
            InputConfig(kind="cifar100", path=cifar100_dir, batch_size=6), C10
        )  # 100 labels, 10 classes


def test_imagenet16_keeps_the_first_120_classes_one_based(imagenet16_dir, monkeypatch):
    monkeypatch.setenv(I.DATA_DIR_ENV, str(imagenet16_dir.parent.parent))  # $TORCH_HOME layout
    kept = [(i, y) for i, y in enumerate(y for labels in IN16_LABELS for y in labels) if 1 <= y <= 120]
    assert len(kept) == 6
    batch = load_batch(InputConfig(batch_size=6, seed=5), IN16)
    assert (batch.kind, batch.spec) == ("imagenet16", "imagenet16-120[train](bs=6,s=5)")
    assert batch.targets.tolist() == [kept[i][1] - 1 for i in batch.indices]  # classes are label − 1
    raw = raw_of(batch, "imagenet16")
    assert np.allclose(raw[:, 0, 0, 0], [kept[i][0] % 100 for i in batch.indices], atol=1e-3)
    assert np.allclose(raw[:, 2, 15, 15], [200 - kept[i][0] % 100 for i in batch.indices], atol=1e-3)
    val = load_batch(InputConfig(kind="imagenet16", split="test", batch_size=2), IN16)
    assert sorted(val.targets.tolist()) == [0, 119]
    with pytest.raises(HarnessError, match="batch_size 7 is larger than the 6 images"):
        load_batch(InputConfig(batch_size=7), IN16)


def test_shapes_must_match_the_target(cifar10_dir, imagenet16_dir):
    with pytest.raises(
        HarnessError, match=r"gives 3×32×32 images \(C×H×W\) but task 'ImageNet16-120' takes 3×16×16"
    ):
        load_batch(InputConfig(kind="cifar10", path=cifar10_dir, batch_size=2), IN16)
    with pytest.raises(HarnessError, match="3×16×16 .* but task 'cifar10' takes 3×32×32"):
        load_batch(InputConfig(kind="imagenet16", path=imagenet16_dir, batch_size=2), C10)


def test_official_file_errors(cifar10_dir, tmp_path):
    (cifar10_dir / "data_batch_3").unlink()
    with pytest.raises(HarnessError, match="missing data_batch_3"):
        load_batch(InputConfig(path=cifar10_dir, batch_size=2), C10)
    write_py2(cifar10_dir / "data_batch_3", {b"labels": [1, 2], b"data": np.zeros((2, 100), np.uint8)})
    with pytest.raises(HarnessError, match=r"data_batch_3: 'data' should be N×3072 uint8"):
        load_batch(InputConfig(path=cifar10_dir, batch_size=2), C10)
    write_py2(cifar10_dir / "data_batch_3", {b"data": fake_images(2, 32, 0)})
    with pytest.raises(HarnessError, match=r"data_batch_3: expected keys 'data' and 'labels'"):
        load_batch(InputConfig(path=cifar10_dir, batch_size=2), C10)
    write_py2(cifar10_dir / "data_batch_3", [1, 2, 3])
    with pytest.raises(HarnessError, match="expected a pickled dict"):
        load_batch(InputConfig(path=cifar10_dir, batch_size=2), C10)
    good = (cifar10_dir / "data_batch_1").read_bytes()
    (cifar10_dir / "data_batch_3").write_bytes(good[: len(good) // 2])
    with pytest.raises(HarnessError, match="data_batch_3: not a readable data batch"):
        load_batch(InputConfig(path=cifar10_dir, batch_size=2), C10)
    with pytest.raises(HarnessError, match="does not exist"):
        load_batch(InputConfig(path=tmp_path / "nowhere", batch_size=2), C10)
    with pytest.raises(HarnessError, match="no cifar100 data here"):
        load_batch(InputConfig(kind="cifar100", path=cifar10_dir, batch_size=2), C100)


class Sneaky:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_unpickler_allows_numpy_arrays_only(cifar10_dir):
    path = cifar10_dir / "data_batch_2"
    with open(path, "wb") as f:
        pickle.dump({"data": Sneaky(), "labels": [0]}, f, protocol=2)
    with pytest.raises(HarnessError, match=r"refusing to load (posix|nt)\.system"):
        load_batch(InputConfig(path=cifar10_dir, batch_size=2), C10)
    # numpy 2's own pickles (numpy._core names, protocol 4, str keys) are fine
    with open(path, "wb") as f:
        pickle.dump({"data": fake_images(4, 32, 4), "labels": [0, 1, 2, 3]}, f, protocol=4)
    assert load_batch(InputConfig(path=cifar10_dir, batch_size=20), C10).inputs.shape[0] == 20


def test_arrays_are_loaded_once_per_process(cifar10_dir, monkeypatch):
    calls = []
    real = official.load_pickle
    monkeypatch.setattr(official, "load_pickle", lambda p: calls.append(p.name) or real(p))
    official.read_official_cached.cache_clear()
    for seed in range(3):
        load_batch(InputConfig(path=cifar10_dir, batch_size=2, seed=seed), C10)
    assert len(calls) == 5
    write_py2(
        cifar10_dir / "data_batch_5", {b"labels": [0] * 5, b"data": fake_images(5, 32, 0)}
    )  # changed file
    assert load_batch(InputConfig(path=cifar10_dir, batch_size=21), C10).inputs.shape[0] == 21
    assert len(calls) == 10


# --------------------------------------------------------------------------- npz


def test_npz_sample(shared_data):
    path = shared_data / "images" / "cifar10_sample.npz"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    raw = np.load(path)
    train = load_batch(InputConfig(path=path), C10)
    assert (train.kind, train.spec, train.fallback) == (
        "npz",
        "cifar10_sample.npz[train_images](bs=64,s=42)",
        False,
    )
    idx = np.random.default_rng(42).choice(len(raw["train_images"]), 64, replace=False)
    assert train.indices == tuple(idx.tolist())
    assert train.targets.tolist() == raw["train_labels"][idx].tolist()
    expected = normalize_by_hand(raw["train_images"][idx].transpose(0, 3, 1, 2).astype(np.float64), "cifar10")
    assert np.allclose(train.inputs.numpy(), expected, atol=1e-5)
    test = load_batch(InputConfig(path=path, split="test", batch_size=10, seed=0), C10)
    assert test.spec == "cifar10_sample.npz[images](bs=10,s=0)"
    idx = np.random.default_rng(0).choice(len(raw["images"]), 10, replace=False)
    assert test.targets.tolist() == raw["labels"][idx].tolist()


def test_small_npz_samples(shared_data):
    images = shared_data / "images"
    if not (images / "cifar100_first20.npz").is_file() or not (images / "imagenet16_standin.npz").is_file():
        pytest.skip("the small .npz samples are absent")
    with pytest.raises(
        HarnessError, match=r"cifar100_first20.npz\[images\]: batch_size 64 is larger than the 20 images"
    ):
        load_batch(InputConfig(path=images / "cifar100_first20.npz"), C100)
    batch = load_batch(InputConfig(path=images / "cifar100_first20.npz", batch_size=20), C100)
    assert sorted(batch.indices) == list(range(20))
    stand_in = load_batch(InputConfig(path=images / "imagenet16_standin.npz", batch_size=32), IN16)
    assert stand_in.inputs.shape == (32, 3, 16, 16) and stand_in.targets.max() < 120


def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_npz_errors(tmp_path):
    imgs = np.random.default_rng(0).integers(0, 256, (10, 32, 32, 3), dtype=np.uint8)
    good = write_npz(tmp_path / "good.npz", images=imgs, labels=np.arange(10) % 10)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:3000])
    with pytest.raises(HarnessError, match="truncated.npz: not a readable .npz file"):
        load_batch(InputConfig(path=truncated, batch_size=2), C10)
    keys = write_npz(tmp_path / "keys.npz", x=imgs, y=np.arange(10))
    with pytest.raises(
        HarnessError, match=r"keys.npz: expected arrays 'images' and 'labels'.*found \['x', 'y'\]"
    ):
        load_batch(InputConfig(path=keys, batch_size=2), C10)
    with pytest.raises(HarnessError, match="batch_size 11 is larger than the 10 images"):
        load_batch(InputConfig(path=good, batch_size=11), C10)
    floats = write_npz(tmp_path / "floats.npz", images=imgs.astype(np.float32), labels=np.arange(10))
    with pytest.raises(HarnessError, match="should be uint8 images"):
        load_batch(InputConfig(path=floats, batch_size=2), C10)
    short = write_npz(tmp_path / "short.npz", images=imgs, labels=np.arange(9))
    with pytest.raises(HarnessError, match="'labels' should be 10 integers"):
        load_batch(InputConfig(path=short, batch_size=2), C10)
    with pytest.raises(HarnessError, match="3×32×32 .* but task 'ImageNet16-120' takes 3×16×16"):
        load_batch(InputConfig(path=good, batch_size=2), IN16)
    with pytest.raises(HarnessError, match="needs an .npz file"):
        load_batch(InputConfig(kind="npz", path=tmp_path, batch_size=2), C10)
    with pytest.raises(HarnessError, match="needs a path"):
        load_batch(InputConfig(kind="npz"), C10)


def test_npz_for_a_dataset_without_statistics_uses_its_own(tmp_path):
    imgs = np.random.default_rng(1).integers(0, 256, (30, 4, 4, 1), dtype=np.uint8)
    path = write_npz(tmp_path / "gray.npz", images=imgs, labels=np.arange(30) % 3)
    toy = DatasetInfo("toy", 3, (1, 4, 4))
    batch = load_batch(InputConfig(path=path, batch_size=30), toy)
    x = imgs.astype(np.float64) / 255
    expected = (x - x.mean()) / x.std()
    assert np.allclose(batch.inputs.numpy()[:, 0], expected[list(batch.indices), :, :, 0], atol=1e-5)
    assert "own mean/std" in batch.note and not batch.fallback


# --------------------------------------------------------------------------- choice, noise, config


def test_choice_is_deterministic_by_seed(cifar10_dir):
    a = load_batch(InputConfig(path=cifar10_dir, batch_size=6, seed=7), C10)
    b = load_batch(InputConfig(path=cifar10_dir, batch_size=6, seed=7), C10)
    c = load_batch(InputConfig(path=cifar10_dir, batch_size=6, seed=8), C10)
    assert a.indices == b.indices and torch.equal(a.inputs, b.inputs) and torch.equal(a.targets, b.targets)
    assert a.indices != c.indices and c.spec == "cifar10[train](bs=6,s=8)"


def test_noise_is_explicit_and_seeded():
    a = load_batch(InputConfig(kind="noise", batch_size=512, seed=4), C100)
    assert (a.kind, a.spec, a.fallback, a.indices) == ("noise", "noise(bs=512,s=4)", False, None)
    assert a.inputs.shape == (512, 3, 32, 32) and a.inputs.dtype == torch.float32
    assert abs(float(a.inputs.mean())) < 0.01 and abs(float(a.inputs.std()) - 1) < 0.01
    rng = np.random.default_rng(4)
    assert np.array_equal(a.inputs.numpy(), rng.standard_normal((512, 3, 32, 32), dtype=np.float32))
    assert a.targets.tolist() == rng.integers(0, 100, 512).tolist()
    assert torch.equal(load_batch(InputConfig(kind="noise", batch_size=512, seed=4), C100).inputs, a.inputs)


def test_auto_falls_back_to_noise_and_says_so(tmp_path, monkeypatch):
    batch = load_batch(InputConfig(batch_size=4), IN16)
    assert batch.kind == "noise" and batch.fallback and I.DATA_DIR_ENV in batch.note
    assert batch.inputs.shape == (4, 3, 16, 16) and batch.spec == "noise(bs=4,s=42)"
    monkeypatch.setenv(I.DATA_DIR_ENV, str(tmp_path))
    empty = load_batch(InputConfig(batch_size=4), C10)
    assert empty.fallback and "cifar-10-batches-py" in empty.note
    unknown = load_batch(InputConfig(batch_size=4), DatasetInfo("toy", 3, (1, 2, 2)))
    assert unknown.fallback and "'toy'" in unknown.note
    with pytest.raises(HarnessError, match="has no cifar10 data .*'cifar-10-batches-py'"):
        load_batch(InputConfig(kind="cifar10", batch_size=4), C10)  # asked for CIFAR-10: no fallback
    monkeypatch.setenv(I.DATA_DIR_ENV, "")
    assert load_batch(InputConfig(batch_size=4), C10).fallback  # empty means unset
    monkeypatch.delenv(I.DATA_DIR_ENV)
    with pytest.raises(HarnessError, match=f"needs a path or the environment variable {I.DATA_DIR_ENV}"):
        load_batch(InputConfig(kind="cifar10", batch_size=4), C10)


def test_normalization_constants():
    for family, (mean, std) in XAUTODL.items():
        assert np.allclose(MEAN_STD[family], (np.array(mean) / 255, np.array(std) / 255), rtol=0, atol=1e-12)
    # the rounded values in common use agree to 3 decimals (CIFAR) / 2 decimals (ImageNet16 std)
    assert np.allclose(MEAN_STD["cifar10"], ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)), atol=3e-4)
    assert np.allclose(MEAN_STD["cifar100"], ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)), atol=3e-4)
    assert np.allclose(MEAN_STD["imagenet16"], ((0.481, 0.458, 0.408), (0.247, 0.239, 0.258)), atol=3e-3)
    assert [
        I.dataset_family(n) for n in ("cifar10", "cifar10-valid", "cifar100", "ImageNet16-120", "toy")
    ] == ["cifar10", "cifar10", "cifar100", "imagenet16", None]


def test_config_is_strict():
    assert InputConfig().model_dump() == {
        "kind": "auto",
        "path": None,
        "split": "train",
        "batch_size": 64,
        "seed": 42,
        "resize": "off",
        "labels": "check",
        "options": {},
    }
    for bad in ({"batch_size": 0}, {"split": "valid"}, {"bs": 3}, {"resize": "lanczos"}, {"labels": "drop"}):
        with pytest.raises(ValidationError):
            InputConfig(**bad)
    with pytest.raises(
        HarnessError, match="input.kind 'imagenet': no such data source; known: auto, cifar10"
    ):
        load_batch(InputConfig(kind="imagenet"), C10)


def test_device_is_honoured():
    batch = load_batch(InputConfig(kind="noise", batch_size=2), C10, device="cpu")
    assert batch.inputs.device.type == "cpu" and batch.targets.device.type == "cpu"
