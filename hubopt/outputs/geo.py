"""Offline geography for the plan map: country borders and a conic projection.

Borders are Natural Earth admin-0 countries for Europe, shipped as package
data (``hubopt/data/europe_borders.geojson``; where it comes from and what was
changed, e.g. Crimea drawn as part of Ukraine, is in ``europe_borders.md``).
Nothing here touches the network. numpy only, no GIS library.

Projection: Lambert conformal conic on a sphere of radius R = 6371.0088 km,
coordinates in km. With standard parallels φ1, φ2, origin (λ0, φ0)::

    n  = ln(cos φ1 / cos φ2) / ln(tan(π/4 + φ2/2) / tan(π/4 + φ1/2))   (n = sin φ1 if φ1 = φ2)
    F  = cos φ1 · tanⁿ(π/4 + φ1/2) / n
    ρ(φ) = R · F / tanⁿ(π/4 + φ/2)
    x  = ρ(φ) · sin(n (λ − λ0)),   y = ρ(φ0) − ρ(φ) · cos(n (λ − λ0))

The scale is exact along φ1 and φ2 and within about 1 % between them for a
theatre of 20° of latitude, so a scale bar drawn in km is honest.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import numpy as np

EARTH_RADIUS_KM = 6371.0088
BORDERS_RESOURCE = "europe_borders.geojson"

Ring = np.ndarray           # (k, 2) array of lon, lat in degrees
Country = list[list[Ring]]  # polygons, each a list of rings (outer first, then holes)


@cache
def borders() -> dict[str, tuple[str, Country]]:
    """Country code (Natural Earth ADM0_A3) -> (name, polygons) from the package data."""
    text = files("hubopt.data").joinpath(BORDERS_RESOURCE).read_text(encoding="utf-8")
    result: dict[str, tuple[str, Country]] = {}
    for feature in json.loads(text)["features"]:
        props, geometry = feature["properties"], feature["geometry"]
        polygons = geometry["coordinates"]
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        result[props["ADM0_A3"]] = (props["NAME"], [[np.asarray(ring, dtype=float)
                                                     for ring in polygon]
                                                    for polygon in polygons])
    return result


def ring_contains(ring: Ring, lon: float, lat: float) -> bool:
    """Even–odd ray casting: is (lon, lat) inside the closed ring?"""
    x, y = ring[:, 0], ring[:, 1]
    x2, y2 = np.roll(x, -1), np.roll(y, -1)
    crosses = (y > lat) != (y2 > lat)
    with np.errstate(divide="ignore", invalid="ignore"):
        at = x + (lat - y) * (x2 - x) / (y2 - y)
    return bool(np.count_nonzero(crosses & (lon < at)) % 2)


def country_contains(country: Country, lon: float, lat: float) -> bool:
    """Is (lon, lat) inside one of the country's polygons (and not in a hole)?"""
    return any(ring_contains(polygon[0], lon, lat)
               and not any(ring_contains(hole, lon, lat) for hole in polygon[1:])
               for polygon in country)


def country_at(lon: float, lat: float) -> str | None:
    """The code of the country whose border contains (lon, lat), or None (sea, off map)."""
    for code, (_, country) in borders().items():
        if country_contains(country, lon, lat):
            return code
    return None


@dataclass(frozen=True)
class Conic:
    """Lambert conformal conic projection (spherical), output in km. See module doc."""

    lat1: float
    lat2: float
    lat0: float
    lon0: float

    @classmethod
    def for_extent(cls, west: float, south: float, east: float, north: float) -> Conic:
        """Standard parallels at 1/6 and 5/6 of the latitude span, origin at its centre."""
        span = north - south
        return cls(south + span / 6, north - span / 6, (south + north) / 2, (west + east) / 2)

    def _constants(self) -> tuple[float, float]:
        p1, p2 = math.radians(self.lat1), math.radians(self.lat2)
        t1, t2 = math.tan(math.pi / 4 + p1 / 2), math.tan(math.pi / 4 + p2 / 2)
        n = math.sin(p1) if abs(p1 - p2) < 1e-9 else \
            math.log(math.cos(p1) / math.cos(p2)) / math.log(t2 / t1)
        return n, math.cos(p1) * t1 ** n / n

    def forward(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """Project degrees (scalars or arrays) to (x, y) in km."""
        n, f = self._constants()
        lam = np.radians(np.asarray(lon, dtype=float) - self.lon0)
        phi = np.radians(np.clip(np.asarray(lat, dtype=float), -89.9, 89.9))
        rho = EARTH_RADIUS_KM * f / np.tan(np.pi / 4 + phi / 2) ** n
        rho0 = EARTH_RADIUS_KM * f / math.tan(math.pi / 4 + math.radians(self.lat0) / 2) ** n
        return rho * np.sin(n * lam), rho0 - rho * np.cos(n * lam)

    def scale(self, lat: float) -> float:
        """Map km per true km along the parallel ``lat`` (1 on the standard parallels)."""
        n, f = self._constants()
        phi = math.radians(lat)
        rho = f / math.tan(math.pi / 4 + phi / 2) ** n
        return n * rho / math.cos(phi)


def great_circle_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine distance on the sphere of :data:`EARTH_RADIUS_KM` (as SPEC §2.7)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + \
        math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))
