"""A third-party county rule and decision rule (docs/extending.md).

* :class:`FeeCeiling` (county rule): from ``from_year`` on, no county charges more than
  ``max_fee`` (an upper-level ceiling on fees, e.g. a provincial fee-reduction campaign).
* :class:`ShortlistLogit` (decision rule): a firm considers only its ``shortlist`` most valuable
  feasible regions and chooses among them by the linear logit with noise ``theta`` (bounded
  search: firms do not evaluate every county).
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from clustersim.decision import DecisionRule, choice_probabilities
from clustersim.rules.base import CountyRule, CountyYear


class FeeCeilingParams(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    max_fee: Annotated[float, Field(ge=0.0, le=0.5)] = Field(description="highest fee rate allowed, share of revenue")
    from_year: Annotated[int, Field(ge=0)] = Field(default=0, description="first year of the ceiling")


class FeeCeiling(CountyRule):
    name = "fee_ceiling"
    Params = FeeCeilingParams

    def apply(self, year: CountyYear) -> None:
        if year.year >= self.params.from_year:
            r = year.regions
            r.fee_rate = np.where(r.is_county, np.minimum(r.fee_rate, self.params.max_fee), r.fee_rate)


class ShortlistParams(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    shortlist: Annotated[int, Field(ge=1)] = Field(description="regions a firm considers")
    theta: Annotated[float, Field(gt=0.0)] = Field(description="logit noise relative to discounted revenue")


class ShortlistLogit(DecisionRule):
    Params = ShortlistParams

    def probabilities(self, value, feasible, scale):
        k = self.params.shortlist
        if k < value.shape[1]:
            ranked = np.where(feasible, value, -np.inf)
            cut = -np.partition(-ranked, k - 1, axis=1)[:, k - 1]  # the k-th best value of each row
            feasible = feasible & (ranked >= cut[:, None])
        return choice_probabilities(value, feasible, scale, self.params.theta, "linear")
