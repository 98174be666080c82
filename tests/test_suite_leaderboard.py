"""The suite leaderboard: headline order, significance of the mean ρ, refusal to rank across
non-comparable signatures (and the input-free rows that are comparable with any input)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from test_cli_e2e import nash

from nas_harness.leaderboard.standard_render import differences, group_suite_rows, ranked_suite, suite_rows
from nas_harness.leaderboard.standard_schema import load_standard
from nas_harness.stats import PairedMeanBootstrap, paired_spearman_test

# --------------------------------------------------------------------------- the paired mean test


def test_with_one_target_the_mean_test_is_the_ordinary_paired_test():
    rng = np.random.default_rng(3)
    t = rng.normal(size=60)
    a, b = t + rng.normal(size=60), t + 2 * rng.normal(size=60)
    a[[4, 9]] = np.nan
    single = paired_spearman_test(a, b, t, n_resamples=200, seed=5)
    mean = PairedMeanBootstrap([t], n_resamples=200, seed=5).test([a], [b])
    assert (mean.n, mean.diff, mean.ci, mean.p_bootstrap) == (
        single.n,
        single.diff,
        single.ci,
        single.p_bootstrap,
    )


def test_the_mean_test_over_two_targets():
    from scipy import stats

    rng = np.random.default_rng(0)
    t1, t2 = rng.normal(size=80), rng.normal(size=80)
    good = [t1 + 0.3 * rng.normal(size=80), t2 + 0.3 * rng.normal(size=80)]
    noise = [rng.normal(size=80), rng.normal(size=80)]
    boot = PairedMeanBootstrap([t1, t2], n_resamples=300, seed=1)
    test = boot.test(good, noise)
    by_hand = np.mean(
        [
            stats.spearmanr(g, t).statistic - stats.spearmanr(x, t).statistic
            for g, x, t in zip(good, noise, (t1, t2))
        ]
    )
    assert test.diff == pytest.approx(by_hand) and test.significant and test.ci.low > 0
    same = boot.test(good, [g.copy() for g in good])
    assert same.diff == 0 and not same.significant
    with pytest.raises(ValueError, match="one score array per target"):
        boot.test(good[:1], noise)


# --------------------------------------------------------------------------- the leaderboard


def test_rows_are_ranked_by_the_headline_with_marks_from_the_mean_test(small_suite_file):
    proc = nash("leaderboard", str(small_suite_file.parent), "--json")
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    assert shown["runs"] == {} and shown["not_comparable"] == []  # the suite's own runs are not listed twice
    [rows] = shown["suites"].values()
    result = load_standard(small_suite_file)
    assert sorted(r["proxy"] for r in rows) == sorted(result.proxies)
    heads = [r["headline"] for r in rows]
    assert heads == sorted(heads, reverse=True)
    for r in rows:
        rhos = [next(p for p in run.results if p.proxy == r["proxy"]).spearman.value for run in result.runs]
        assert r["headline"] == pytest.approx(float(np.mean(rhos)))

    # the mark of row 2 against row 1, recomputed from the embedded scores
    def oriented(name):
        hib = next(x for x in result.rows if x.proxy == name).higher_is_better
        return [np.array(c.scores[name], dtype=float) * (1 if hib else -1) for c in result.scores]

    truths = [np.array(c.target, dtype=float) for c in result.scores]
    test = PairedMeanBootstrap(truths, n_resamples=result.suite.definition["bootstrap"]).test(
        oriented(rows[1]["proxy"]), oriented(rows[0]["proxy"])
    )
    assert ("≈↑" in rows[1]["sig"]) == (not test.significant)
    text = nash("leaderboard", str(small_suite_file.parent))
    assert "mean ρ" in text.stdout and result.suite.id in text.stdout


def _as_other_suite(result, version: str):
    suite = result.suite.model_copy(
        update={
            "version": version,
            "id": result.suite.id.replace(f"@{result.suite.version}+", f"@{version}+"),
        }
    )
    return result.model_copy(update={"suite": suite})


def test_results_of_different_suites_are_never_ranked_together(small_suite_file, tmp_path):
    result = load_standard(small_suite_file)
    shutil.copy(small_suite_file, tmp_path / "suite-a.json")
    (tmp_path / "suite-b.json").write_text(_as_other_suite(result, "other").model_dump_json())
    proc = nash("leaderboard", str(tmp_path), "--json")
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    assert len(shown["suites"]) == 2
    for rows in shown["suites"].values():  # each ranked on its own
        assert [r["rank"] for r in rows] == list(range(1, len(result.rows) + 1))
        assert len({r["suite"] for r in rows}) == 1
    assert any(line.startswith("suite: ") for line in shown["not_comparable"])
    text = nash("leaderboard", str(tmp_path))
    assert "not comparable" in text.stdout and "suite:" in text.stdout


def _reading_input(result, proxy: str, spec: str):
    """The result with ``proxy`` as if it had read the input batch ``spec`` on every dataset."""
    rows = []
    for row in result.rows:
        if row.proxy == proxy:
            sigs = {
                k: "|".join(f"input:{spec}" if f.startswith("input:") else f for f in v.split("|"))
                for k, v in row.signatures.items()
            }
            row = row.model_copy(update={"reads_input": True, "signatures": sigs})
        rows.append(row)
    return result.model_copy(update={"rows": rows})


def test_input_free_rows_are_comparable_with_any_input_and_input_rows_are_not(small_suite_file):
    result = load_standard(small_suite_file)
    a = _reading_input(result, "params", "cifar10[train](bs=64,s=42)")
    b = _reading_input(result, "synflow", "noise(bs=64,s=42)")
    groups = group_suite_rows(suite_rows([("a.json", a), ("b.json", b)]))
    assert len(groups) == 2
    members = sorted(({(r.source, r.row.proxy) for r in rows} for rows in groups.values()), key=len)
    # rows that read no input (sed also has init `none` in its search signature) join both groups
    free = {("a.json", "sed"), ("a.json", "synflow"), ("b.json", "sed"), ("b.json", "params")}
    assert sorted(members, key=sorted) == sorted(
        [free | {("a.json", "params")}, free | {("b.json", "synflow")}], key=sorted
    )
    lines = differences(list(groups))
    assert any("input: cifar10[train](bs=64,s=42) vs noise(bs=64,s=42)" in line for line in lines)
    for rows in groups.values():
        heads = [r.row.headline for r in ranked_suite(rows)]
        assert heads == sorted(heads, reverse=True)


def test_the_leaderboard_names_a_file_of_another_kind(small_suite_file):
    [sweep] = small_suite_file.parent.glob("sweep-*.json")
    proc = nash("leaderboard", str(sweep))
    assert proc.returncode == 2 and "a sweep result" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_submissions_are_verified_and_ranked_with_suite_results(
    small_suite_file, tmp_path, monkeypatch, capsys
):
    from suite_fixtures import SMALL

    from nas_harness.cli import main
    from nas_harness.plugins.spaces.nb201 import suites
    from nas_harness.submission import build_submission, write_submission

    monkeypatch.setattr(suites, "STANDARD", SMALL)  # the NB201 plugin contributes the small suite instead
    sub = build_submission(
        "sed", "standard@test-small", store_path=tmp_path / "s.sqlite", execution={"threads": 1}
    )
    board = tmp_path / "board"
    path = write_submission(sub, board / "submission-sed-standard.json")
    shutil.copy(small_suite_file, board / small_suite_file.name)

    assert main(["leaderboard", str(board), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    [rows] = shown["suites"].values()  # one comparable group: the suite's rows and the submission's
    sed = [r for r in rows if r["proxy"] == "sed"]
    # rows not checked by `nash submit --verify` are marked so
    assert all(r["source"].endswith(" (unverified)") for r in sed)
    assert sorted(r["source"].removesuffix(" (unverified)") for r in sed) == sorted(
        [str(path), str(board / small_suite_file.name)]
    )
    assert sed[0]["headline"] == pytest.approx(sed[1]["headline"])  # same proxy, same suite, same number
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))

    out = tmp_path / "report.html"
    assert main(["report", str(board), "--out", str(out)]) == 0
    assert "submission-sed-standard.json" in out.read_text()

    data = json.loads(path.read_text())  # a better number, written into the file by hand
    data["result"]["rows"][0]["headline"] = 0.99
    path.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["leaderboard", str(board)]) == 2
    err = "".join(capsys.readouterr().err.split())  # rich wraps long paths
    assert "checksummismatch" in err and "submission-sed-standard.json" in err
    assert main(["report", str(board), "--out", str(out)]) == 2
