"""A traffic simulator: realistic OpenStack notifications with ground truth.

The simulator plays a small cloud (projects, compute hosts, flavors,
images, volumes) through interleaved operations -- boots, deletes,
resizes, snapshots, reboots, power off/on, rebuilds, some of them failing
or getting stuck -- and writes every notification nova, glance, cinder and
neutron would send for them, as full wire message bodies. Alongside, it
keeps the ground truth of what it did (``truth.GroundTruth``), against
which the analyses are verified.

Modules:

* ``model``: the world (projects, hosts, flavors, images, instances,
  volumes) and the deterministic random source;
* ``formats``: payload and message builders, legacy and versioned;
* ``scenarios``: one script per operation, the order and timing of its
  notifications;
* ``truth``: the ground truth records;
* ``engine``: the ``Simulator``, which interleaves operations on a
  simulated clock;
* ``sinks``: JSON-lines files and oslo.messaging publishing.
"""
