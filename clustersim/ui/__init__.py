"""The browser UI (Solara, laid out as Mesa's SolaraViz): ``clustersim ui``. See docs/ui.md.

Modules: :mod:`~clustersim.ui.session` (the controls' settings and the per-session model),
:mod:`~clustersim.ui.components` (map, time series, status panel), :mod:`~clustersim.ui.app`
(the model page), :mod:`~clustersim.ui.lab_page` (the package lab), :mod:`~clustersim.ui.language`
(中文 / English), :mod:`~clustersim.ui.launch` (the command). Solara is imported only by the pages,
their components and the language switch.
"""
