"""
The parts of the lab runner (``_runners/lab.py``), one file per seam:

- ``system``: running commands (in the lab's namespace or not), writing
  files, this machine's tools;
- ``settings``: the lab's settings, derived from pillar and checked, and
  where the lab keeps its files under ``.run/``;
- ``network``: the namespace, its bridges, the uplink veth pair, the
  namespace's firewall and this machine's one NAT rule;
- ``daemons``: apt-cacher-ng, the project's salt-master (its lab settings,
  start, stop), stopping a process group;
- ``containers``: rootfs overlays, bricks, each clone's identity, the LXC
  configuration and the ``lxc-*`` calls, waiting for the minions;
- ``stop_after``: the program that stops the master once ``salt-run`` has
  exited (run with ``python -m _lab.stop_after``).

How it is imported: Salt's loader puts a runner's directory on ``sys.path``
while it imports the runner, so ``lab.py`` imports this package as ``_lab``;
the leading underscore keeps the loader from taking the package for a runner
of its own. The tests import it as ``_runners._lab``. The package runs on the
master only: ``saltutil.sync_all`` sends no runner to a minion.
"""
