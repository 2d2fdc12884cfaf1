"""Plug-ins named in a scenario: ``use = "module:callable"`` plus the plug-in's parameters.

Three kinds, each a class derived from its base: an instrument
(:class:`clustersim.instruments.base.Instrument`, listed under ``packages.<name>.instruments``),
a county rule (:class:`clustersim.rules.base.CountyRule`, under ``counties.rules``) and a
decision rule (:class:`clustersim.decision.DecisionRule`, as ``choice.decision_rule``). A
plug-in declares its parameters as a pydantic model ``Params``; they are validated when the
scenario is, and every problem (no such module, no such name, not a plug-in of that kind, a bad
parameter) is a :class:`PluginError` that the scenario loader reports as one line naming the
file, the field and what was expected.

The module is imported by name; ``folder`` (default: the scenario file's folder) is searched
first, so a plug-in can sit beside its scenario. Sweeps ship the scenario, with that folder as an
absolute path, to their workers, which import the module the same way.
"""

from __future__ import annotations

import importlib
import sys
import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

_IMPORT_LOCK = threading.Lock()


class PluginError(ValueError):
    """A plug-in reference that cannot be used: ``field`` (dotted, e.g.
    ``packages.district.instruments.0.use``), the ``value`` found and what is ``allowed``; or a
    pydantic ``validation`` error of its parameters (then ``params_model`` is their model and
    ``field`` the reference's location)."""

    def __init__(self, field: str, value: object, allowed: str, *, validation: ValidationError | None = None,
                 params_model: type[BaseModel] | None = None):
        self.field, self.value, self.allowed = field, value, allowed
        self.validation, self.params_model = validation, params_model
        super().__init__(f"{field} = {value!r}: {allowed}")


def _import(module: str, folder: Path | None):
    with _IMPORT_LOCK:
        if folder is not None and str(folder) not in sys.path:
            sys.path.append(str(folder))
        return importlib.import_module(module)


def resolve(use: str, folder: Path | None, field: str) -> Any:
    """The object ``use`` (``"module:callable"``) names; PluginError when it cannot be imported
    or is not callable."""
    module, sep, attr = use.partition(":")
    if not sep or not module or not attr:
        raise PluginError(f"{field}.use", use, "write 'module:callable', e.g. 'my_rules:Subsidy'")
    try:
        obj = _import(module, folder)
    except ModuleNotFoundError as err:
        where = f" (searched {folder} and the Python path)" if folder is not None else ""
        raise PluginError(f"{field}.use", use, f"no module named {err.name!r}{where}") from None
    except Exception as err:  # an import that raises is the plug-in's fault: say so in one line
        raise PluginError(f"{field}.use", use, f"importing {module!r} failed: {type(err).__name__}: {err}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            names = [n for n in dir(obj) if not n.startswith("_")]
            raise PluginError(f"{field}.use", use,
                              f"module {module!r} has no {attr!r}; it has: {', '.join(names[:12])}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise PluginError(f"{field}.use", use, f"{attr!r} is a {type(obj).__name__}, not callable (a class)")
    return obj


def load(use: str, folder: Path | None, params: dict[str, Any], base: type, field: str) -> tuple[type, Any]:
    """``(class, validated parameters)`` of a plug-in of kind ``base`` (``None`` parameters when
    the class declares no ``Params``)."""
    cls = resolve(use, folder, field)
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise PluginError(f"{field}.use", use, f"must name a class derived from {base.__module__}.{base.__qualname__}")
    model = getattr(cls, "Params", None)
    if model is None:
        if params:
            raise PluginError(f"{field}.{next(iter(params))}", params[next(iter(params))],
                              f"unknown key: {use} takes no parameters")
        return cls, None
    try:
        return cls, model.model_validate(params)
    except ValidationError as err:
        raise PluginError(field, params, str(err), validation=err, params_model=model) from None
