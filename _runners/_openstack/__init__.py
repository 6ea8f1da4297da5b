"""
The parts of the ``openstack`` runner (``_runners/openstack.py``, the entry
points ``openstack.secrets`` and ``openstack.validate`` and the master-side
pillar compile):

- ``data``: the state tree's data (defaults, OS families, releases) merged as
  ``salt/map.jinja`` merges it, and the pillar's schema (pillar.example plus
  the tree's data), with the unknown-key check;
- ``checks``: every check of the effective data, each problem naming its
  pillar key; the secrets the cloud needs.
- ``tls``: the project CA and the certificates it signs (made by
  ``openstack.secrets``, each host's into a pillar file of its own), and
  the checks of ``openstack:tls``.

How it is imported: Salt's loader puts a runner's directory on ``sys.path``
while it imports the runner, so ``openstack.py`` imports this package as
``_openstack``; the leading underscore keeps the loader from taking it for a
runner of its own. The tests import it as ``_runners._openstack``.
"""
