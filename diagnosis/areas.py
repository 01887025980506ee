"""The hierarchy of areas (province → city → district/zone → sub-zone) as data.

Every zone is an area (made when the zone is); higher areas are made by the operator and
zones are placed under them. What staff of an area may see is decided in access.py from
these rows; this module only builds and reads the tree.
"""
from __future__ import annotations

import sqlalchemy as sa

from .extensions import db
from .models import Area, Zone

# What each kind may sit under (None: at the top, e.g. a city-level deployment).
PARENT_KINDS = {"province": (None,), "city": (None, "province"), "zone": (None, "city", "province"), "sub_zone": ("zone",)}


@sa.event.listens_for(Zone, "after_insert")
def _zone_is_an_area(mapper, connection, zone: Zone) -> None:
    """A new zone stands as a top-level zone area until it is placed under a city."""
    areas = Area.__table__
    area_id = connection.execute(areas.insert().values(kind="zone", name=zone.name, path="", zone_id=zone.id)
                                 .returning(areas.c.id)).scalar_one()
    connection.execute(areas.update().where(areas.c.id == area_id).values(path=f"/{area_id}/"))


def create(kind: str, name: str, parent: Area | None = None, zone_id: int | None = None) -> Area:
    """A new area below `parent` (a province has none); ValueError for a kind that cannot sit there."""
    if kind not in PARENT_KINDS or (parent.kind if parent else None) not in PARENT_KINDS[kind]:
        raise ValueError(f"a {kind} cannot be placed under {parent.kind if parent else 'nothing'}")
    area = Area(kind=kind, name=name, parent_id=parent.id if parent else None, path="",
                zone_id=zone_id if zone_id is not None else (parent.zone_id if kind == "sub_zone" else None))
    db.session.add(area)
    db.session.flush()
    area.path = f"{parent.path if parent else '/'}{area.id}/"
    return area


def of_zone(zone_id: int) -> Area | None:
    return db.session.scalar(sa.select(Area).where(Area.zone_id == zone_id, Area.kind == "zone"))


def place(area: Area, parent: Area) -> None:
    """Move an area (a zone with its sub-zones) under a higher one; every path below is rewritten."""
    if area.kind not in PARENT_KINDS or parent.kind not in PARENT_KINDS[area.kind]:
        raise ValueError(f"a {area.kind} cannot be placed under a {parent.kind}")
    old, new = area.path, f"{parent.path}{area.id}/"
    for below in db.session.scalars(sa.select(Area).where(Area.path.startswith(old, autoescape=True))):
        below.path = new + below.path[len(old):]
    area.parent_id = parent.id
    db.session.flush()


def zone_ids_under(area: Area) -> sa.Select:
    """The zones at or below an area (for a sub-zone: its zone)."""
    if area.kind == "sub_zone":
        return sa.select(sa.literal(area.zone_id))
    return sa.select(Area.zone_id).where(Area.path.startswith(area.path, autoescape=True), Area.kind == "zone")


def zone_parents() -> dict[int, tuple[int, int]]:
    """For each zone: the ids of the city and the province its area lies in (0 where none)."""
    kinds = dict(db.session.execute(sa.select(Area.id, Area.kind).where(Area.kind.in_(("city", "province")))).all())
    out = {}
    for zone_id, path in db.session.execute(sa.select(Area.zone_id, Area.path).where(Area.kind == "zone")).all():
        ids = [int(x) for x in path.strip("/").split("/") if x]
        out[zone_id] = (next((i for i in ids if kinds.get(i) == "city"), 0),
                        next((i for i in ids if kinds.get(i) == "province"), 0))
    return out


def below(area: Area, kind: str | None = None) -> list[Area]:
    """The areas under this one (not itself), top down."""
    q = sa.select(Area).where(Area.path.startswith(area.path, autoescape=True), Area.id != area.id)
    if kind:
        q = q.where(Area.kind == kind)
    return list(db.session.scalars(q.order_by(Area.path)))


def chain(area: Area) -> list[Area]:
    """The area and those above it, top first."""
    ids = [int(i) for i in area.path.strip("/").split("/") if i]
    found = {a.id: a for a in db.session.scalars(sa.select(Area).where(Area.id.in_(ids)))}
    return [found[i] for i in ids if i in found]
