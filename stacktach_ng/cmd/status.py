"""``stacktach-ng-status upgrade check``: is this deployment ready to run?

Run it after an upgrade (or a first install) and before restarting the
services. The exit code is oslo.upgradecheck's: 0 success, 1 warning, 2
failure, 255 an unexpected error. The checks:

* the database is reachable and its schema is at the head revision of the
  installed code;
* PostgreSQL: the day partitions of the partitioned tables exist from
  today to ``[retention] partition_days_ahead`` days ahead;
* MySQL/MariaDB: no 3-byte ``utf8`` character set on the connection, the
  database or a column (it cannot store every character a notification
  may carry);
* a listener worker wrote a heartbeat recently;
* the notification transport (RabbitMQ) accepts a connection;
* the listener's queues that exist on RabbitMQ are durable (a classic
  queue that is not loses its messages when the broker restarts).
"""

import contextlib
import datetime
import logging
import sys

import amqp.exceptions
import kombu
import oslo_messaging
import sqlalchemy as sa
from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_messaging._drivers import common as messaging_common
from oslo_messaging.notify import dispatcher as notify_dispatcher
from oslo_upgradecheck import upgradecheck

from stacktach_ng import service
from stacktach_ng.common import timestamps
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.db import models
from stacktach_ng.db import partitions
from stacktach_ng.listener import service as listener_service

PROG = 'stacktach-ng-status'

# A worker that missed this many heartbeats in a row is considered gone.
MISSED_HEARTBEATS = 3

# Workers named in a warning about stale heartbeats, most recent first.
_LISTED_WORKERS = 5

_HEARTBEATS = models.ListenerHeartbeat.__table__

Code = upgradecheck.Code
Result = upgradecheck.Result


def _first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def redacted_transport_url(url):
    """A ``TransportURL`` as text, with every password shown as ``***``."""
    netlocs = []
    for host in url.hosts:
        credentials = host.username or ''
        if host.password:
            credentials += ':***'
        netloc = credentials + '@' if credentials else ''
        netloc += host.hostname or ''
        if host.port is not None:
            netloc += ':%d' % host.port
        netlocs.append(netloc)
    return '%s://%s/%s' % (url.transport, ','.join(netlocs),
                           url.virtual_host or '')


# MySQL's 3-byte UTF-8: no emoji and no character beyond the BMP.
_THREE_BYTE_UTF8 = ('utf8', 'utf8mb3')


def _mysql_character_sets(connection):
    """The warning when MySQL/MariaDB stores or talks 3-byte utf8."""
    problems = []
    connection_charset, database_charset = connection.exec_driver_sql(
        'SELECT @@character_set_connection, @@character_set_database'
    ).one()
    if connection_charset in _THREE_BYTE_UTF8:
        problems.append('the connection uses %s (add ?charset=utf8mb4 to '
                        '[database] connection)' % connection_charset)
    if database_charset in _THREE_BYTE_UTF8:
        problems.append('the database defaults to %s (ALTER DATABASE ... '
                        'CHARACTER SET utf8mb4)' % database_charset)
    tables = connection.exec_driver_sql(
        'SELECT DISTINCT table_name FROM information_schema.columns '
        'WHERE table_schema = DATABASE() AND character_set_name IN '
        "('utf8', 'utf8mb3') ORDER BY table_name").scalars().all()
    if tables:
        problems.append('columns of %s use it (ALTER TABLE ... CONVERT TO '
                        'CHARACTER SET utf8mb4)' % ', '.join(tables))
    if not problems:
        return Result(Code.SUCCESS)
    return Result(
        Code.WARNING,
        'MySQL/MariaDB 3-byte utf8 cannot store every character a '
        'notification may carry: %s.' % '; '.join(problems))


def _transient_queues(connection, names):
    """(existing, not durable) among the queues ``names``, on a kombu
    connection.

    AMQP tells neither the type nor the durability of a queue to a
    passive declare, but a declare whose flags differ from the queue's is
    refused (406, "inequivalent arg 'durable'") and changes nothing: the
    queues that exist (passive declare) are declared again as durable.
    Quorum queues are always durable. Each refusal closes its channel.
    """
    existing, transient = [], []
    for name in names:
        try:
            _declare(connection, queue=name, passive=True)
        except amqp.exceptions.NotFound:
            continue
        existing.append(name)
        try:
            _declare(connection, queue=name, durable=True, auto_delete=False)
        except amqp.exceptions.PreconditionFailed as e:
            if "'durable'" in str(e):
                transient.append(name)
    return existing, transient


def _broker_connection(url):
    """A kombu connection of its own to the first broker of a
    ``TransportURL`` (the driver's pooled ones time out reads in a
    fraction of a second, for their heartbeats)."""
    host = url.hosts[0]
    return kombu.Connection(
        hostname=host.hostname, port=host.port or 5672,
        userid=host.username, password=host.password,
        virtual_host=url.virtual_host or '/', connect_timeout=10)


def _declare(connection, **arguments):
    channel = connection.channel()
    try:
        channel.queue_declare(**arguments)
    finally:
        # A refused declare closed the channel already.
        with contextlib.suppress(amqp.exceptions.AMQPError, OSError):
            channel.close()


class Checks(upgradecheck.UpgradeCommands):
    """The checks of ``stacktach-ng-status upgrade check``."""

    def __init__(self, conf):
        self.conf = conf

    def _check_database_schema(self):
        error = migration.check_schema(self.conf)
        if error:
            return Result(Code.FAILURE, error[0].upper() + error[1:] + '.')
        return Result(Code.SUCCESS)

    def _read_database(self, what, function):
        """``function(database)``, or the warning saying it could not."""
        database = db_api.Database(self.conf)
        try:
            return function(database)
        except (db_exc.DBError, sa.exc.SQLAlchemyError) as e:
            return Result(Code.WARNING,
                          'Cannot read %s (see the database schema check): '
                          '%s' % (what, _first_line(e)))
        finally:
            database.dispose()

    def _check_partitions(self):
        def check(database):
            missing = partitions.missing_ahead(self.conf, database)
            if not missing:
                return Result(Code.SUCCESS)
            return Result(
                Code.WARNING,
                'Day partitions missing ahead (%d days are kept ahead, '
                '[retention] partition_days_ahead): %s. Notifications of '
                'these days go to the default partition, which a purge '
                'cannot drop whole. Run "stacktach-ng-manage db upgrade" '
                'or start stacktach-ng-listener, which create them.' % (
                    self.conf.retention.partition_days_ahead,
                    '; '.join('%s: %s' % (table, ', '.join(
                        day.strftime('%Y-%m-%d') for day in days))
                        for table, days in sorted(missing.items()))))
        return self._read_database('the partitions', check)

    def _check_character_set(self):
        def check(database):
            with database.reader() as connection:
                if connection.dialect.name != 'mysql':
                    return Result(Code.SUCCESS)
                return _mysql_character_sets(connection)
        return self._read_database('the character sets', check)

    def _check_listener_heartbeat(self):
        interval = self.conf.listener.heartbeat_interval
        horizon = datetime.timedelta(seconds=MISSED_HEARTBEATS * interval)
        database = db_api.Database(self.conf)
        try:
            with database.reader() as connection:
                rows = connection.execute(
                    sa.select(_HEARTBEATS.c.worker, _HEARTBEATS.c.last_seen)
                    .order_by(_HEARTBEATS.c.last_seen.desc())
                    .limit(_LISTED_WORKERS)).all()
        except (db_exc.DBError, sa.exc.SQLAlchemyError) as e:
            return Result(
                Code.WARNING,
                'Cannot read the listener heartbeats (see the database '
                'schema check): %s' % _first_line(e))
        finally:
            database.dispose()
        if not rows:
            return Result(
                Code.WARNING,
                'No listener worker has written a heartbeat yet: start '
                'stacktach-ng-listener, or nothing is ingested.')
        now = timestamps.utcnow()
        fresh = [row.worker for row in rows if now - row.last_seen <= horizon]
        if fresh:
            return Result(
                Code.SUCCESS,
                'Listener workers alive: %s.' % ', '.join(fresh))
        seen = ', '.join('%s (%ds ago)' % (
            row.worker, (now - row.last_seen).total_seconds())
            for row in rows)
        return Result(
            Code.WARNING,
            'No listener worker wrote a heartbeat in the last %d seconds '
            '(%d x [listener] heartbeat_interval); last seen: %s. Is '
            'stacktach-ng-listener running and able to reach the database?'
            % (horizon.total_seconds(), MISSED_HEARTBEATS, seen))

    def _check_notification_transport(self):
        try:
            transport = oslo_messaging.get_notification_transport(self.conf)
        except (oslo_messaging.InvalidTransportURL,
                oslo_messaging.DriverLoadFailure) as e:
            return Result(Code.FAILURE,
                          'Invalid notification transport: %s'
                          % _first_line(e))
        try:
            url = redacted_transport_url(transport._driver._url)
            connect = getattr(transport._driver, '_get_connection', None)
            if connect is None:
                # Drivers without a broker connection to try (the
                # in-process fake one, Kafka) cannot be checked here.
                return Result(Code.SUCCESS,
                              'Transport %s not checked: not an AMQP '
                              'broker.' % url)
            try:
                # One attempt, no retry: a status check reports, it does
                # not wait for the broker to come back. (Only pooled
                # sending connections honour ``retry``.)
                with connect(messaging_common.PURPOSE_SEND, retry=0):
                    pass
            except Exception as e:
                return Result(
                    Code.FAILURE,
                    'Cannot connect to the notification transport %s: %s'
                    % (url, _first_line(e)))
            return Result(Code.SUCCESS, 'Connected to %s.' % url)
        finally:
            transport.cleanup()

    def _listener_queue_names(self):
        """The queues the listener consumes (oslo.messaging names them
        ``<topic>.<priority>``, or after the pool)."""
        if self.conf.listener.pool:
            return [self.conf.listener.pool]
        return sorted({'%s.%s' % (target.topic, priority)
                       for target in listener_service.listener_targets(
                           self.conf)
                       for priority in notify_dispatcher.PRIORITIES})

    def _check_listener_queues(self):
        try:
            transport = oslo_messaging.get_notification_transport(self.conf)
        except (oslo_messaging.InvalidTransportURL,
                oslo_messaging.DriverLoadFailure):
            return Result(Code.SUCCESS, 'Not checked: see the notification '
                                        'transport check.')
        try:
            connect = getattr(transport._driver, '_get_connection', None)
            if connect is None:
                return Result(Code.SUCCESS, 'Not checked: not an AMQP '
                                            'broker.')
            try:
                with _broker_connection(transport._driver._url) as bus:
                    found, transient = _transient_queues(
                        bus, self._listener_queue_names())
            except Exception as e:
                return Result(Code.WARNING,
                              'Cannot read the listener queues (see the '
                              'notification transport check): %s'
                              % _first_line(e))
        finally:
            transport.cleanup()
        if transient:
            return Result(
                Code.WARNING,
                'Listener queues that are classic and not durable: %s. A '
                'broker restart loses what they hold. Set '
                '[oslo_messaging_rabbit] rabbit_quorum_queue = true (or '
                'amqp_durable_queues = true), delete these queues and '
                'restart the listeners, which declare them again.'
                % ', '.join(transient))
        if not found:
            return Result(Code.SUCCESS, 'No listener queue declared yet.')
        return Result(Code.SUCCESS, 'Listener queues durable: %s.'
                      % ', '.join(found))

    _upgrade_checks = (
        ('Database schema', _check_database_schema),
        ('Database partitions', _check_partitions),
        ('Database character set', _check_character_set),
        ('Listener heartbeat', _check_listener_heartbeat),
        ('Notification transport', _check_notification_transport),
        ('Listener queues', _check_listener_queues),
    )


def main(argv=None):
    argv = sys.argv if argv is None else argv
    conf = service.build_conf()
    checks = Checks(conf)
    upgradecheck.register_cli_options(conf, checks)
    try:
        service.prepare_service(argv, conf=conf, register_gmr=False,
                                setup_logging=False)
        # oslo.config checks a value from a file when it is first read:
        # read the ones the checks use now, so that a bad value is a
        # one-line error rather than a traceback in the middle of a check.
        conf.listener.heartbeat_interval  # noqa: B018
        db_api.Database(conf)
    except cfg.Error as e:
        sys.stderr.write('%s: %s\n' % (PROG, e))
        return 2
    # The results table (or JSON) is the output; the libraries' own logs
    # of the same failures only with --debug, on stderr.
    logging.basicConfig(
        stream=sys.stderr, format='%(levelname)s %(name)s: %(message)s',
        level=logging.DEBUG if conf.debug else logging.CRITICAL)
    # A status check must answer quickly: no connection retries with
    # sleeps in between when the database is down.
    conf.set_override('max_retries', 0, group='database')
    # oslo.upgradecheck reads ``--json`` from its module-level conf.
    upgradecheck.CONF = conf
    return upgradecheck.run(conf)
