"""The few-shot protocol's reference learner: a small regression on zero-cost scores.

NAS-Bench-Suite-Zero's point (Krishnakumar et al., 2022): a model trained on a few labelled
architectures with several zero-cost proxies' scores as features beats any single proxy. Any
trainable proxy is reported next to it, fitted on the same k architectures.

Features: each zero-cost proxy's score, oriented (larger = better), turned by the signed log
``sign(x)·log1p(|x|)`` (scores span many orders of magnitude: synflow, params), failures filled
with the calibration median, then standardised with the calibration set's mean and std
(a column constant or absent on the calibration set is dropped); plus the space's one-hot
decision vector when asked. Targets are the oriented ground truth, standardised. Models are
scikit-learn's ``RidgeCV`` (α chosen by efficient leave-one-out over 10^-3…10^3) and
``GradientBoostingRegressor`` with its defaults (100 trees of depth 3, learning rate 0.1),
seeded by the calibration seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..api import Space

ALPHAS = tuple(float(a) for a in np.logspace(-3, 3, 13))


def one_hot(space: Space, archs: Sequence[str]) -> tuple[np.ndarray, list[str]] | None:
    """The one-hot decision vector of each architecture, or None when the space has no decisions."""
    decisions = space.decisions()
    if decisions is None:
        return None
    names = [f"{d.name}={o}" for d in decisions for o in d.options]
    offsets = np.cumsum([0] + [len(d.options) for d in decisions])[:-1]
    out = np.zeros((len(archs), len(names)))
    for row, arch in enumerate(archs):
        for col, pick in zip(offsets, space.to_choices(arch)):
            out[row, col + int(pick)] = 1.0
    return out, names


@dataclass(frozen=True)
class Features:
    """Feature columns of the calibration and evaluation architectures, preprocessed together."""

    calibration: np.ndarray
    evaluation: np.ndarray
    names: tuple[str, ...]
    dropped: tuple[str, ...]


def prepare(
    columns: dict[str, tuple[np.ndarray, np.ndarray]],
    encoding: tuple[np.ndarray, np.ndarray, list[str]] | None,
) -> Features:
    """``columns``: name -> (calibration scores, evaluation scores), oriented; ``encoding``:
    (calibration one-hot, evaluation one-hot, names) or None."""
    cal_cols, ev_cols, names, dropped = [], [], [], []
    for name, (cal, ev) in columns.items():
        cal, ev = _signed_log(cal), _signed_log(ev)
        finite = np.isfinite(cal)
        if finite.sum() < 2:
            dropped.append(f"{name} (failed on the calibration set)")
            continue
        fill = float(np.median(cal[finite]))
        cal = np.where(finite, cal, fill)
        ev = np.where(np.isfinite(ev), ev, fill)
        mean, std = float(cal.mean()), float(cal.std())
        if std == 0.0:
            dropped.append(f"{name} (constant on the calibration set)")
            continue
        cal_cols.append((cal - mean) / std)
        ev_cols.append((ev - mean) / std)
        names.append(name)
    if encoding is not None:
        cal_enc, ev_enc, enc_names = encoding
        cal_cols.extend(cal_enc.T)
        ev_cols.extend(ev_enc.T)
        names.extend(enc_names)
    n_cal = len(next(iter(columns.values()))[0]) if columns else (len(encoding[0]) if encoding else 0)
    n_ev = len(next(iter(columns.values()))[1]) if columns else (len(encoding[1]) if encoding else 0)
    cal_x = np.vstack(cal_cols).T if cal_cols else np.zeros((n_cal, 0))
    ev_x = np.vstack(ev_cols).T if ev_cols else np.zeros((n_ev, 0))
    return Features(cal_x, ev_x, tuple(names), tuple(dropped))


def fit_predict(kind: str, features: Features, targets: np.ndarray, seed: int) -> tuple[np.ndarray, dict]:
    """Fit ``kind`` ("ridge" or "gbm") on the calibration rows; predictions for the evaluation rows
    (larger = better) and what was fitted."""
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.linear_model import RidgeCV

    y = np.asarray(targets, dtype=float)
    y = (y - y.mean()) / (y.std() or 1.0)
    if features.calibration.shape[1] == 0:
        raise ValueError("no usable feature on the calibration set")
    if kind == "ridge":
        model = RidgeCV(alphas=ALPHAS).fit(features.calibration, y)
        details = {
            "alpha": float(model.alpha_),
            "coef": {n: float(c) for n, c in zip(features.names, model.coef_) if "=" not in n},
        }
    elif kind == "gbm":
        model = GradientBoostingRegressor(random_state=seed).fit(features.calibration, y)
        details = {
            "importance": {
                n: float(c) for n, c in zip(features.names, model.feature_importances_) if "=" not in n
            }
        }
    else:
        raise ValueError(f"unknown baseline {kind!r}")
    details["features"] = list(features.names)
    details["dropped"] = list(features.dropped)
    return np.asarray(model.predict(features.evaluation), dtype=float), details


def _signed_log(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return np.sign(x) * np.log1p(np.abs(x))
