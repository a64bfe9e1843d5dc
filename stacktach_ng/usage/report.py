"""Usage per project over a period, from the tracked launches and sizes.

An instance is billed from its first launch until its deletion; each
launch row starts a segment at its ``effective_at`` with its flavor, so a
resize changes the rate from the moment it finished (a revert from the
moment it was reverted). Images and volumes are billed from their
creation, at their size, until deleted; a volume resize starts a new
segment. An image known from its exists records alone (uploaded before
tracking began) is billed from the creation time they report, as an
instance known from its exists alone is. Everything is clipped to
``[start, end)``.

Figures: instance hours, vcpu hours, RAM MB hours, disk GB hours (root +
ephemeral), image GB hours, volume GB hours (GB = GiB, 2**30 bytes), and
the instance figures per flavor.
"""

import csv

import sqlalchemy as sa

from stacktach_ng.common import timestamps
from stacktach_ng.usage import checks
from stacktach_ng.usage import extract
from stacktach_ng.usage import store

LAUNCHES = store.LAUNCHES
DELETES = store.DELETES
STORAGE = store.STORAGE

_FLAVOR_FIGURES = ('instances', 'instance_hours', 'vcpu_hours',
                   'memory_mb_hours', 'disk_gb_hours')
PROJECT_FIGURES = _FLAVOR_FIGURES + ('image_gb_hours', 'volume_gb_hours')
CSV_COLUMNS = (('scope', 'project_id', 'flavor_id', 'flavor_name')
               + PROJECT_FIGURES)
_DECIMALS = 6


def _hours(first, last):
    return max((last - first).total_seconds(), 0.0) / 3600.0


class _Figures:
    __slots__ = ('instances', 'instance_hours', 'vcpu_hours',
                 'memory_mb_hours', 'disk_gb_hours', 'image_gb_hours',
                 'volume_gb_hours', 'flavor_name', '_seen')

    def __init__(self, flavor_name=None):
        self.instances = 0
        self.instance_hours = 0.0
        self.vcpu_hours = 0.0
        self.memory_mb_hours = 0.0
        self.disk_gb_hours = 0.0
        self.image_gb_hours = 0.0
        self.volume_gb_hours = 0.0
        self.flavor_name = flavor_name
        self._seen = set()

    def add_instance_segment(self, instance_id, launch, hours):
        if instance_id not in self._seen:
            self._seen.add(instance_id)
            self.instances += 1
        self.instance_hours += hours
        self.vcpu_hours += (launch.vcpus or 0) * hours
        self.memory_mb_hours += (launch.memory_mb or 0) * hours
        self.disk_gb_hours += ((launch.root_gb or 0)
                               + (launch.ephemeral_gb or 0)) * hours

    def as_dict(self, names):
        return {name: (round(getattr(self, name), _DECIMALS)
                       if isinstance(getattr(self, name), float)
                       else getattr(self, name)) for name in names}


def _instance_groups(connection, start, end, project_id):
    """(instance_id, deleted_at, launches) of every instance billed in the
    period, streamed in instance order."""
    query = (
        sa.select(LAUNCHES, DELETES.c.deleted_at.label('deleted_at'))
        .select_from(LAUNCHES.outerjoin(DELETES, sa.and_(
            DELETES.c.resource_type == 'instance',
            DELETES.c.resource_id == LAUNCHES.c.instance_id)))
        .where(LAUNCHES.c.effective_at < end)
        .where(sa.or_(DELETES.c.deleted_at.is_(None),
                      DELETES.c.deleted_at > start))
        .order_by(LAUNCHES.c.instance_id, LAUNCHES.c.effective_at))
    if project_id is not None:
        query = query.where(LAUNCHES.c.project_id == project_id)
    yield from _grouped(connection, query, lambda row: row.instance_id)


def _grouped(connection, query, key):
    # Streamed: memory stays bounded by one resource's rows.
    result = connection.execute(query.execution_options(yield_per=2000))
    current = None
    rows = []
    for row in result:
        k = key(row)
        if rows and k != current:
            yield current, rows
            rows = []
        current = k
        rows.append(row)
    if rows:
        yield current, rows


def _best_evidence(rows):
    """The launches to bill: those reported by exists records only when
    no other notification told of a launch of the instance (an exists
    with a wrong launched_at must not bill a second life)."""
    if any(row.evidence < extract.EVIDENCE_EXISTS for row in rows):
        return [row for row in rows
                if row.evidence < extract.EVIDENCE_EXISTS]
    return rows


def _segments(rows, moment, start, end):
    """(row, hours) of consecutive segments, each until the next one or
    the deletion, clipped to [start, end)."""
    deleted_at = rows[0].deleted_at
    stop_all = min(end, deleted_at) if deleted_at is not None else end
    for index, row in enumerate(rows):
        first = max(moment(row), start)
        last = moment(rows[index + 1]) if index + 1 < len(rows) else end
        last = min(last, stop_all)
        if last > first:
            yield row, _hours(first, last)


def compute(connection, start, end, project_id=None):
    """The usage report of ``[start, end)`` (naive UTC datetimes) for one
    project or all (``project_id`` None).

    :returns: ``{"start", "end", "project_id", "projects": [{"project_id",
        "instances", "instance_hours", "vcpu_hours", "memory_mb_hours",
        "disk_gb_hours", "image_gb_hours", "volume_gb_hours", "flavors":
        [{"flavor_id", "flavor_name", "instances", "instance_hours",
        "vcpu_hours", "memory_mb_hours", "disk_gb_hours"}]}], "totals":
        {the project figures over all projects}}``, projects sorted by id,
        hours rounded to 6 decimals.
    """
    if end <= start:
        raise ValueError('the end of the period must be after its start')
    projects = {}
    flavors = {}

    def project(pid):
        if pid not in projects:
            projects[pid] = _Figures()
        return projects[pid]

    for instance_id, rows in _instance_groups(connection, start, end,
                                              project_id):
        rows = _best_evidence(rows)
        for launch, hours in _segments(rows, lambda r: r.effective_at,
                                       start, end):
            project(launch.project_id).add_instance_segment(
                instance_id, launch, hours)
            flavor_id = launch.flavor_id or launch.instance_type_id
            key = (launch.project_id, flavor_id)
            if key not in flavors:
                flavors[key] = _Figures(launch.flavor_name)
            flavors[key].add_instance_segment(instance_id, launch, hours)

    query = (
        sa.select(STORAGE, DELETES.c.deleted_at.label('deleted_at'))
        .select_from(STORAGE.outerjoin(DELETES, sa.and_(
            DELETES.c.resource_type == STORAGE.c.resource_type,
            DELETES.c.resource_id == STORAGE.c.resource_id)))
        .where(STORAGE.c.started_at < end)
        .where(sa.or_(DELETES.c.deleted_at.is_(None),
                      DELETES.c.deleted_at > start))
        .order_by(STORAGE.c.resource_type, STORAGE.c.resource_id,
                  STORAGE.c.started_at))
    if project_id is not None:
        query = query.where(STORAGE.c.project_id == project_id)
    for (resource_type, _rid), rows in _grouped(
            connection, query,
            lambda row: (row.resource_type, row.resource_id)):
        rows = checks.best_storage_evidence(rows)
        for segment, hours in _segments(rows, lambda r: r.started_at,
                                        start, end):
            gb_hours = (segment.size_bytes or 0) / extract.GIB * hours
            figures = project(segment.project_id)
            if resource_type == 'image':
                figures.image_gb_hours += gb_hours
            else:
                figures.volume_gb_hours += gb_hours

    totals = _Figures()
    out = []
    for pid in sorted(projects, key=lambda p: (p is None, p or '')):
        figures = projects[pid]
        entry = {'project_id': pid}
        entry.update(figures.as_dict(PROJECT_FIGURES))
        entry['flavors'] = []
        for (fpid, flavor_id), ffig in sorted(
                flavors.items(), key=lambda item: str(item[0][1])):
            if fpid != pid:
                continue
            flavor = {'flavor_id': flavor_id,
                      'flavor_name': ffig.flavor_name}
            flavor.update(ffig.as_dict(_FLAVOR_FIGURES))
            entry['flavors'].append(flavor)
        out.append(entry)
        for name in PROJECT_FIGURES:
            setattr(totals, name, getattr(totals, name)
                    + getattr(figures, name))
    return {
        'start': timestamps.iso(start),
        'end': timestamps.iso(end),
        'project_id': project_id,
        'projects': out,
        'totals': totals.as_dict(PROJECT_FIGURES),
    }


def write_csv(report, stream):
    """Write a report as CSV: a ``project`` row per project, then a
    ``flavor`` row per flavor of that project (columns ``CSV_COLUMNS``)."""
    writer = csv.writer(stream, lineterminator='\n')
    writer.writerow(CSV_COLUMNS)
    for entry in report['projects']:
        writer.writerow(['project', entry['project_id'] or '', '', '']
                        + [entry[name] for name in PROJECT_FIGURES])
        for flavor in entry['flavors']:
            writer.writerow(
                ['flavor', entry['project_id'] or '',
                 flavor['flavor_id'] or '', flavor['flavor_name'] or '']
                + [flavor.get(name, '') for name in _FLAVOR_FIGURES]
                + ['', ''])
