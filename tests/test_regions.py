"""RegionState.is_county is made once and kept while is_origin is the same read-only array."""

from __future__ import annotations

import numpy as np
import pytest

from clustersim.model import ClusterModel

from test_choice import scenario


def test_is_county_follows_is_origin():
    r = ClusterModel(scenario(), seed=1).regions
    np.testing.assert_array_equal(r.is_county, ~r.is_origin)
    assert r.is_county is r.is_county  # kept
    with pytest.raises(ValueError):
        r.is_origin[0] = not r.is_origin[0]  # a region's kind is fixed
    with pytest.raises(ValueError):
        r.is_county[0] = True
    flipped = ~r.is_origin  # a new (writable) array: the mask follows it, nothing kept
    r.is_origin = flipped
    np.testing.assert_array_equal(r.is_county, r.is_origin == 0)
    flipped[0] = not flipped[0]
    np.testing.assert_array_equal(r.is_county, ~flipped)
