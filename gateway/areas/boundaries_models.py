"""A commune's (or cercle's) outline, simplified for the web, as imported from OCHA COD-AB."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base, UTCDateTime


class AreaBoundary(Base):
    """One row per area; a re-import of its level replaces it. `geometry` is a GeoJSON MultiPolygon
    in longitude/latitude degrees (rounded, compact JSON); the bbox lets the map frame a committee's
    communes without reading every outline."""

    __tablename__ = "area_boundaries"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)
    geometry: Mapped[str] = mapped_column(Text)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    # Sizes before and after simplifying, so an operator can see what the web copy kept.
    source_vertices: Mapped[int] = mapped_column(Integer)
    vertices: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(255))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
