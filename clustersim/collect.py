"""Data collection into arrays: the region tables of Mesa's ``DataCollector`` without a Python
call per region and field.

:class:`RegionCollector` is a :class:`mesa.DataCollector`: its model reporters (and any agent
reporters) are called as Mesa calls them, and ``model_vars``, ``get_model_vars_dataframe()`` and
``get_agenttype_vars_dataframe(kind)`` give the same tables as Mesa's own collection with the
agent-type reporters it declares. The region reporters' values are read for all regions at once
(one row of floats per region and year, from the model's region arrays) instead of one call per
region and field; the reporters stay declared (``agenttype_reporters``) so the tables' columns,
and a user's own ``DataCollector`` built from them, are unchanged. A region reporter added later
under a name the arrays do not hold is called per region, as Mesa would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from copy import deepcopy

import mesa
import numpy as np
import pandas as pd

_IMMUTABLE = (str, int, bool, float, tuple)


class RegionCollector(mesa.DataCollector):
    """``model_reporters`` as in Mesa; ``agenttype_reporters`` per region kind, whose first two
    reporters are the region's name and kind (strings); ``values(model)`` returns the floats of
    the reporters named ``fields`` for every region (regions x fields); ``agents[kind]`` are the
    kind's region agents, in ``agents_by_type[kind]`` order (their ``index`` is their region)."""

    def __init__(self, model_reporters: dict, agenttype_reporters: dict,
                 values: Callable[[mesa.Model], np.ndarray], fields: Sequence[str],
                 agents: dict[type, list]) -> None:
        super().__init__(model_reporters=model_reporters, agenttype_reporters=agenttype_reporters)
        self._values = values
        self._fields = {name: c for c, name in enumerate(fields)}
        self._agents = agents
        self._steps: list = []
        self._data = np.empty((0, 0, len(self._fields)))  # steps x regions x fields, grown by doubling
        self._extra: list[dict[type, list[tuple]]] = []  # per step: values of reporters not in fields
        self._extra_cache: dict[type, tuple[tuple[str, ...], list[str]]] = {}

    @property
    def _blocks(self) -> np.ndarray:
        """The collected region values, steps x regions x fields."""
        return self._data[: len(self._steps)]

    def _extra_names(self, kind: type) -> list[str]:
        names = tuple(self.agenttype_reporters[kind])
        cached = self._extra_cache.get(kind)
        if cached is None or cached[0] != names:
            cached = self._extra_cache[kind] = (names, [n for n in names[2:] if n not in self._fields])
        return cached[1]

    def _store(self, values: np.ndarray) -> None:
        k = len(self._steps)
        if k >= self._data.shape[0] or values.shape[0] != self._data.shape[1]:
            grown = np.empty((max(16, 2 * k), *values.shape))
            if values.shape[0] == self._data.shape[1]:
                grown[:k] = self._data[:k]
            elif k:
                raise ValueError(f"region values of shape {values.shape}; earlier steps had "
                                 f"{self._data.shape[1:]}")
            self._data = grown
        self._data[k] = values

    def collect(self, model: mesa.Model) -> None:
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)
        for var, reporter in self.model_reporters.items():
            value = reporter(model)
            self.model_vars[var].append(value if isinstance(value, _IMMUTABLE) else deepcopy(value))
        if self.agent_reporters:
            self._agent_records[model.time] = list(self._record_agents(model))
        self._store(np.asarray(self._values(model), dtype=np.float64))
        self._steps.append(model.time)
        extra = {}
        for kind, agents in self._agents.items():
            names = self._extra_names(kind)
            if names:
                reps = [self.agenttype_reporters[kind][n] for n in names]
                extra[kind] = [tuple(rep(a) for rep in reps) for a in agents]
        self._extra.append(extra)

    def get_agenttype_vars_dataframe(self, agent_type: type) -> pd.DataFrame:
        if agent_type not in self.agenttype_reporters or agent_type not in self._agents:
            return super().get_agenttype_vars_dataframe(agent_type)
        names = list(self.agenttype_reporters[agent_type])
        agents = self._agents[agent_type]
        idx = np.array([a.index for a in agents], dtype=np.int64)
        n, k = idx.size, len(self._steps)
        if k == 0 or n == 0:
            return pd.DataFrame(columns=["Step", "AgentID", *names]).set_index(["Step", "AgentID"])
        values = self._blocks[:, idx, :].reshape(k * n, -1)
        index = pd.MultiIndex.from_arrays([np.repeat(np.array(self._steps), n),
                                           np.tile(np.array([a.unique_id for a in agents]), k)],
                                          names=["Step", "AgentID"])
        data = {names[0]: [a.name for a in agents] * k,
                names[1]: [a.kind for a in agents] * k}
        extra_names = self._extra_names(agent_type)
        extra = [row for step in self._extra for row in step.get(agent_type, [()] * n)]
        for name in names[2:]:
            if name in self._fields:
                data[name] = values[:, self._fields[name]]
            else:
                c = extra_names.index(name)
                data[name] = [row[c] if c < len(row) else None for row in extra]
        return pd.DataFrame(data, index=index)
