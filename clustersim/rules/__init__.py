"""County rules, applied once a year in a declared order (ODD 3.3.9): the built-ins of
:data:`BUILTIN`, then the scenario's ``counties.rules`` plug-ins in the order listed."""

from __future__ import annotations

from clustersim.rules.base import CountyRule, CountyYear
from clustersim.rules.competition import Competition
from clustersim.rules.fee_trap import FeeTrap
from clustersim.rules.infrastructure import Infrastructure
from clustersim.rules.public_services import PublicServices
from clustersim.rules.reform import Reform

__all__ = ["BUILTIN", "CountyRule", "CountyYear", "county_rules"]

#: the built-in county rules, in the order they are applied
BUILTIN: tuple[type[CountyRule], ...] = (Infrastructure, PublicServices, FeeTrap, Reform, Competition)


def county_rules(scenario) -> list[CountyRule]:
    """The county rules of a scenario, in the order they are applied."""
    from clustersim import plugins

    rules: list[CountyRule] = [cls() for cls in BUILTIN]
    for i, ref in enumerate(scenario.counties.rules):
        cls, params = plugins.load(ref.use, ref.folder, ref.params, CountyRule, f"counties.rules.{i}")
        rules.append(cls(params))
    return rules
