"""A SolaraViz page for ClusterModel built from Mesa's standard components: sliders for the focal
county's policy (applied on Reset, as Mesa does), plots of DataCollector variables.

    solara run examples/solara_page.py
"""

import solara
from mesa.visualization import Slider, SolaraViz, make_plot_component

from clustersim import ClusterModel

model_params = {
    "config": "held_package",
    "focal__subsidy_depth": Slider("Subsidy depth of the focal county", 2.0, 0.0, 5.0, 0.25),
    "focal__fee_rate": Slider("Fee rate of the focal county", 0.01, 0.0, 0.1, 0.005),
}


def status(model):  # a plain function component: Mesa redraws it after every step
    return solara.Text(f"year {model.year}, seed {model.seed}, subsidy depth {model.regions.depth[model.focal]:.2f}, "
                       f"took off: {model.datacollector.model_vars['took_off'][-1]}")


model = ClusterModel("held_package", focal__subsidy_depth=2.0, focal__fee_rate=0.01)
page = SolaraViz(model, components=[status, make_plot_component(["focal_share", "largest_share"]),
                                    make_plot_component("firms_in_counties")],
                 model_params=model_params, name="ClusterSim with Mesa's components")
