"""KPI rows: definitions, one value per KPI and day, and the once-only alert claims."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Kpi, KpiAlert, KpiValue

Point = tuple[date, Decimal]


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


# ---------------------------------------------------------------------- definitions


def get_kpi(*, session: Session, team_id: str, name_key: str) -> Kpi | None:
    """The team's KPI with this lower-cased name, if any."""
    return session.exec(select(Kpi).where(Kpi.team_id == team_id, Kpi.name_key == name_key)).first()


def get_kpi_by_id(*, session: Session, team_id: str, kpi_id: int, lock: bool = False) -> Kpi | None:
    """The team's KPI with this id (another team's id finds nothing); `lock` holds its row."""
    query = select(Kpi).where(Kpi.team_id == team_id, Kpi.id == kpi_id)
    return session.exec(query.with_for_update() if lock else query).first()


def insert_kpi(*, session: Session, kpi: Kpi) -> tuple[Kpi, bool]:
    """Insert `kpi`; when its name is taken in the team meanwhile, return that one instead."""
    try:
        with session.begin_nested():
            session.add(kpi)
            session.flush()
        return kpi, True
    except IntegrityError:
        existing = get_kpi(session=session, team_id=kpi.team_id, name_key=kpi.name_key)
        if existing is None:
            raise
        return existing, False


def update_kpi(*, session: Session, team_id: str, kpi_id: int, changes: Mapping[str, Any]) -> None:
    """Change some columns of the team's KPI."""
    if changes:
        session.execute(
            update(Kpi)
            .where(col(Kpi.team_id) == team_id, col(Kpi.id) == kpi_id)
            .values(**dict(changes))
        )


def list_kpis(*, session: Session, team_id: str, limit: int = 500) -> list[Kpi]:
    """The team's KPIs by name."""
    return list(
        session.exec(
            select(Kpi).where(Kpi.team_id == team_id).order_by(col(Kpi.name_key)).limit(limit)
        )
    )


def count_kpis(*, session: Session, team_id: str) -> int:
    """How many KPIs the team has."""
    return int(
        session.exec(select(func.count()).select_from(Kpi).where(Kpi.team_id == team_id)).one()
    )


def teams_with_kpis(*, session: Session, limit: int = 20) -> list[str]:
    """The teams that have defined a KPI (to pick the team when a tool names none)."""
    return list(
        session.exec(select(Kpi.team_id).distinct().order_by(col(Kpi.team_id)).limit(limit))
    )


def delete_kpi(*, session: Session, team_id: str, kpi_id: int) -> int | None:
    """Delete the KPI with its values and alert claims; the number of values, None if absent."""
    kpi = get_kpi_by_id(session=session, team_id=team_id, kpi_id=kpi_id)
    if kpi is None:
        return None
    removed = session.execute(
        delete(KpiValue).where(col(KpiValue.team_id) == team_id, col(KpiValue.kpi_id) == kpi_id)
    )
    session.execute(
        delete(KpiAlert).where(col(KpiAlert.team_id) == team_id, col(KpiAlert.kpi_id) == kpi_id)
    )
    session.execute(delete(Kpi).where(col(Kpi.team_id) == team_id, col(Kpi.id) == kpi_id))
    return int(removed.rowcount)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- values


def count_values(*, session: Session, team_id: str, kpi_id: int) -> int:
    """How many days have a value."""
    return int(
        session.exec(
            select(func.count())
            .select_from(KpiValue)
            .where(KpiValue.team_id == team_id, KpiValue.kpi_id == kpi_id)
        ).one()
    )


def get_value(*, session: Session, team_id: str, kpi_id: int, on: date) -> KpiValue | None:
    """The value recorded for this day, if any."""
    return session.exec(
        select(KpiValue).where(
            KpiValue.team_id == team_id, KpiValue.kpi_id == kpi_id, KpiValue.on == on
        )
    ).first()


def upsert_value(
    *,
    session: Session,
    team_id: str,
    kpi_id: int,
    on: date,
    value: Decimal,
    source: str,
    recorded_by: str | None,
    at: datetime,
) -> None:
    """Record the day's value, replacing an earlier one (the unique (kpi_id, on) decides)."""
    insert = _insert(session)(KpiValue).values(
        team_id=team_id,
        kpi_id=kpi_id,
        on=on,
        value=value,
        source=source,
        recorded_by=recorded_by,
        recorded_at=at,
    )
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["kpi_id", "on"],
            set_={
                "value": insert.excluded.value,
                "source": insert.excluded.source,
                "recorded_by": insert.excluded.recorded_by,
                "recorded_at": insert.excluded.recorded_at,
            },
        )
    )


def value_before(*, session: Session, team_id: str, kpi_id: int, on: date) -> KpiValue | None:
    """The latest value dated before `on`."""
    return session.exec(
        select(KpiValue)
        .where(KpiValue.team_id == team_id, KpiValue.kpi_id == kpi_id, col(KpiValue.on) < on)
        .order_by(col(KpiValue.on).desc())
        .limit(1)
    ).first()


def has_value_after(*, session: Session, team_id: str, kpi_id: int, on: date) -> bool:
    """Whether a value dated after `on` exists."""
    found = session.exec(
        select(KpiValue.id)
        .where(KpiValue.team_id == team_id, KpiValue.kpi_id == kpi_id, col(KpiValue.on) > on)
        .limit(1)
    ).first()
    return found is not None


def values_between(
    *, session: Session, team_id: str, kpi_ids: Sequence[int], since: date, until: date
) -> dict[int, list[Point]]:
    """Each KPI's values dated from `since` to `until` (both included), oldest first."""
    found: dict[int, list[Point]] = {kpi_id: [] for kpi_id in kpi_ids}
    if not kpi_ids:
        return found
    rows = session.exec(
        select(col(KpiValue.kpi_id), col(KpiValue.on), col(KpiValue.value))
        .where(
            KpiValue.team_id == team_id,
            col(KpiValue.kpi_id).in_(list(kpi_ids)),
            col(KpiValue.on) >= since,
            col(KpiValue.on) <= until,
        )
        .order_by(col(KpiValue.kpi_id), col(KpiValue.on))
    )
    for kpi_id, on, value in rows:
        found[kpi_id].append((on, Decimal(value)))
    return found


def latest_values(
    *,
    session: Session,
    team_id: str,
    kpi_ids: Sequence[int],
    bounds: Mapping[int, tuple[date | None, date | None]] | None = None,
) -> dict[int, Point]:
    """Each KPI's latest value, one query; `bounds` limits a KPI's dates to [low, high]."""
    if not kpi_ids:
        return {}
    conditions = [col(KpiValue.team_id) == team_id]
    if bounds is None:
        conditions.append(col(KpiValue.kpi_id).in_(list(kpi_ids)))
    else:
        per_kpi = []
        for kpi_id in kpi_ids:
            low, high = bounds.get(kpi_id, (None, None))
            parts = [col(KpiValue.kpi_id) == kpi_id]
            if low is not None:
                parts.append(col(KpiValue.on) >= low)
            if high is not None:
                parts.append(col(KpiValue.on) <= high)
            per_kpi.append(and_(*parts))
        conditions.append(or_(*per_kpi))
    ranked = (
        sa_select(
            col(KpiValue.kpi_id).label("kpi_id"),
            col(KpiValue.on).label("on"),
            col(KpiValue.value).label("value"),
            func.row_number()
            .over(partition_by=col(KpiValue.kpi_id), order_by=col(KpiValue.on).desc())
            .label("rank"),
        )
        .where(*conditions)
        .subquery()
    )
    rows = session.execute(
        sa_select(ranked.c.kpi_id, ranked.c.on, ranked.c.value).where(ranked.c.rank == 1)
    )
    return {int(kpi_id): (on, Decimal(value)) for kpi_id, on, value in rows}


# ---------------------------------------------------------------------- alerts


def claim_alert(
    *, session: Session, team_id: str, kpi_id: int, on: date, state: str, at: datetime
) -> bool:
    """Reserve the one alert for this KPI, day and crossing; False when already claimed."""
    # RETURNING, not rowcount: SQLAlchemy does not promise an INSERT's rowcount on psycopg.
    claimed = session.execute(
        _insert(session)(KpiAlert)
        .values(team_id=team_id, kpi_id=kpi_id, on=on, state=state, claimed_at=at)
        .on_conflict_do_nothing(index_elements=["kpi_id", "on", "state"])
        .returning(col(KpiAlert.kpi_id))
    ).first()
    return claimed is not None


def release_alert(*, session: Session, team_id: str, kpi_id: int, on: date, state: str) -> None:
    """Give a claim back when its post failed, so a later recording can try again."""
    session.execute(
        delete(KpiAlert).where(
            col(KpiAlert.team_id) == team_id,
            col(KpiAlert.kpi_id) == kpi_id,
            col(KpiAlert.on) == on,
            col(KpiAlert.state) == state,
            col(KpiAlert.posted_at).is_(None),
        )
    )


def mark_alert_posted(
    *, session: Session, team_id: str, kpi_id: int, on: date, state: str, at: datetime
) -> None:
    """Record that the alert went out."""
    session.execute(
        update(KpiAlert)
        .where(
            col(KpiAlert.team_id) == team_id,
            col(KpiAlert.kpi_id) == kpi_id,
            col(KpiAlert.on) == on,
            col(KpiAlert.state) == state,
        )
        .values(posted_at=at)
    )
