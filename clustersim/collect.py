"""Data collection into arrays: the region tables of Mesa's ``DataCollector`` without a Python
call per region and field.

:class:`RegionCollector` is a :class:`mesa.DataCollector`: its model reporters are called as Mesa
calls them, and ``model_vars``, ``get_model_vars_dataframe()`` and
``get_agenttype_vars_dataframe(kind)`` give the same tables as Mesa's own collection with the
agent-type reporters it declares. The region reporters' values are read for all regions at once
(one row of floats per region and year, from the model's region arrays) instead of one call per
region and field; the reporters stay declared (``agenttype_reporters``) so the tables' columns
and a user's own ``DataCollector`` built from them are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy

import mesa
import numpy as np
import pandas as pd

_IMMUTABLE = (str, int, bool, float, tuple)


class RegionCollector(mesa.DataCollector):
    """``model_reporters`` as in Mesa; ``agenttype_reporters`` per region kind, whose first two
    reporters are the region's name and kind (strings) and the rest floats; ``values(model)``
    returns those floats for every region (regions x fields, in the reporters' order after the
    two strings); ``regions[kind]`` are the kind's region indices, ``names`` and ``kinds`` their
    strings and ``ids[kind]`` their agents' unique ids, in ``agents_by_type[kind]`` order."""

    def __init__(self, model_reporters: dict, agenttype_reporters: dict,
                 values: Callable[[mesa.Model], np.ndarray], regions: dict[type, np.ndarray],
                 ids: dict[type, list[int]], names: list[str], kinds: list[str]) -> None:
        super().__init__(model_reporters=model_reporters, agenttype_reporters=agenttype_reporters)
        self._values = values
        self._regions = regions
        self._ids = ids
        self._names = np.array(names, dtype=object)
        self._kinds = np.array(kinds, dtype=object)
        self._steps: list = []
        self._blocks: list[np.ndarray] = []

    def collect(self, model: mesa.Model) -> None:
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)
        for var, reporter in self.model_reporters.items():
            value = reporter(model)
            self.model_vars[var].append(value if isinstance(value, _IMMUTABLE) else deepcopy(value))
        self._steps.append(model.time)
        self._blocks.append(np.array(self._values(model), dtype=np.float64))

    def get_agenttype_vars_dataframe(self, agent_type: type) -> pd.DataFrame:
        if agent_type not in self.agenttype_reporters or agent_type not in self._regions:
            return super().get_agenttype_vars_dataframe(agent_type)
        names = list(self.agenttype_reporters[agent_type])
        idx = self._regions[agent_type]
        n, k = idx.size, len(self._blocks)
        if k == 0 or n == 0:
            return pd.DataFrame(columns=["Step", "AgentID", *names]).set_index(["Step", "AgentID"])
        values = np.stack(self._blocks)[:, idx, :].reshape(k * n, -1)
        index = pd.MultiIndex.from_arrays([np.repeat(np.array(self._steps), n),
                                           np.tile(np.array(self._ids[agent_type]), k)],
                                          names=["Step", "AgentID"])
        data = {names[0]: np.tile(self._names[idx], k), names[1]: np.tile(self._kinds[idx], k)}
        data.update({name: values[:, c] for c, name in enumerate(names[2:])})
        return pd.DataFrame(data, index=index)
