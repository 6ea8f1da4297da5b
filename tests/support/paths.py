"""Where things are: the checkout, its pillar tree and the tests' captured data."""

import pathlib

REPO = pathlib.Path(__file__).resolve().parents[2]
PILLAR = REPO / "pillar"
SALT = REPO / "salt"

# Captured inputs of the unit tests, each directory with a README saying how
# and from what it was captured; the functional tests use them too.
DATA = REPO / "tests" / "unit"
GLUSTER_XML = DATA / "gluster_xml"
INI = DATA / "ini"
OPENSTACK_JSON = DATA / "openstack_json"
