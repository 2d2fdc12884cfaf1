"""What a configuration argument may be: a :class:`~clustersim.params.Scenario`, a scenario file,
or the name of a shipped scenario (``"held_package"`` for ``scenarios/held_package.toml``)."""

from __future__ import annotations

from pathlib import Path

from clustersim.params import Scenario
from clustersim.scenario import ScenarioError, load_scenario

__all__ = ["ConfigLike", "scenario_folders", "shipped_scenarios", "to_scenario"]

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
