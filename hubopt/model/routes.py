"""Computed routes between sites and sectors (SPEC §2.7).

For a site at (φ1, λ1) and a sector at (φ2, λ2), in degrees::

    road_km       = 2 · R · asin(√(sin²(Δφ/2) + cos φ1 · cos φ2 · sin²(Δλ/2))) · road_factor
    hours         = road_km / road_speed_kmh + (border_delay_hours if countries differ)
    cost_per_unit = road_km · transport_cost_per_unit_km

with R = 6371.0088 km, the mean Earth radius. Functions are vectorised over
numpy arrays so that a theatre of thousands of pairs costs one call.
"""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def great_circle_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Haversine distance in km between points given in degrees (broadcasting)."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    half_dphi = (phi2 - phi1) / 2.0
    half_dlambda = np.radians(np.asarray(lon2) - np.asarray(lon1)) / 2.0
    a = np.sin(half_dphi) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(half_dlambda) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def road_km(lat1, lon1, lat2, lon2, road_factor: float) -> np.ndarray:
    """Road distance in km: great-circle distance times the road factor."""
    return great_circle_km(lat1, lon1, lat2, lon2) * road_factor


def route_hours(km, cross_border, road_speed_kmh: float, border_delay_hours: float):
    """Hours on the road plus the border delay where ``cross_border`` is true."""
    return np.asarray(km) / road_speed_kmh + np.where(cross_border, border_delay_hours, 0.0)


def route_cost_per_unit(km, transport_cost_per_unit_km: float):
    """Transport cost of one unit of demand over ``km`` road km."""
    return np.asarray(km) * transport_cost_per_unit_km
