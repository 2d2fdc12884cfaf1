"""Public services and migration: this year's public-service spending sets the service level,
which speeds up migration toward the labour demand (:func:`clustersim.markets.migrate`)."""

from __future__ import annotations

from clustersim import markets
from clustersim.rules.base import CountyRule, CountyYear


class PublicServices(CountyRule):
    name = "public_services"

    def apply(self, year: CountyYear) -> None:
        r, m = year.regions, year.config.markets
        services = markets.service_level(r.flows["public_services"], m.public_service_cost)
        r.labour_pool = markets.migrate(r.labour_pool, r.employment, services, m.migration_rate,
                                        m.public_service_effect)
