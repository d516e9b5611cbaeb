"""Build hubopt/data/europe_borders.geojson from Natural Earth admin-0 countries.

Reproducible, run from the repository root (needs shapely, a build-time tool only;
hubopt itself reads the output with the standard library)::

    pip install 'shapely>=2.0'
    python tools/make_borders.py ../shared/geo/ne_50m_admin_0_countries.geojson

Steps (the provenance note hubopt/data/europe_borders.md repeats them):

1. Read Natural Earth 1:50m ``ne_50m_admin_0_countries`` (public domain).
2. Crimea: Natural Earth's default layer draws it inside Russia (its de facto
   policy). The map must show internationally recognised borders (UN General
   Assembly resolution 68/262), so the one part of Russia's multipolygon whose
   centroid lies in 44.4–46.3 N, 32.4–36.7 E is removed from RUS and merged
   (unary union, so no line is left at the Perekop isthmus) into UKR.
3. Clip every country to the window lon WEST..EAST, lat SOUTH..NORTH (Europe
   with Iceland, Turkey, the Caucasus, Ukraine and western Russia).
4. Simplify each country (Douglas–Peucker, topology preserving, TOLERANCE
   degrees, about 1 km), drop parts smaller than MIN_AREA square degrees,
   round coordinates to DECIMALS decimals.
5. Keep only the properties ``ADM0_A3`` (code) and ``NAME``; write compact JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from shapely.geometry import MultiPolygon, Polygon, box, shape
from shapely.ops import unary_union

WEST, SOUTH, EAST, NORTH = -25.0, 30.0, 50.0, 72.0
TOLERANCE = 0.01         # degrees
MIN_AREA = 0.002         # square degrees (about 20 km² in central Europe)
DECIMALS = 3             # about 100 m
CRIMEA_BOX = (32.4, 44.4, 36.7, 46.3)   # lon_min, lat_min, lon_max, lat_max of its centroid
OUTPUT = Path(__file__).resolve().parents[1] / "hubopt" / "data" / "europe_borders.geojson"


def crimea_to_ukraine(countries: dict[str, tuple[str, object]]) -> None:
    """Move the Crimean part of RUS into UKR (UN GA resolution 68/262)."""
    name_rus, russia = countries["RUS"]
    name_ukr, ukraine = countries["UKR"]
    west, south, east, north = CRIMEA_BOX
    parts = list(russia.geoms)
    crimea = [p for p in parts
              if west <= p.centroid.x <= east and south <= p.centroid.y <= north]
    if len(crimea) != 1:
        raise SystemExit(f"expected one Crimean part in RUS, found {len(crimea)}")
    countries["RUS"] = (name_rus, MultiPolygon([p for p in parts if p is not crimea[0]]))
    countries["UKR"] = (name_ukr, unary_union([ukraine, crimea[0]]))


def _polygons(geometry) -> list[Polygon]:
    if geometry.is_empty:
        return []
    if isinstance(geometry, Polygon):
        return [geometry]
    return [g for part in getattr(geometry, "geoms", []) for g in _polygons(part)]


def _rounded(polygon: Polygon) -> list[list[list[float]]]:
    rings = []
    for ring in [polygon.exterior, *polygon.interiors]:
        points: list[list[float]] = []
        for x, y in ring.coords:
            point = [round(x, DECIMALS), round(y, DECIMALS)]
            if not points or point != points[-1]:
                points.append(point)
        if len(points) >= 4:
            rings.append(points)
    return rings


def build(source: Path) -> dict:
    data = json.loads(source.read_text(encoding="utf-8"))
    countries = {f["properties"]["ADM0_A3"]: (f["properties"]["NAME"], shape(f["geometry"]))
                 for f in data["features"]}
    crimea_to_ukraine(countries)
    window = box(WEST, SOUTH, EAST, NORTH)
    features = []
    for code in sorted(countries):
        name, geometry = countries[code]
        clipped = geometry.intersection(window)
        simple = clipped.simplify(TOLERANCE, preserve_topology=True)
        parts = [_rounded(p) for p in _polygons(simple) if p.area >= MIN_AREA]
        parts = [p for p in parts if p]
        if not parts:
            continue
        features.append({"type": "Feature", "properties": {"ADM0_A3": code, "NAME": name},
                         "geometry": {"type": "MultiPolygon", "coordinates": parts}})
    return {"type": "FeatureCollection",
            "source": "Natural Earth ne_50m_admin_0_countries (public domain); "
                      "Crimea in UKR per UN GA resolution 68/262; see europe_borders.md",
            "features": features}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="ne_50m_admin_0_countries.geojson")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    collection = build(args.source)
    text = json.dumps(collection, separators=(",", ":"), ensure_ascii=False)
    args.output.write_text(text + "\n", encoding="utf-8")
    vertices = sum(len(r) for f in collection["features"]
                   for p in f["geometry"]["coordinates"] for r in p)
    print(f"{args.output}: {len(collection['features'])} countries, {vertices} vertices, "
          f"{len(text.encode()):,} bytes")


if __name__ == "__main__":
    main()
