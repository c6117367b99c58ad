#!/usr/bin/env python3
"""Compare two diodescan result files (e.g. before/after a performance change).

For I_F, I_B, J_F, J_B, U_F, U_B (and mu_p, T_p, R_I, R_J): the largest
absolute difference, the largest difference relative to |X|, and relative to
max(|X|, 1e-3 * S), where S is the largest |X| of the same ε3 line and
configuration, a proxy for the gross-flow scale ∫|integrand| of
docs/physics.md §6.1 (which the files do not store). Points where either
file's status is not converged (1, 2) are skipped and the status changes
counted.

usage: compare_results.py BASELINE.h5 NEW.h5
"""
import sys
import h5py
import numpy as np


def main(a_path, b_path):
    a, b = h5py.File(a_path, "r"), h5py.File(b_path, "r")
    sa = {c: a["status_" + c][...] for c in "FB"}
    sb = {c: b["status_" + c][...] for c in "FB"}
    for c in "FB":
        changed = np.count_nonzero(sa[c] != sb[c])
        print(f"status_{c}: {changed} changed; baseline counts "
              f"{dict(zip(*np.unique(sa[c], return_counts=True)))}, new "
              f"{dict(zip(*np.unique(sb[c], return_counts=True)))}")
        for s0, s1 in sorted(set(zip(sa[c][sa[c] != sb[c]].tolist(), sb[c][sa[c] != sb[c]].tolist()))):
            n = np.count_nonzero((sa[c] == s0) & (sb[c] == s1))
            print(f"   {s0} -> {s1}: {n}")
    ok = {c: np.isin(sa[c], (0, 3)) & np.isin(sb[c], (0, 3)) for c in "FB"}
    both = ok["F"] & ok["B"]
    print(f"{'field':8s} {'max |d|':>10s} {'max |d|/|X|':>12s} {'max |d|/scale':>14s}  where (dT, eps3, eps1 index)")
    for name in ["I_F", "I_B", "J_F", "J_B", "U_F", "U_B", "mu_p_F", "mu_p_B", "T_p_F", "T_p_B", "R_I", "R_J"]:
        if name not in a or name not in b:
            continue
        x, y = a[name][...], b[name][...]
        c = name[-1]
        mask = ok[c] if c in "FB" else both
        if x.ndim == 4:
            mask = np.repeat(mask[..., None], x.shape[-1], axis=-1)
        if not np.any(mask & np.isfinite(x)):
            continue
        d = np.where(mask, np.abs(x - y), 0.0)
        d = np.where(np.isnan(d), 0.0, d)
        ax = np.abs(np.where(mask, x, 0.0))
        ax = np.where(np.isnan(ax), 0.0, ax)
        line = ax.max(axis=2, keepdims=True)  # largest |X| along the ε1 line
        scale = np.maximum(ax, 1e-3 * line)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(ax > 0, d / ax, np.where(d > 0, np.inf, 0.0))
            rs = np.where(scale > 0, d / scale, np.where(d > 0, np.inf, 0.0))
        where = np.unravel_index(np.argmax(rs), rs.shape)
        print(f"{name:8s} {d.max():10.3e} {rel.max():12.3e} {rs.max():14.3e}  {where}")
    same = all(np.array_equal(a[n][...], b[n][...], equal_nan=True)
               for n in ["I_F", "I_B", "J_F", "J_B", "U_F", "U_B"])
    print("bit-identical currents and U:", same)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
