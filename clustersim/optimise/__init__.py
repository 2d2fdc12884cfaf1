"""The cheapest package that works: the incentive package with the lowest expected present value of
incentives paid whose take-off probability reaches a target robustly over the uncertainties
(:mod:`~clustersim.optimise.search`), on the demo world (:mod:`~clustersim.optimise.world`) or any
evaluator, with its cost-probability frontier (:mod:`~clustersim.optimise.frontier`)."""
