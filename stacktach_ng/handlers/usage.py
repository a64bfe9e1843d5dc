"""The ``usage`` handler: launches, deletes, sizes and exists records.

It tracks what billing needs (SPEC section 4, Usage) and leaves the
verification of exists records to ``stacktach-ng-verifier``: an exists
is stored as ``pending`` and checked only after ``[verifier]
settle_delay``, so that a launch arriving after its exists is not a
failure.
"""

import sqlalchemy as sa

from stacktach_ng.handlers import base
from stacktach_ng.usage import extract
from stacktach_ng.usage import store


class UsageHandler(base.Handler):
    """Derive the usage rows of a batch (see ``stacktach_ng.usage``)."""

    def process(self, connection, records):
        launches = []
        deletes = []
        storage = []
        exists = []
        periods = []
        # Observations: the earliest record of each launch (see
        # extract.observation_key); their rows are built after the loop.
        observed = {}
        for record in records:
            event_type = record.row['event_type']
            meaning = extract.classify(event_type)
            if meaning is None:
                continue
            if meaning == extract.OBSERVED:
                key = extract.observation_key(record)
                if key is None:
                    continue
                earliest = observed.get(key)
                if earliest is None or (record.row['generated_at']
                                        < earliest.row['generated_at']):
                    observed[key] = record
            elif meaning == extract.LAUNCH:
                row = extract.launch_row(
                    record, extract.LAUNCH_EVENTS[event_type])
                if row is not None:
                    launches.append(row)
            elif meaning == extract.DELETE:
                row = extract.instance_delete_row(record)
                if row is not None:
                    deletes.append(row)
            elif meaning == extract.EXISTS:
                if extract.EXISTS_EVENTS[event_type] == 'image':
                    storage.extend(extract.image_observation_rows(record))
                for row in extract.exists_rows(record):
                    exists.append(row)
                    if row['resource_type'] == 'instance':
                        launch = extract.launch_row(record,
                                                    extract.EXISTS_KIND)
                        if launch is not None:
                            launches.append(launch)
                    if row['resource_type'] == 'instance' and (
                            extract.is_regular_period(
                                row['audit_period_beginning'],
                                row['audit_period_ending'])):
                        periods.append((row['audit_period_beginning'],
                                        row['audit_period_ending']))
            elif meaning == extract.STORAGE:
                row = extract.storage_row(record)
                if row is not None:
                    storage.append(row)
            elif meaning == extract.IMAGE_OBSERVED:
                storage.extend(extract.image_observation_rows(record))
            elif meaning == extract.STORAGE_DELETE:
                row = extract.storage_delete_row(record)
                if row is not None:
                    deletes.append(row)
        for record in observed.values():
            row = extract.launch_row(record, extract.OBSERVED)
            if row is not None:
                launches.append(row)
        if launches:
            store.write_launches(connection, launches)
        if deletes:
            store.write_deletes(connection, deletes)
        if storage:
            store.write_storage(connection, storage)
        if exists:
            store.write_exists(connection, exists)
        if periods:
            store.write_periods(connection, periods)
        return records

    def purge(self, connection, before, batch_size):
        """Delete exists records and missing reports older than
        ``before``, and the launches, sizes and deletion of resources
        deleted before it; at most ``batch_size`` rows of each table."""
        total = 0
        total += _purge_ids(connection, store.EXISTS,
                            store.EXISTS.c.received_at < before, batch_size)
        total += _purge_ids(connection, store.MISSING,
                            store.MISSING.c.audit_period_ending < before,
                            batch_size)
        total += _purge_ids(connection, store.PERIODS,
                            store.PERIODS.c.ending < before, batch_size)
        gone = connection.execute(
            sa.select(store.DELETES.c.id, store.DELETES.c.resource_type,
                      store.DELETES.c.resource_id)
            .where(store.DELETES.c.deleted_at < before)
            .order_by(store.DELETES.c.id).limit(batch_size)).all()
        instances = [row.resource_id for row in gone
                     if row.resource_type == 'instance']
        others = [row.resource_id for row in gone
                  if row.resource_type != 'instance']
        if instances:
            total += connection.execute(store.LAUNCHES.delete().where(
                store.LAUNCHES.c.instance_id.in_(instances))).rowcount
        if others:
            total += connection.execute(store.STORAGE.delete().where(
                store.STORAGE.c.resource_id.in_(others))).rowcount
        if gone:
            total += connection.execute(store.DELETES.delete().where(
                store.DELETES.c.id.in_([row.id for row in gone]))).rowcount
        return total


def _purge_ids(connection, table, condition, batch_size):
    ids = connection.execute(
        sa.select(table.c.id).where(condition).order_by(table.c.id)
        .limit(batch_size)).scalars().all()
    if not ids:
        return 0
    connection.execute(table.delete().where(table.c.id.in_(ids)))
    return len(ids)
