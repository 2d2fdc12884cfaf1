"""Data collection into arrays: the region tables of Mesa's ``DataCollector`` without a Python
call per region and field.

:class:`RegionCollector` is a :class:`mesa.DataCollector`: its model reporters (and any agent
reporters) are called as Mesa calls them, and ``model_vars``, ``get_model_vars_dataframe()`` and
``get_agenttype_vars_dataframe(kind)`` give the same tables as Mesa's own collection with the
agent-type reporters it declares. The region reporters' values are read for all regions at once
(the model's region arrays, concatenated into the collector's array of the year) instead of one
call per region and field; the reporters stay declared (``agenttype_reporters``) so the tables'
columns, and a user's own ``DataCollector`` built from them, are unchanged. A region reporter
added later under a name the arrays do not hold is called per region, as Mesa would.
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
    the reporters named ``fields`` for every region, as 1-D arrays whose concatenation is fields x
    regions (field-major: a field's regions in a row, or several fields' rows in one array);
    ``agents[kind]`` are the kind's region agents, in ``agents_by_type[kind]`` order (their
    ``index`` is their region)."""

    def __init__(self, model_reporters: dict, agenttype_reporters: dict,
                 values: Callable[[mesa.Model], Sequence[np.ndarray]], fields: Sequence[str],
                 agents: dict[type, list]) -> None:
        super().__init__(model_reporters=model_reporters, agenttype_reporters=agenttype_reporters)
        self._values = values
        self._fields = {name: c for c, name in enumerate(fields)}
        self._agents = agents
        self._steps: list = []
        self._data = np.empty((0, len(self._fields), 0))  # steps x fields x regions, grown by doubling
        self._extra: list[dict[type, list[tuple]]] = []  # per step: values of reporters not in fields
        self._extra_cache: dict[type, tuple[tuple[str, ...], list[str]]] = {}

    @property
    def _blocks(self) -> np.ndarray:
        """The collected region values, steps x regions x fields."""
        return self._data[: len(self._steps)].transpose(0, 2, 1)

    def _extra_names(self, kind: type) -> list[str]:
        names = tuple(self.agenttype_reporters[kind])
        cached = self._extra_cache.get(kind)
        if cached is None or cached[0] != names:
            cached = self._extra_cache[kind] = (names, [n for n in names[2:] if n not in self._fields])
        return cached[1]

    def _store(self, cols: Sequence[np.ndarray]) -> None:
        """This step's region values (see the class), concatenated into the step's fields x regions."""
        k, data = len(self._steps), self._data
        if k < data.shape[0]:
            try:
                np.concatenate(cols, out=data[k].reshape(-1))
                return
            except ValueError:
                pass  # a different number of regions: refused below
        values = np.concatenate(cols, dtype=np.float64)
        n_f = len(self._fields)
        if values.size % max(n_f, 1):
            raise ValueError(f"{values.size} region values are not {n_f} fields of every region")
        values = values.reshape(n_f, -1)
        if k and values.shape != data.shape[1:]:
            raise ValueError(f"region values of shape {values.shape[::-1]}; earlier steps had {data.shape[:0:-1]}")
        if k >= data.shape[0]:
            grown = np.empty((max(16, 2 * k), *values.shape))
            if k:
                grown[:k] = data[:k]
            self._data = data = grown
        data[k] = values

    def collect(self, model: mesa.Model) -> None:
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)
        for var, reporter in self.model_reporters.items():
            value = reporter(model)
            self.model_vars[var].append(value if isinstance(value, _IMMUTABLE) else deepcopy(value))
        if self.agent_reporters:
            self._agent_records[model.time] = list(self._record_agents(model))
        self._store(self._values(model))
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
