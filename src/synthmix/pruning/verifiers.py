"""Verifiers: decide which synthetic samples to keep (docs/math/rmt.md, "Verification").

A verifier looks at synthetic samples ``(X_syn, y_syn)`` and returns a :class:`Verdict`: a keep
decision and a score per sample (higher = the given label is more trustworthy). Every verifier
has the one method

    decide(X_syn, y_syn, *, rng=None, y_true=None) -> Verdict

so a measured verifier can be swapped for the theory's idealised one. The theory summarises a
verifier by two numbers, ``φ = P(keep | label right)`` and ``ρ = P(keep | label wrong)``;
:func:`synthmix.pruning.measure_rates` estimates them for any verifier here.

- :class:`OracleVerifier` is the theory's verifier itself: an independent coin flip per
  sample, ``φ`` for a right label and ``ρ`` for a wrong one. It must be told the clean labels
  (``y_true``), which only a simulation knows.
- :class:`ModelVerifier` trusts a classifier fitted on real data.
- :class:`ConfidentLearningVerifier` runs confident learning (cleanlab) on the synthetic set
  with probabilities from a classifier fitted on real data.
- :class:`KNNVerifier` lets the nearest real samples vote.

Labels are binary and coded -1/+1 (the theory's convention); any other coding is refused.
Verifiers are frozen dataclasses: fit them once on real data, then apply them to any number of
synthetic sets. Each class is a thin wrapper around a private core function.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike

from synthmix._random import RngLike, as_generator
from synthmix._types import BoolArray, FloatArray, IntArray
from synthmix._validation import (
    check_feature_matrix,
    check_int,
    check_labels,
    check_probability,
    fail,
)

__all__ = [
    "ConfidentLearningVerifier",
    "KNNVerifier",
    "ModelVerifier",
    "OracleVerifier",
    "Verdict",
    "Verifier",
]


FilterBy = Literal[
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
]
ScoreMethod = Literal["self_confidence", "normalized_margin", "confidence_weighted_entropy"]
_FILTER_BY: tuple[str, ...] = FilterBy.__args__  # type: ignore[attr-defined]
_SCORE_METHODS: tuple[str, ...] = ScoreMethod.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True, eq=False)
class Verdict:
    """What a verifier decided about ``m`` synthetic samples.

    Attributes
    ----------
    keep : ndarray of bool, shape (m,)
        True for samples to keep (the theory's ``q_j = 1``).
    score : ndarray of float64, shape (m,)
        How trustworthy each sample's given label looks, in [0, 1]; higher is more trustworthy.
    """

    keep: BoolArray
    score: FloatArray

    @property
    def kept_fraction(self) -> float:
        """Fraction of samples kept (estimates ``α = φ(1-ε) + ρε``; NaN when ``m = 0``)."""
        return float(np.mean(self.keep)) if self.keep.size else float("nan")


@runtime_checkable
class Verifier(Protocol):
    """Anything with the verifier method; :func:`measure_rates` accepts any such object."""

    def decide(
        self,
        X_syn: ArrayLike,
        y_syn: ArrayLike,
        *,
        rng: RngLike = None,
        y_true: ArrayLike | None = None,
    ) -> Verdict:
        """Keep decisions and scores for synthetic samples ``X_syn`` (m, d) labelled ``y_syn``."""
        ...


# --------------------------------------------------------------------------- validation


def _check_samples(
    X: ArrayLike,
    y: ArrayLike,
    *,
    x_name: str,
    y_name: str,
    n_features: int | None = None,
) -> tuple[FloatArray, IntArray]:
    """Features (m, d) and ±1 labels (m,) of the same length."""
    features = check_feature_matrix(X, x_name, n_features=n_features)
    labels = check_labels(y, y_name, size=features.shape[0])
    return features, labels


def _check_real(X_real: ArrayLike, y_real: ArrayLike) -> tuple[FloatArray, IntArray]:
    """Real training data: at least one sample of each class."""
    X, y = _check_samples(X_real, y_real, x_name="X_real", y_name="y_real")
    if not (np.any(y == 1) and np.any(y == -1)):
        raise fail("y_real", "contain both labels -1 and +1", f"only {np.unique(y).tolist()}")
    return X, y


def _check_scalar_probability(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise fail(name, "be a number in [0, 1]", value)
    arr = check_probability(value, name)
    if arr.ndim != 0:
        raise fail(name, "be a single number in [0, 1]", value)
    return float(arr)


def _check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise fail(name, f"be one of {', '.join(repr(c) for c in choices)}", value)
    return value


def _check_fitted_classifier(model: Any, name: str = "model") -> None:
    """A fitted probabilistic classifier whose classes are exactly -1 and +1."""
    if not callable(getattr(model, "predict_proba", None)):
        raise fail(name, "be a classifier with a predict_proba method", type(model).__name__)
    classes = getattr(model, "classes_", None)
    if classes is None:
        raise fail(name, "be fitted (have classes_); use the class's fit() factory", "unfitted")
    try:
        coded = np.asarray(classes, dtype=np.float64)
    except (TypeError, ValueError):
        raise fail(name, "be fitted on labels -1 and +1", f"classes {list(classes)}") from None
    if coded.shape != (2,) or set(coded.tolist()) != {-1.0, 1.0}:
        raise fail(name, "be fitted on labels -1 and +1", f"classes {coded.tolist()}")


def _empty_verdict() -> Verdict:
    return Verdict(keep=np.zeros(0, dtype=bool), score=np.zeros(0))


# --------------------------------------------------------------------------- private cores


def _oracle_verdict(wrong: BoolArray, rho: float, phi: float, rng: np.random.Generator) -> Verdict:
    """The theory's verifier: keep a right label w.p. ``phi``, a wrong one w.p. ``rho``.

    One independent uniform per sample, so the decisions do not depend on sample order.
    """
    keep = rng.random(wrong.shape[0]) < np.where(wrong, rho, phi)
    return Verdict(keep=keep, score=(~wrong).astype(np.float64))


def _default_classifier() -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


def _fit_classifier(X_real: FloatArray, y_real: IntArray, model: Any | None) -> Any:
    """Fit a copy of ``model`` (default: standardise + logistic regression) on real data.

    The caller's object is never modified: scikit-learn estimators are cloned (unfitted copy
    with the same settings), anything else is deep-copied.
    """
    if model is None:
        est = _default_classifier()
    else:
        if not callable(getattr(model, "fit", None)) or not hasattr(model, "predict_proba"):
            raise fail(
                "model",
                "be a classifier with fit and predict_proba methods (scikit-learn API)",
                type(model).__name__,
            )
        try:
            from sklearn.base import clone

            est = clone(model)
        except TypeError:
            est = copy.deepcopy(model)
    est.fit(X_real, y_real)
    _check_fitted_classifier(est)
    return est


def _class_probabilities(model: Any, X: FloatArray) -> FloatArray:
    """``P(y = -1 | x)`` and ``P(y = +1 | x)`` as columns 0 and 1, shape (m, 2)."""
    proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    classes = np.asarray(model.classes_, dtype=np.float64)
    order = [int(np.flatnonzero(classes == -1.0)[0]), int(np.flatnonzero(classes == 1.0)[0])]
    return np.clip(proba[:, order], 0.0, 1.0)


def _given_label_probability(pred_probs: FloatArray, y: IntArray) -> FloatArray:
    """The probability each sample's given label receives, shape (m,)."""
    return np.where(y == 1, pred_probs[:, 1], pred_probs[:, 0])


def _threshold_verdict(score: FloatArray, threshold: float) -> Verdict:
    return Verdict(keep=score >= threshold, score=score)


def _import_cleanlab() -> tuple[Any, Any]:
    """cleanlab's ``filter`` and ``rank`` modules (an optional extra, imported on use)."""
    try:
        import cleanlab.filter
        import cleanlab.rank
    except ImportError:
        raise fail(
            "verifier",
            "have the 'cleanlab' extra installed (pip install 'synthmix[cleanlab]')",
            "ConfidentLearningVerifier without cleanlab",
        ) from None
    return cleanlab.filter, cleanlab.rank


def _confident_learning_verdict(
    pred_probs: FloatArray, y: IntArray, filter_by: str, score_method: str
) -> Verdict:
    """Confident learning on one labelled set (Northcutt et al., JAIR 2021, via cleanlab)."""
    filter_mod, rank_mod = _import_cleanlab()
    labels = (y == 1).astype(np.int64)  # class 0 = label -1, class 1 = label +1
    issues = filter_mod.find_label_issues(labels, pred_probs, filter_by=filter_by, n_jobs=1)
    quality = rank_mod.get_label_quality_scores(labels, pred_probs, method=score_method)
    score = np.clip(np.asarray(quality, dtype=np.float64), 0.0, 1.0)
    return Verdict(keep=~np.asarray(issues, dtype=bool), score=score)


def _knn_scores(
    neighbors: Any, y_ref: IntArray, X_query: FloatArray, y: IntArray, k: int
) -> FloatArray:
    """Fraction of the ``k`` nearest reference points whose label equals ``y``, shape (m,)."""
    idx = neighbors.kneighbors(X_query, n_neighbors=k, return_distance=False)
    return np.mean(y_ref[idx] == y[:, None], axis=1, dtype=np.float64)


# --------------------------------------------------------------------------- verifiers


@dataclass(frozen=True)
class OracleVerifier:
    """The theory's verifier: keeps a right label w.p. ``phi`` and a wrong one w.p. ``rho``.

    Each sample gets its own coin flip from ``rng``, exactly the model of docs/math/rmt.md. Knowing
    which labels are wrong needs the clean labels, so :meth:`decide` requires ``y_true``
    (available in simulations only). ``(rho, phi) = (0, 1)`` is a perfect oracle, ``(1, 1)``
    keeps everything, ``rho = phi`` is uninformative.

    Parameters
    ----------
    rho : float, default 0
        Keep probability of a wrong-label sample, in [0, 1].
    phi : float, default 1
        Keep probability of a right-label sample, in [0, 1].

    Examples
    --------
    >>> v = OracleVerifier(rho=0.0, phi=1.0)
    >>> v.decide([[0.0], [1.0]], [1, -1], y_true=[1, 1], rng=0).keep.tolist()
    [True, False]
    """

    rho: float = 0.0
    phi: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "rho", _check_scalar_probability(self.rho, "rho"))
        object.__setattr__(self, "phi", _check_scalar_probability(self.phi, "phi"))

    def decide(
        self,
        X_syn: ArrayLike,
        y_syn: ArrayLike,
        *,
        rng: RngLike = None,
        y_true: ArrayLike | None = None,
    ) -> Verdict:
        """Keep each sample by an independent coin flip.

        Parameters
        ----------
        X_syn : array_like, shape (m, d)
            Synthetic features (checked, otherwise unused).
        y_syn : array_like, shape (m,)
            Given (possibly flipped) labels in {-1, +1}.
        rng : None, int, SeedSequence or numpy Generator, optional
            Source of the coin flips.
        y_true : array_like, shape (m,)
            Clean labels in {-1, +1}; required.

        Returns
        -------
        Verdict
            ``keep`` from the coin flips; ``score`` is 1 for a right label and 0 for a wrong one.
        """
        _, y = _check_samples(X_syn, y_syn, x_name="X_syn", y_name="y_syn")
        if y_true is None:
            raise fail(
                "y_true",
                "be given to OracleVerifier.decide (the clean labels, known in simulations)",
                None,
            )
        truth = check_labels(y_true, "y_true", size=y.shape[0])
        return _oracle_verdict(y != truth, self.rho, self.phi, as_generator(rng))


@dataclass(frozen=True, eq=False)
class ModelVerifier:
    """Trust a probabilistic classifier fitted on real data.

    The score of a synthetic sample is the probability the classifier gives its label,
    ``P̂(y = y_syn | x_syn)``; the sample is kept when the score is at least ``threshold``
    (at 0.5: when the classifier agrees with the label, ties kept). Build one with
    :meth:`fit`; the constructor takes an already fitted classifier.

    Parameters
    ----------
    model : classifier
        Fitted, with ``predict_proba`` and ``classes_`` equal to {-1, +1} (scikit-learn API).
    threshold : float, default 0.5
        Keep samples whose score is ``>= threshold``; in [0, 1].
    """

    model: Any
    threshold: float = 0.5

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "threshold", _check_scalar_probability(self.threshold, "threshold")
        )
        _check_fitted_classifier(self.model)

    @classmethod
    def fit(
        cls,
        X_real: ArrayLike,
        y_real: ArrayLike,
        *,
        threshold: float = 0.5,
        model: Any | None = None,
    ) -> ModelVerifier:
        """Fit the classifier on real data and wrap it.

        Parameters
        ----------
        X_real : array_like, shape (n, d)
            Real features.
        y_real : array_like, shape (n,)
            Real labels in {-1, +1}, both present.
        threshold : float, default 0.5
            Keep threshold on the score, in [0, 1].
        model : scikit-learn classifier, optional
            Any unfitted classifier with ``predict_proba``; it is cloned, never modified.
            Default: ``StandardScaler`` followed by ``LogisticRegression``.

        Returns
        -------
        ModelVerifier

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> y = np.repeat([-1, 1], 50)
        >>> X = y[:, None] * 2.0 + rng.standard_normal((100, 3))
        >>> v = ModelVerifier.fit(X, y)
        >>> v.decide([[2.0, 0, 0], [2.0, 0, 0]], [1, -1]).keep.tolist()
        [True, False]
        """
        thr = _check_scalar_probability(threshold, "threshold")
        X, y = _check_real(X_real, y_real)
        return cls(model=_fit_classifier(X, y, model), threshold=thr)

    def decide(
        self,
        X_syn: ArrayLike,
        y_syn: ArrayLike,
        *,
        rng: RngLike = None,
        y_true: ArrayLike | None = None,
    ) -> Verdict:
        """Score each label by the classifier's probability for it; keep if ``>= threshold``.

        Parameters
        ----------
        X_syn : array_like, shape (m, d)
            Synthetic features, same ``d`` as the real data.
        y_syn : array_like, shape (m,)
            Given labels in {-1, +1}.
        rng, y_true
            Ignored (the decision is deterministic); accepted for the common signature.

        Returns
        -------
        Verdict
        """
        X, y = _check_samples(
            X_syn,
            y_syn,
            x_name="X_syn",
            y_name="y_syn",
            n_features=getattr(self.model, "n_features_in_", None),
        )
        if y.shape[0] == 0:
            return _empty_verdict()
        score = _given_label_probability(_class_probabilities(self.model, X), y)
        return _threshold_verdict(score, self.threshold)


@dataclass(frozen=True, eq=False)
class ConfidentLearningVerifier:
    """Confident learning (cleanlab) on the synthetic set, with a classifier fitted on real data.

    Confident learning (Northcutt, Jiang & Chuang, JAIR 2021) estimates the *joint
    distribution of given (noisy) and true labels*, ``Q[i, j] = P(ỹ = i, y* = j)``, from
    predicted probabilities. Its per-class thresholds are the classifier's average
    self-confidence on each given class, ``t_j = mean{ p̂(j | x) : ỹ(x) = j }``; a sample
    labelled ``i`` counts towards the *confident joint* entry ``C[i, j]`` when ``p̂(j | x) ≥ t_j``
    (the largest such ``j``), and ``C`` calibrated to the label counts estimates ``m·Q``. With
    the default ``filter_by='prune_by_noise_rate'``, for each off-diagonal ``(i, j)`` the
    ``m·Q[i, j]`` samples labelled ``i`` with the largest margin ``p̂(j|x) - p̂(i|x)`` are flagged.
    Everything not flagged is kept. Unlike :class:`ModelVerifier`, the number of samples
    dropped adapts to the noise rate the synthetic set itself shows.

    The probabilities come from a classifier fitted on the real data only, so they are
    out-of-sample for every synthetic sample (cleanlab's requirement) without cross-validation.
    Labels -1/+1 are passed to cleanlab as classes 0/1. Requires the ``cleanlab`` extra; build
    one with :meth:`fit`.

    Parameters
    ----------
    model : classifier
        Fitted, with ``predict_proba`` and ``classes_`` equal to {-1, +1}.
    filter_by : str, default 'prune_by_noise_rate'
        cleanlab's ``find_label_issues`` rule.
    score_method : str, default 'self_confidence'
        cleanlab's ``get_label_quality_scores`` method; the verdict's score, in [0, 1].
    """

    model: Any
    filter_by: FilterBy = "prune_by_noise_rate"
    score_method: ScoreMethod = "self_confidence"

    def __post_init__(self) -> None:
        _check_choice(self.filter_by, "filter_by", _FILTER_BY)
        _check_choice(self.score_method, "score_method", _SCORE_METHODS)
        _check_fitted_classifier(self.model)
        _import_cleanlab()

    @classmethod
    def fit(
        cls,
        X_real: ArrayLike,
        y_real: ArrayLike,
        *,
        model: Any | None = None,
        filter_by: FilterBy = "prune_by_noise_rate",
        score_method: ScoreMethod = "self_confidence",
    ) -> ConfidentLearningVerifier:
        """Fit the classifier on real data and wrap it.

        Parameters
        ----------
        X_real : array_like, shape (n, d)
            Real features.
        y_real : array_like, shape (n,)
            Real labels in {-1, +1}, both present.
        model : scikit-learn classifier, optional
            Unfitted classifier with ``predict_proba`` (cloned, never modified). Default:
            ``StandardScaler`` followed by ``LogisticRegression``.
        filter_by, score_method : str
            See the class docstring.

        Returns
        -------
        ConfidentLearningVerifier
        """
        _check_choice(filter_by, "filter_by", _FILTER_BY)
        _check_choice(score_method, "score_method", _SCORE_METHODS)
        _import_cleanlab()
        X, y = _check_real(X_real, y_real)
        return cls(
            model=_fit_classifier(X, y, model), filter_by=filter_by, score_method=score_method
        )

    def decide(
        self,
        X_syn: ArrayLike,
        y_syn: ArrayLike,
        *,
        rng: RngLike = None,
        y_true: ArrayLike | None = None,
    ) -> Verdict:
        """Flag label issues in the synthetic set by confident learning; keep the rest.

        Parameters
        ----------
        X_syn : array_like, shape (m, d)
            Synthetic features, same ``d`` as the real data.
        y_syn : array_like, shape (m,)
            Given labels in {-1, +1}.
        rng, y_true
            Ignored (the decision is deterministic); accepted for the common signature.

        Returns
        -------
        Verdict
            ``keep`` = not flagged; ``score`` = cleanlab's label quality score.
        """
        X, y = _check_samples(
            X_syn,
            y_syn,
            x_name="X_syn",
            y_name="y_syn",
            n_features=getattr(self.model, "n_features_in_", None),
        )
        if y.shape[0] == 0:
            return _empty_verdict()
        pred_probs = _class_probabilities(self.model, X)
        return _confident_learning_verdict(pred_probs, y, self.filter_by, self.score_method)


@dataclass(frozen=True, eq=False)
class KNNVerifier:
    """Let the ``k`` nearest real samples vote on each synthetic label.

    Score = fraction of the ``k`` nearest real neighbours (Euclidean distance, after
    standardising every feature by the real data's mean and standard deviation when
    ``standardize``) whose label equals the synthetic label; keep when ``score >= threshold``
    (at 0.5 with even ``k``, ties are kept).

    Parameters
    ----------
    X_real : array_like, shape (n, d)
        Real features.
    y_real : array_like, shape (n,)
        Real labels in {-1, +1}, both present.
    k : int, default 10
        Number of neighbours, ``1 <= k <= n``.
    threshold : float, default 0.5
        Keep threshold on the score, in [0, 1].
    standardize : bool, default True
        Standardise features (constant features are left unscaled) before measuring distance.

    Examples
    --------
    >>> v = KNNVerifier([[0.0], [0.1], [1.0], [1.1]], [-1, -1, 1, 1], k=2)
    >>> v.decide([[0.05], [1.05]], [1, 1]).score.tolist()
    [0.0, 1.0]
    """

    X_real: FloatArray
    y_real: IntArray
    k: int = 10
    threshold: float = 0.5
    standardize: bool = True
    center: FloatArray = field(init=False, repr=False)
    scale: FloatArray = field(init=False, repr=False)
    _neighbors: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        X, y = _check_real(self.X_real, self.y_real)
        k = check_int(self.k, "k", minimum=1, maximum=X.shape[0])
        thr = _check_scalar_probability(self.threshold, "threshold")
        if not isinstance(self.standardize, bool | np.bool_):
            raise fail("standardize", "be True or False", self.standardize)
        if self.standardize:
            center = X.mean(axis=0)
            scale = X.std(axis=0)
            scale[scale <= 0] = 1.0
        else:
            center, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
        from sklearn.neighbors import NearestNeighbors

        neighbors = NearestNeighbors(metric="euclidean").fit((X - center) / scale)
        for name, value in (
            ("X_real", X),
            ("y_real", y),
            ("k", k),
            ("threshold", thr),
            ("standardize", bool(self.standardize)),
            ("center", center),
            ("scale", scale),
            ("_neighbors", neighbors),
        ):
            object.__setattr__(self, name, value)

    @classmethod
    def fit(
        cls,
        X_real: ArrayLike,
        y_real: ArrayLike,
        *,
        k: int = 10,
        threshold: float = 0.5,
        standardize: bool = True,
    ) -> KNNVerifier:
        """Index the real data (same as the constructor; for symmetry with the other verifiers)."""
        return cls(X_real, y_real, k=k, threshold=threshold, standardize=standardize)  # type: ignore[arg-type]

    def decide(
        self,
        X_syn: ArrayLike,
        y_syn: ArrayLike,
        *,
        rng: RngLike = None,
        y_true: ArrayLike | None = None,
    ) -> Verdict:
        """Score each label by its agreement with the ``k`` nearest real neighbours.

        Parameters
        ----------
        X_syn : array_like, shape (m, d)
            Synthetic features, same ``d`` as the real data.
        y_syn : array_like, shape (m,)
            Given labels in {-1, +1}.
        rng, y_true
            Ignored (the decision is deterministic); accepted for the common signature.

        Returns
        -------
        Verdict
        """
        X, y = _check_samples(
            X_syn, y_syn, x_name="X_syn", y_name="y_syn", n_features=self.X_real.shape[1]
        )
        if y.shape[0] == 0:
            return _empty_verdict()
        query = (X - self.center) / self.scale
        score = _knn_scores(self._neighbors, self.y_real, query, y, self.k)
        return _threshold_verdict(score, self.threshold)
