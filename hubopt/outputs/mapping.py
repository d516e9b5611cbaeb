"""Draw a plan on a map of Europe: PNG and SVG, offline (matplotlib, optional).

What is drawn, bottom to top:

- sea, land and country borders (Natural Earth, package data; see
  :mod:`hubopt.geo`), a graticule and light country names;
- flows: a curved line from hub to sector per Flows row, coloured by service,
  width ∝ quantity / largest flow of that service (services have different
  units, so widths compare within a service);
- sectors: dark diamonds, area ∝ the sector's share of total demand,
  averaged over services (again unit-free);
- sites: every site with a ring coloured by its threat (0–1, colour bar);
  candidates not opened are faint grey dots, sites not usable in this run
  (closed, or needing a ceasefire) faint crosses; open hubs are wedges, one
  per open module, coloured by service, area ∝ capacity / largest capacity
  offered for that service;
- legend, colour bar, a scale bar in km and the title (scenario, status, cost).

Projection: Lambert conformal conic fitted to the plan's extent
(:class:`hubopt.geo.Conic`), axes in km with equal aspect, so the scale bar
holds across the map to about 1 %.

matplotlib is the ``hubopt[map]`` extra. :func:`available` says whether it is
installed; callers skip the map with one warning when it is not.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from . import geo
from .mapdata import MapData

SERVICE_COLOURS = ("#1f6fb4", "#f28e1c", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
                   "#17becf", "#bcbd22")
SEA, LAND, BORDER = "#dce9f5", "#f4f1ea", "#9a9a9a"
SECTOR_COLOUR = "#3d3551"
FAINT = "#9a9a9a"
THREAT_CMAP = "YlOrRd"
FIGSIZE = (12.0, 8.5)   # inches
DPI = 150
MAP_BOX = (0.02, 0.06, 0.70, 0.84)   # axes rectangle in figure fractions: left, bottom, w, h


def available() -> bool:
    """True when matplotlib is installed (the ``hubopt[map]`` extra)."""
    try:
        return find_spec("matplotlib") is not None
    except (ImportError, ValueError):
        return False


@dataclass
class DrawnMap:
    """A rendered map: the figure, its map axes and projection, and the km
    extent of the axes (x0, x1, y0, y1), so callers can place coordinates."""

    figure: object
    axes: object
    projection: geo.Conic
    limits: tuple[float, float, float, float]

    def pixel(self, lon: float, lat: float) -> tuple[float, float]:
        """(column, row) in the saved raster (row 0 at the top) of a coordinate."""
        x, y = self.projection.forward(lon, lat)
        x0, x1, y0, y1 = self.limits
        left, bottom, width, height = MAP_BOX
        w_px, h_px = (s * self.figure.dpi for s in self.figure.get_size_inches())
        fx = left + (float(x) - x0) / (x1 - x0) * width
        fy = bottom + (float(y) - y0) / (y1 - y0) * height
        return fx * w_px, (1 - fy) * h_px


def service_colours(services: list[str]) -> dict[str, str]:
    return {s: SERVICE_COLOURS[i % len(SERVICE_COLOURS)] for i, s in enumerate(services)}


def extent(data: MapData) -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees: every located site and sector,
    padded by 12 % of the span plus 0.8° (more to the east, where names go)."""
    lons = np.concatenate([data.sites["longitude"], data.sectors["longitude"]]).astype(float)
    lats = np.concatenate([data.sites["latitude"], data.sectors["latitude"]]).astype(float)
    if not len(lons):
        return (14.0, 44.0, 40.0, 56.0)   # the theatre of the bundled example
    pad_x = 0.12 * (lons.max() - lons.min()) + 0.8
    pad_y = 0.12 * (lats.max() - lats.min()) + 0.8
    label_room = 0.08 * (lons.max() - lons.min()) + 1.0   # names are written to the east
    return (lons.min() - pad_x, lats.min() - pad_y, lons.max() + pad_x + label_room,
            lats.max() + pad_y)


def render(data: MapData, figsize: tuple[float, float] = FIGSIZE, dpi: int = DPI) -> DrawnMap:
    """Draw ``data`` on a new matplotlib Figure (no pyplot, no display)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, dpi=dpi, facecolor="white")
    west, south, east, north = extent(data)
    projection = geo.Conic.for_extent(west, south, east, north)
    limits = _limits(projection, (west, south, east, north), figsize)
    ax = figure.add_axes(MAP_BOX)
    ax.set_xlim(limits[0], limits[1])
    ax.set_ylim(limits[2], limits[3])
    ax.set_aspect("equal", adjustable="box")
    ax.set_facecolor(SEA)
    ax.set_xticks([])
    ax.set_yticks([])
    drawn = DrawnMap(figure, ax, projection, limits)
    unit = 0.022 * (limits[1] - limits[0])    # km: radius of a full-size hub marker
    colours = service_colours(data.services)

    _countries(ax, projection, limits)
    _graticule(ax, projection, (west, south, east, north))
    _flows(ax, projection, data, colours)
    _sectors(ax, projection, data, unit)
    threat = _sites(ax, projection, data, colours, unit)
    _scale_bar(ax, limits)
    _legend(figure, ax, data, colours, threat)
    _title(figure, data)
    return drawn


def _limits(projection: geo.Conic, box: tuple[float, float, float, float],
            figsize: tuple[float, float]) -> tuple[float, float, float, float]:
    """Axes limits in km covering ``box``, widened to the axes' aspect ratio."""
    west, south, east, north = box
    lons = np.concatenate([np.linspace(west, east, 50), np.full(50, east),
                           np.linspace(east, west, 50), np.full(50, west)])
    lats = np.concatenate([np.full(50, south), np.linspace(south, north, 50),
                           np.full(50, north), np.linspace(north, south, 50)])
    x, y = projection.forward(lons, lats)
    x0, x1, y0, y1 = x.min(), x.max(), y.min(), y.max()
    want = (MAP_BOX[3] * figsize[1]) / (MAP_BOX[2] * figsize[0])   # height / width
    if (y1 - y0) / (x1 - x0) < want:
        grow = want * (x1 - x0) - (y1 - y0)
        y0, y1 = y0 - grow / 2, y1 + grow / 2
    else:
        grow = (y1 - y0) / want - (x1 - x0)
        x0, x1 = x0 - grow / 2, x1 + grow / 2
    return float(x0), float(x1), float(y0), float(y1)


def _countries(ax, projection: geo.Conic, limits) -> None:
    from matplotlib.collections import PolyCollection
    from matplotlib.patheffects import withStroke

    x0, x1, y0, y1 = limits
    polygons, labels = [], []
    for _code, (name, country) in sorted(geo.borders().items()):
        biggest = None
        for polygon in country:
            for i, ring in enumerate(polygon):
                x, y = projection.forward(ring[:, 0], ring[:, 1])
                if x.max() < x0 or x.min() > x1 or y.max() < y0 or y.min() > y1:
                    continue
                polygons.append((np.column_stack([x, y]), i == 0))
                if i == 0 and (biggest is None or len(x) > len(biggest[0])):
                    biggest = (x, y)
        if biggest is not None:
            labels.append((name, biggest))
    outer = [p for p, is_outer in polygons if is_outer]
    holes = [p for p, is_outer in polygons if not is_outer]
    ax.add_collection(PolyCollection(outer, facecolors=LAND, edgecolors=BORDER,
                                     linewidths=0.7, zorder=1))
    if holes:
        ax.add_collection(PolyCollection(holes, facecolors=SEA, edgecolors=BORDER,
                                         linewidths=0.5, zorder=1.1))
    span = x1 - x0
    for name, (x, y) in labels:
        cx, cy = float(np.mean(x)), float(np.mean(y))
        inside = x0 + 0.04 * span < cx < x1 - 0.04 * span and y0 < cy < y1
        if inside and (x.max() - x.min()) > 0.05 * span:
            ax.text(cx, cy, name.upper(), fontsize=7.5, color="#8a8a8a", ha="center",
                    va="center", zorder=1.5, style="italic",
                    clip_on=True, path_effects=[withStroke(linewidth=2, foreground=LAND)])


def _graticule(ax, projection: geo.Conic, box) -> None:
    west, south, east, north = box
    step = 2 if max(east - west, north - south) <= 16 else 5
    for lon in np.arange(math.ceil(west / step) * step, east + 1e-9, step):
        x, y = projection.forward(np.full(60, lon), np.linspace(south - 5, north + 5, 60))
        ax.plot(x, y, color="#b9c6d3", linewidth=0.4, zorder=1.2)
    for lat in np.arange(math.ceil(south / step) * step, north + 1e-9, step):
        x, y = projection.forward(np.linspace(west - 10, east + 10, 120), np.full(120, lat))
        ax.plot(x, y, color="#b9c6d3", linewidth=0.4, zorder=1.2)


def _positions(projection: geo.Conic, frame, id_column: str) -> dict[str, tuple[float, float]]:
    x, y = projection.forward(frame["longitude"].to_numpy(float),
                              frame["latitude"].to_numpy(float))
    return {str(i): (float(a), float(b)) for i, a, b in zip(frame[id_column], x, y)}


def _flows(ax, projection: geo.Conic, data: MapData, colours: dict[str, str]) -> None:
    from matplotlib.patches import FancyArrowPatch

    if not len(data.flows):
        return
    sites = _positions(projection, data.sites, "id")
    sectors = _positions(projection, data.sectors, "id")
    flows = data.flows.copy()
    flows["quantity"] = flows["quantity"].astype(float)
    largest = flows.groupby("service")["quantity"].max().to_dict()
    order = {s: i for i, s in enumerate(data.services)}
    for row in flows.sort_values("quantity", ascending=False).itertuples(index=False):
        start, end = sites.get(str(row.site_id)), sectors.get(str(row.sector_id))
        if start is None or end is None or start == end:
            continue
        share = row.quantity / largest[row.service] if largest[row.service] else 0.0
        index = order.get(row.service, 0)
        bend = (0.12 + 0.1 * (index // 2)) * (1 if index % 2 else -1)   # services bend apart
        ax.add_patch(FancyArrowPatch(
            start, end, connectionstyle=f"arc3,rad={bend}",
            arrowstyle="-", linewidth=0.6 + 5.0 * share, color=colours[row.service],
            alpha=0.55, zorder=2, capstyle="round"))


def _demand_share(data: MapData) -> dict[str, float]:
    """Per sector: mean over services of its share of that service's total demand."""
    demand = data.demand[data.demand["quantity"] > 0]
    if not len(demand):
        return {}
    totals = demand.groupby("service")["quantity"].sum()
    share = demand.assign(share=demand["quantity"] / demand["service"].map(totals))
    services = max(1, demand["service"].nunique())
    return (share.groupby("sector_id")["share"].sum() / services).to_dict()


def _sectors(ax, projection: geo.Conic, data: MapData, unit: float) -> None:
    from matplotlib.patches import RegularPolygon
    from matplotlib.patheffects import withStroke

    share = _demand_share(data)
    largest = max(share.values(), default=1.0) or 1.0
    positions = _positions(projection, data.sectors, "id")
    for row in data.sectors.itertuples(index=False):
        x, y = positions[str(row.id)]
        s = share.get(str(row.id), 0.0)
        active = bool(row.usable) and s > 0
        radius = unit * (0.3 + 0.5 * math.sqrt(s / largest)) if active else unit * 0.3
        ax.add_patch(RegularPolygon((x, y), 4, radius=radius, orientation=0,
                                    facecolor=SECTOR_COLOUR if active else "white",
                                    edgecolor=SECTOR_COLOUR if active else FAINT,
                                    linewidth=0.8, alpha=0.8 if active else 0.6, zorder=3))
        ax.text(x + radius * 0.9, y - radius * 0.9, row.name or row.id, fontsize=7.5,
                color=SECTOR_COLOUR if active else FAINT, ha="left", va="top", zorder=6,
                style="italic", clip_on=True,
                path_effects=[withStroke(linewidth=2.2, foreground="white")])


def _sites(ax, projection: geo.Conic, data: MapData, colours: dict[str, str],
           unit: float):
    """Draw every site; return the threat ScalarMappable for the colour bar."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.patches import Circle, Wedge
    from matplotlib.patheffects import withStroke

    cmap, norm = colormaps[THREAT_CMAP], Normalize(0.0, 1.0)
    hubs = data.hubs.copy()
    hubs["capacity"] = hubs["capacity"].astype(float)
    # Size against the largest module opened anywhere for that service.
    largest = hubs.groupby("service")["capacity"].max().to_dict() if len(hubs) else {}
    positions = _positions(projection, data.sites, "id")
    for row in data.sites.itertuples(index=False):
        x, y = positions[str(row.id)]
        threat = float(row.threat)
        modules = hubs[hubs["site_id"].astype(str) == str(row.id)]
        ring = dict(facecolor="none", edgecolor=cmap(norm(0.15 + 0.85 * threat)),
                    zorder=4)
        if len(modules):
            # a posture's map (SPEC §3.5) marks modules built only later: dashed ring
            # when the whole site is built later, hatched wedges for its later modules
            later = modules["built"].eq("later") if "built" in modules else None
            dashed = later is not None and bool(later.all())
            ax.add_patch(Circle((x, y), unit * 1.22, linewidth=3.2,
                                linestyle=(0, (2, 1.5)) if dashed else "solid", **ring))
            ax.add_patch(Circle((x, y), unit * 1.05, facecolor="white", edgecolor="none",
                                alpha=0.85, zorder=4.1))
            step = 360.0 / len(modules)
            for i, module in enumerate(modules.sort_values("service").itertuples(index=False)):
                size = module.capacity / largest[module.service]
                added = getattr(module, "built", "now") == "later"
                ax.add_patch(Wedge((x, y), unit * (0.45 + 0.55 * math.sqrt(size)),
                                   90 + i * step, 90 + (i + 1) * step,
                                   facecolor=colours[module.service], edgecolor="white",
                                   linewidth=0.6, zorder=5, hatch="////" if added else None,
                                   alpha=0.55 if added else 1.0))
            ax.text(x + unit * 1.45, y + unit * 0.6, row.name or row.id, fontsize=8.5,
                    fontweight="bold", color="#1a1a1a", ha="left", va="bottom", zorder=7,
                    clip_on=True, path_effects=[withStroke(linewidth=2.5, foreground="white")])
        elif row.usable:
            ax.add_patch(Circle((x, y), unit * 0.55, linewidth=1.4, alpha=0.7, **ring))
            ax.add_patch(Circle((x, y), unit * 0.32, facecolor=FAINT, edgecolor="none",
                                alpha=0.55, zorder=4.2))
            ax.text(x + unit * 0.7, y + unit * 0.3, row.name or row.id, fontsize=7,
                    color=FAINT, ha="left", va="bottom", zorder=6,
                    clip_on=True, path_effects=[withStroke(linewidth=2, foreground="white")])
        else:
            ax.plot([x], [y], marker="x", markersize=6, color=FAINT, alpha=0.8,
                    markeredgewidth=1.2, zorder=4.2)
            ax.text(x + unit * 0.6, y + unit * 0.3, row.name or row.id, fontsize=6.5,
                    color="#b0b0b0", ha="left", va="bottom", zorder=6,
                    clip_on=True, path_effects=[withStroke(linewidth=2, foreground="white")])
    mappable = ScalarMappable(norm=norm, cmap=cmap)
    return mappable


def _nice_length(km: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ not above ``km``."""
    power = 10 ** math.floor(math.log10(km))
    return max(m * power for m in (1, 2, 5) if m * power <= km)


def _scale_bar(ax, limits) -> None:
    from matplotlib.patches import Rectangle

    x0, x1, y0, y1 = limits
    length = _nice_length(0.22 * (x1 - x0))
    left, base = x0 + 0.04 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    height = 0.012 * (y1 - y0)
    ax.add_patch(Rectangle((left - 0.015 * (x1 - x0), base - 0.035 * (y1 - y0)),
                           length + 0.05 * (x1 - x0), 0.095 * (y1 - y0), facecolor="white",
                           edgecolor="#cccccc", alpha=0.85, zorder=8))
    for i in range(4):
        ax.add_patch(Rectangle((left + i * length / 4, base), length / 4, height,
                               facecolor="#333333" if i % 2 == 0 else "white",
                               edgecolor="#333333", linewidth=0.8, zorder=9))
    for value in (0, length / 2, length):
        ax.text(left + value, base + height * 1.6, f"{value:,.0f}", fontsize=7.5,
                ha="center", va="bottom", zorder=9)
    ax.text(left + length / 2, base - height * 0.6, "km (true at 1/6 and 5/6 of the map's "
            "latitudes)", fontsize=6.5, ha="center", va="top", color="#555555", zorder=9)


def _legend(figure, ax, data: MapData, colours: dict[str, str], threat) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=colours[s], edgecolor="white", label=f"hub module: {s}")
               for s in data.services]
    handles += [
        Line2D([], [], linestyle="none", marker="o", markersize=12, markerfacecolor="white",
               markeredgecolor="#e8743b", markeredgewidth=2.5,
               label="ring: site threat (colour bar)"),
        Line2D([], [], linestyle="none", marker="o", markersize=6, markerfacecolor=FAINT,
               markeredgecolor="none", alpha=0.6, label="candidate, not opened"),
        Line2D([], [], linestyle="none", marker="x", markersize=6, color=FAINT,
               label="site not usable (closed / needs ceasefire)"),
        Line2D([], [], linestyle="none", marker="D", markersize=7,
               markerfacecolor=SECTOR_COLOUR, markeredgecolor=SECTOR_COLOUR,
               label="sector (size: share of demand)"),
        Line2D([], [], linestyle="none", marker="D", markersize=5, markerfacecolor="white",
               markeredgecolor=FAINT, label="sector without demand this run"),
    ]
    handles += [Line2D([], [], color=colours[s], linewidth=3, alpha=0.6,
                       label=f"flow: {s} (width: quantity)") for s in data.services]
    legend = figure.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.735, 0.90),
                           frameon=False, fontsize=8.5, handlelength=2.2, labelspacing=0.9,
                           title="Legend", title_fontproperties={"weight": "bold"},
                           alignment="left")
    legend.set_zorder(10)
    figure.draw_without_rendering()
    box = legend.get_window_extent().transformed(figure.transFigure.inverted())
    top = box.y0 - 0.02
    notes = ("Wedge area: module capacity relative to the\nlargest open module of its "
             "service.\nLine width: flow quantity relative to the\nlargest flow of its service.")
    figure.text(0.745, top, notes, fontsize=7.5, color="#444444", va="top")
    cax = figure.add_axes((0.745, top - 0.16, 0.2, 0.022))
    bar = figure.colorbar(threat, cax=cax, orientation="horizontal")
    bar.set_label("site threat (Sites threat, 0–1)", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    figure.text(0.745, 0.07, "Borders: Natural Earth (public domain); Crimea shown as part\n"
                "of Ukraine (UN GA resolution 68/262).", fontsize=6.5, color="#777777")


def _title(figure, data: MapData) -> None:
    s = data.summary
    figure.text(0.02, 0.965, f"{data.scenario}: {data.status}", fontsize=15,
                fontweight="bold", va="top")
    parts = []
    if _number(s.get("total_cost")) is not None:
        parts.append(f"total cost {_number(s['total_cost']):,.0f}")
    if _number(s.get("open_sites")) is not None:
        parts.append(f"{_number(s['open_sites']):.0f} sites, "
                     f"{_number(s.get('open_modules')) or 0:.0f} modules open")
    if _number(s.get("avg_hours")) is not None:
        parts.append(f"resupply avg {_number(s['avg_hours']):.1f} h, "
                     f"max {_number(s.get('max_hours')) or 0:.1f} h")
    if parts:
        figure.text(0.02, 0.925, " · ".join(parts), fontsize=10, color="#333333", va="top")


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def png_bytes(drawn: DrawnMap) -> bytes:
    """The map as PNG bytes."""
    buffer = io.BytesIO()
    drawn.figure.savefig(buffer, format="png", dpi=drawn.figure.dpi)
    return buffer.getvalue()


def save(drawn: DrawnMap, path: str | Path) -> Path:
    """Write the map to ``path`` atomically; the format follows the suffix (.png, .svg,
    .pdf). OutputError when it cannot be written."""
    from ..files.atomic import write_files_atomically

    path = Path(path)
    kind = path.suffix.lstrip(".").lower() or "png"
    return write_files_atomically([(path, lambda temporary: drawn.figure.savefig(
        temporary, format=kind, dpi=drawn.figure.dpi))])[0]
