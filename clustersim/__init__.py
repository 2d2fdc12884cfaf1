"""ClusterSim: an agent-based model of industrial cluster formation and relocation among
competing counties (firms leaving a high-cost coast; counties courting them with incentive
packages, fees and governance).

Entry points: :class:`clustersim.model.ClusterModel`, :func:`clustersim.scenario.load_scenario`,
and the ``clustersim`` command (:mod:`clustersim.cli`).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("clustersim")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
