"""The decision rule: values -> choice probabilities -> one draw per firm.

A decision rule (:class:`DecisionRule`) turns the value of every region to every reviewing firm
(wan, with which regions are feasible and each firm's scale ``a_H q``) into choice
probabilities, and draws one region per firm from given U(0, 1) numbers. The shipped rule is the
multinomial logit (:class:`Logit`): ``P_ij ∝ exp(V_ij / (theta scale_i))`` (``utility =
"linear"``) or ``P_ij ∝ V_ij^(1/theta)`` for V > 0 (``"log"``; theta = 1 is the Polya urn);
``theta = 0`` picks the best region. A plug-in rule derives from :class:`DecisionRule`, declares
its ``Params`` and is named in a scenario as ``[choice.decision_rule] use = "module:Class"``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import BaseModel


class DecisionRule:
    """Values -> probabilities -> draw, on blocks of firms (n x R arrays). ``params`` are the
    validated :attr:`Params` (``None`` when the rule declares none)."""

    Params: ClassVar[type[BaseModel] | None] = None

    def __init__(self, params: BaseModel | None = None) -> None:
        self.params = params

    def probabilities(self, value: np.ndarray, feasible: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """(n, R) choice probabilities; a row with no acceptable region is all zero."""
        raise NotImplementedError

    def draw(self, prob: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
        """One region per row (-1 for all-zero rows) from the U(0, 1) ``uniforms``: the inverse CDF."""
        return draw(prob, uniforms)


class Logit(DecisionRule):
    """The multinomial logit of ``choice.theta`` and ``choice.utility`` (the shipped rule)."""

    def __init__(self, theta: float, utility: str) -> None:
        super().__init__(None)
        self.theta, self.utility = theta, utility

    def probabilities(self, value, feasible, scale):
        return choice_probabilities(value, feasible, scale, self.theta, self.utility)


def choice_probabilities(value: np.ndarray, feasible: np.ndarray, scale: np.ndarray,
                         theta: float, utility: str) -> np.ndarray:
    """Logit choice probabilities (n, R); rows with no acceptable region are all zero."""
    if utility == "log":
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.log(np.maximum(value, 1e-300))
        if theta > 0:
            u /= theta
        u = np.where(feasible & (value > 0), u, -np.inf)
    else:
        u = value / (theta * scale[:, None]) if theta > 0 else value.copy()
        u = np.where(feasible, u, -np.inf)
    best = u.max(axis=1)
    ok = np.isfinite(best)
    if theta == 0:
        prob = np.zeros_like(u)
        pick = np.argmax(u, axis=1)
        prob[np.flatnonzero(ok), pick[ok]] = 1.0
        return prob
    best[~ok] = 0.0  # rows of -inf stay -inf and get probability 0
    u -= best[:, None]
    prob = np.exp(u, out=u)
    total = prob.sum(axis=1)
    total[~ok] = 1.0
    prob /= total[:, None]
    return prob


DRAW_BLOCK = 16  # regions per block of the two-level inverse CDF


def draw(prob: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """One region per row by inverse CDF with the given U(0,1) draws; -1 for all-zero rows.

    Rows need not sum to 1: row i picks the first region whose cumulative weight exceeds
    ``uniforms[i]`` times the row total. The cumulative sum is taken in two levels (blocks of
    ``DRAW_BLOCK`` regions, then within the chosen block) because a row-wise cumsum over all
    regions is several times slower than the rest of the decision.
    """
    n, n_r = prob.shape
    starts = np.arange(0, n_r, DRAW_BLOCK)
    block_cum = np.cumsum(np.add.reduceat(prob, starts, axis=1), axis=1)  # (n, blocks)
    target = uniforms * block_cum[:, -1]
    block = np.minimum((block_cum < target[:, None]).sum(axis=1), starts.size - 1)
    rows = np.arange(n)
    before = np.where(block > 0, block_cum[rows, block - 1], 0.0)
    first = starts[block]
    cols = first[:, None] + np.arange(DRAW_BLOCK)[None, :]
    last = np.minimum(first + DRAW_BLOCK, n_r) - 1  # last region of each row's block
    inside = np.take_along_axis(prob, np.minimum(cols, last[:, None]), axis=1)
    within = np.cumsum(inside, axis=1)
    within += before[:, None]
    # columns past the block's end only repeat its last region; clipping to ``last`` also keeps
    # the pick in the block when rounding leaves its running total a hair below the target
    pick = np.minimum(first + (within < target[:, None]).sum(axis=1), last)
    pick[block_cum[:, -1] <= 0] = -1
    return pick
