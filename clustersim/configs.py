"""What a configuration argument may be: a :class:`~clustersim.params.Scenario`, a scenario file,
or the name of a shipped scenario (``"held_package"`` for ``scenarios/held_package.toml``); and
the arguments of :class:`~clustersim.model.ClusterModel` (configuration, keyword overrides, seed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from clustersim.params import Scenario
from clustersim.scenario import ScenarioError, apply_overrides, load_scenario

__all__ = ["ConfigLike", "fresh_seed", "model_configuration", "scenario_folders", "shipped_scenarios", "to_scenario"]

ConfigLike = Scenario | str | Path | None


def scenario_folders() -> list[Path]:
    """Folders searched for shipped scenarios by name: the ``scenarios/`` folder of the source tree
    clustersim was installed from (an editable install), then ``./scenarios``."""
    found: list[Path] = []
    for folder in (Path(__file__).resolve().parents[1] / "scenarios", Path.cwd() / "scenarios"):
        folder = folder.resolve()
        if folder.is_dir() and folder not in found:
            found.append(folder)
    return found


def shipped_scenarios() -> dict[str, Path]:
    """Name -> file of every shipped scenario (the first folder of :func:`scenario_folders` wins)."""
    out: dict[str, Path] = {}
    for folder in scenario_folders():
        for path in sorted(folder.glob("*.toml")):
            out.setdefault(path.stem, path)
    return out


def to_scenario(config: ConfigLike, source: str = "config") -> tuple[Scenario, Path | None]:
    """``config`` as a validated scenario, and the file it came from (None for an object or the
    defaults). ``None`` means the built-in defaults. ``source`` names the argument in errors."""
    if config is None:
        return Scenario(), None
    if isinstance(config, Scenario):
        return config, None
    if isinstance(config, str | Path):
        path = Path(config)
        if path.suffix == ".toml" or path.exists() or len(path.parts) > 1:
            return load_scenario(path), path
        shipped = shipped_scenarios()
        if str(config) in shipped:
            return load_scenario(shipped[str(config)]), shipped[str(config)]
        import difflib

        close = difflib.get_close_matches(str(config), list(shipped), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"shipped: {', '.join(shipped) or 'none found'}"
        raise ScenarioError(source, "scenario", str(config),
                            f"neither a scenario file nor the name of a shipped scenario; {hint}")
    raise ScenarioError(source, "scenario", repr(config),
                        "must be a Scenario, a scenario file (TOML) or the name of a shipped scenario")


def fresh_seed() -> int:
    """A run seed from the operating system's entropy, in 0 .. 2**63 - 1 (a scenario's range)."""
    return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))


def model_configuration(config: object, scenario: object, seed: object,
                        params: dict[str, object]) -> tuple[Scenario, int]:
    """The validated configuration and seed of a new :class:`~clustersim.model.ClusterModel` (see its
    arguments: ``config``, Mesa's ``scenario``, ``seed`` and the keyword ``params``).

    ``scenario`` is Mesa's argument name: Mesa's SolaraViz passes its own Scenario object there on
    Reset (its ``rng``, if set, is the seed). A ClusterSim :class:`Scenario` passed as ``scenario=``
    is the configuration, with a DeprecationWarning."""
    import warnings

    from clustersim.overrides import from_keywords

    call = "ClusterModel()"
    if isinstance(scenario, Scenario):
        warnings.warn("ClusterModel(scenario=...) is deprecated: Mesa's Model uses that name for its own Scenario. "
                      "Pass the configuration first, ClusterModel(config) or ClusterModel(config=...).",
                      DeprecationWarning, stacklevel=3)
        if config is not None:
            raise TypeError("ClusterModel() got the configuration twice (config and the deprecated scenario)")
        config = scenario
    elif scenario is not None and seed is None:
        seed = getattr(scenario, "rng", None)  # a Mesa Scenario: its rng (a seed or None)
    if "rng" in params:  # Mesa's name for the seed
        rng = params.pop("rng")
        seed = rng if seed is None else seed
    base, _ = to_scenario(config, call)  # type: ignore[arg-type]
    if params:
        written = {key.replace("__", "."): key for key in params}
        try:
            base = apply_overrides(base, from_keywords(params), source=call)
        except ScenarioError as err:
            raise ScenarioError(call, written.get(err.field, err.field), err.value, err.allowed) from None
    if seed is None:
        seed = fresh_seed()
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= int(seed) < 2**63:
        raise ScenarioError(call, "seed", seed if isinstance(seed, int | float | str) else repr(seed),
                            "must be a whole number from 0 to 2**63 - 1, or None for a fresh one")
    seed = int(seed)
    if base.seed != seed:
        base = base.model_copy(update={"seed": seed})
    return base, seed
