"""The browser UI (Mesa SolaraViz): ``clustersim ui``. See docs/ui.md.

Modules: :mod:`~clustersim.ui.session` (the controls' settings and the per-session model),
:mod:`~clustersim.ui.components` (map, time series, status panel), :mod:`~clustersim.ui.app`
(the page), :mod:`~clustersim.ui.launch` (the command). Solara is imported only by the last three.
"""
