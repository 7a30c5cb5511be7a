"""The k/n covariance correction against the plug-in, measured in the same run.

Gaussian classes ``x = y·μ + Σ^{1/2} z`` in ``k`` dimensions, ``n`` real rows (half per class),
a fixed generator (``μ_s = 0.9μ + shift``, ``C = 0.6Σ + 0.4I``). Each draw estimates ``μ̂`` and the
pooled ``Σ̂`` from the rows and predicts the accuracy of ridge on ``n`` real + ``m`` synthetic rows
(a) with ``Σ̂`` plugged in and (b) with ``MixtureModel(real_samples=n − 2)`` (docs/math/rmt.md,
eq. C1–C2), and, as a control, (c) corrected with the true ``μ``. Printed: the mean gap to the
prediction from the population ``(μ, Σ)`` in accuracy points ± one standard error, per
spectrum and ``m``, and the ratio |corrected| / |plug-in| at ``m = 0``.

    .venv/bin/python benchmarks/kn_correction.py            # k = 30, n = 90, 40 draws
    .venv/bin/python benchmarks/kn_correction.py --k 20 --n 200 --draws 20
"""

from __future__ import annotations

import argparse

import numpy as np

from synthmix.theory import MixtureModel, predict

SPECTRA = {
    "identity": lambda k: np.ones(k),
    "power law 1/i": lambda k: 1.0 / np.arange(1, k + 1),
    "3 spikes of 10": lambda k: np.r_[np.full(3, 10.0), np.ones(k - 3)],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=30)
    parser.add_argument("--n", type=int, default=90)
    parser.add_argument("--draws", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    k, n = args.k, args.n
    m = np.array([0.0, 100.0, 1000.0])
    print(f"k = {k}, n = {n} (k/n = {k / n:.2f}), {args.draws} draws; gap to the population")
    print(f"prediction in accuracy points at m = {', '.join(f'{v:g}' for v in m)}")
    for name, spectrum in SPECTRA.items():
        rng = np.random.default_rng(args.seed)
        lam = spectrum(k) * k / spectrum(k).sum()
        basis, _ = np.linalg.qr(rng.standard_normal((k, k)))
        sigma = (basis * lam) @ basis.T
        mu = rng.standard_normal(k)
        mu *= 1.2 / np.linalg.norm(mu)
        mu_s = 0.9 * mu + 0.3 * rng.standard_normal(k) / np.sqrt(k)
        cov_s = 0.6 * sigma + 0.4 * np.eye(k)
        synth = dict(mu_synth=mu_s, cov_synth=cov_s)
        truth = predict(MixtureModel(mu, cov_real=sigma, **synth), n=n, m=m).accuracy  # type: ignore[arg-type]
        y = np.repeat([1.0, -1.0], [n // 2, n - n // 2])
        kappa = 0.25 * (1.0 / (n // 2) + 1.0 / (n - n // 2))
        chol = np.linalg.cholesky(sigma)
        gaps = []
        for _ in range(args.draws):
            x = np.outer(y, mu) + rng.standard_normal((n, k)) @ chol.T
            mp, mn = x[y > 0].mean(0), x[y < 0].mean(0)
            resid = x - np.where(y[:, None] > 0, mp, mn)
            cov = resid.T @ resid / (n - 2)
            mu_hat = 0.5 * (mp - mn)
            common = dict(cov_real=cov, **synth)
            rows = [
                MixtureModel(mu_hat, mean_noise=kappa, **common),  # type: ignore[arg-type]
                MixtureModel(mu_hat, mean_noise=kappa, real_samples=n - 2, **common),  # type: ignore[arg-type]
                MixtureModel(mu, real_samples=n - 2, **common),  # type: ignore[arg-type]
            ]
            gaps.append([predict(model, n=n, m=m).accuracy - truth for model in rows])
        arr = 100 * np.array(gaps)
        mean, se = arr.mean(0), arr.std(0, ddof=1) / np.sqrt(arr.shape[0])
        print(f"\n{name}")
        for i, label in enumerate(("plug-in", "corrected", "corrected, true mean")):
            cells = "  ".join(f"{mean[i, j]:+5.2f} ±{se[i, j]:.2f}" for j in range(m.size))
            print(f"  {label:<22}{cells}")
        print(f"  |corrected| / |plug-in| at m = 0: {abs(mean[1, 0]) / abs(mean[0, 0]):.2f}")


if __name__ == "__main__":
    main()
