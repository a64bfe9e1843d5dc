"""The checks of one exists record against what was tracked.

Pure functions on rows (anything with the column attributes of
``stacktach_ng.db.models.usage``): ``check(exists, launches, storage,
delete)`` returns ``(reason, detail)`` for a failure or ``(None, None)``
when the record is consistent. Times are compared to the second: only the
notifications of the launching request carry microseconds.

The image is not checked: nova changes an instance's image when a rebuild
starts but its launched_at only when the rebuild ends, so after a failed
or stuck rebuild a correct exists names another image than its launch.

Reason codes (``reason`` of a failed exists, part of the API):

* ``no_launched_at``: the exists carries no launched_at (creation time);
* ``no_launch_known``: no launch (upload, creation) of the resource known
  (an image is known from any glance notification that gives its
  creation time, its exists included);
* ``launched_at_mismatch``: launches are known, none at that second;
* ``flavor_mismatch``, ``project_mismatch``, ``size_mismatch``: the
  exists disagrees with the matching launch (or creation);
* ``deleted_at_mismatch``: the exists and the tracked deletion disagree
  (one of them is missing, or they differ);
* ``exists_after_deletion``: the resource was deleted before the audit
  period began.
"""

import datetime

from stacktach_ng.usage import extract

NO_LAUNCHED_AT = 'no_launched_at'
NO_LAUNCH_KNOWN = 'no_launch_known'
LAUNCHED_AT_MISMATCH = 'launched_at_mismatch'
FLAVOR_MISMATCH = 'flavor_mismatch'
PROJECT_MISMATCH = 'project_mismatch'
SIZE_MISMATCH = 'size_mismatch'
DELETED_AT_MISMATCH = 'deleted_at_mismatch'
EXISTS_AFTER_DELETION = 'exists_after_deletion'

REASONS = (NO_LAUNCHED_AT, NO_LAUNCH_KNOWN, LAUNCHED_AT_MISMATCH,
           FLAVOR_MISMATCH, PROJECT_MISMATCH, SIZE_MISMATCH,
           DELETED_AT_MISMATCH, EXISTS_AFTER_DELETION)

# A flavor change takes effect at the second nova notified it; an exists
# sent in that same second already carries it.
_SAME_SECOND = datetime.timedelta(seconds=1)

_FLAVOR_SIZES = ('vcpus', 'memory_mb', 'root_gb', 'ephemeral_gb')


def _iso(moment):
    return moment.isoformat(sep=' ') if moment is not None else 'none'


def _differ(left, right):
    return left is not None and right is not None and left != right


def _at_end(rows, ending, moment):
    """Of rows sorted by ``moment(row)``, the one in effect at ``ending``
    (the first one when all are later, or when ``ending`` is unknown)."""
    chosen = rows[0]
    if ending is None:
        return chosen
    for row in rows:
        if moment(row) < ending + _SAME_SECOND:
            chosen = row
    return chosen


def flavor_differs(exists, launch):
    """Whether the flavors differ, by flavor id, legacy instance type id
    or, lacking both, by sizes."""
    if exists.flavor_id is not None and launch.flavor_id is not None:
        return exists.flavor_id != launch.flavor_id
    if (exists.instance_type_id is not None
            and launch.instance_type_id is not None):
        return exists.instance_type_id != launch.instance_type_id
    left = [getattr(exists, name) for name in _FLAVOR_SIZES]
    right = [getattr(launch, name) for name in _FLAVOR_SIZES]
    if None in left or None in right:
        return False
    return left != right


def _flavor_text(row):
    return row.flavor_id or row.instance_type_id or row.flavor_name or '?'


def _check_delete(exists, delete):
    deleted_at = extract.to_second(delete.deleted_at) if delete else None
    beginning = exists.audit_period_beginning
    ending = exists.audit_period_ending
    if exists.deleted_at is not None:
        if beginning is not None and exists.deleted_at < beginning:
            return (EXISTS_AFTER_DELETION,
                    'deleted at %s, before the audit period began at %s'
                    % (_iso(exists.deleted_at), _iso(beginning)))
        if deleted_at is None:
            return (DELETED_AT_MISMATCH, 'exists deleted_at %s, no delete '
                    'known' % _iso(exists.deleted_at))
        if deleted_at != exists.deleted_at:
            return (DELETED_AT_MISMATCH, 'exists deleted_at %s, tracked %s'
                    % (_iso(exists.deleted_at), _iso(deleted_at)))
        return None, None
    if deleted_at is None:
        return None, None
    if beginning is not None and deleted_at <= beginning:
        return (EXISTS_AFTER_DELETION,
                'deleted at %s, before the audit period began at %s'
                % (_iso(deleted_at), _iso(beginning)))
    if ending is not None and deleted_at < ending:
        return (DELETED_AT_MISMATCH, 'exists has no deleted_at, tracked '
                'deleted at %s within the audit period' % _iso(deleted_at))
    return None, None


def check_instance(exists, launches, delete):
    """Check an instance exists against the instance's launches (sorted
    by effective_at) and its deletion (or None)."""
    if exists.launched_at is None:
        return NO_LAUNCHED_AT, 'the exists carries no launched_at'
    # What exists records report is what is being verified: only other
    # notifications count as evidence of a launch.
    launches = [launch for launch in launches
                if launch.evidence < extract.EVIDENCE_EXISTS]
    if not launches:
        return NO_LAUNCH_KNOWN, 'no launch of instance %s known' % (
            exists.resource_id)
    matching = [launch for launch in launches
                if launch.launched_at == exists.launched_at]
    if not matching:
        known = sorted({launch.launched_at for launch in launches})
        return (LAUNCHED_AT_MISMATCH,
                ('launched_at %s, known launches at %s'
                 % (_iso(exists.launched_at),
                    ', '.join(_iso(m) for m in known[-3:])))[:255])
    launch = _at_end(matching, exists.audit_period_ending,
                     lambda row: row.effective_at)
    if _differ(exists.project_id, launch.project_id):
        return PROJECT_MISMATCH, 'project %s, launched in %s' % (
            exists.project_id, launch.project_id)
    if flavor_differs(exists, launch):
        return FLAVOR_MISMATCH, 'flavor %s, launched with %s' % (
            _flavor_text(exists), _flavor_text(launch))
    return _check_delete(exists, delete)


def best_storage_evidence(segments):
    """The sizes to go by: those exists records reported only when no
    other notification told of the image (an exists seen alone is all
    there is of an image uploaded before tracking began; once an upload
    or another notification is known, an exists that disagrees with it
    must not vouch for itself)."""
    told = [row for row in segments
            if extract.storage_evidence(row.kind) < extract.EVIDENCE_EXISTS]
    return told or segments


def check_storage(exists, segments, delete):
    """Check an image or volume exists against its sizes (sorted by
    started_at) and its deletion (or None)."""
    segments = best_storage_evidence(segments)
    if not segments:
        if delete is None:
            return NO_LAUNCH_KNOWN, 'no creation of %s %s known' % (
                exists.resource_type, exists.resource_id)
        return _check_delete(exists, delete)
    first = segments[0]
    created_at = extract.to_second(first.created_at)
    if (exists.launched_at is not None and created_at is not None
            and created_at != exists.launched_at):
        return LAUNCHED_AT_MISMATCH, 'created_at %s, tracked %s' % (
            _iso(exists.launched_at), _iso(created_at))
    segment = _at_end(segments, exists.audit_period_ending,
                      lambda row: row.started_at)
    if _differ(exists.project_id, segment.project_id):
        return PROJECT_MISMATCH, 'project %s, tracked %s' % (
            exists.project_id, segment.project_id)
    if _differ(exists.size_bytes, segment.size_bytes):
        return SIZE_MISMATCH, 'size %s bytes, tracked %s' % (
            exists.size_bytes, segment.size_bytes)
    return _check_delete(exists, delete)


def check(exists, launches, storage, delete):
    """``(reason, detail)`` of a failed exists, ``(None, None)`` if
    consistent."""
    if exists.resource_type == 'instance':
        return check_instance(exists, launches, delete)
    return check_storage(exists, storage, delete)
