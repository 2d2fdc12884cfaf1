"""Real geography: China's county-level units from a pinned offline source, GeoJSON regions,
spherical measures (areas, centroids, great-circle distances), county traits keyed by
administrative code, and pinyin labels. :func:`clustersim.geography.build_layout` calls
:func:`china.china_layout` (``[geography] source = "china"``) and :func:`geojson.geojson_layout`
(``source = "geojson"``)."""
