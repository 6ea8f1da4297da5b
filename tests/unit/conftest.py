"""
Unit tests: the project's custom Salt modules loaded straight from
``_modules``/``_states``/``_runners`` and driven through pytest-salt-factories'
``configure_loader_modules`` with real inputs. Shared fixtures go here.
"""

import socket
import time

import pytest

from tests.support.gluster import FakeGluster
from tests.support.paths import REPO
from tests.support.pillars import load_extension


@pytest.fixture(scope="session")
def extension():
    """
    ``extension("_modules", "gluster")``: load one of the project's modules,
    with ``_utils`` on ``sys.path`` while it is imported, as Salt's loader has
    its utils directories (``import keystone_api``).
    """

    def load(kind, name):
        with pytest.MonkeyPatch.context() as patch:
            patch.syspath_prepend(str(REPO / "_utils"))
            return load_extension(kind, name)

    return load


@pytest.fixture
def fake():
    """The gluster CLI the gluster modules call, answering from captures."""
    return FakeGluster()


@pytest.fixture
def gluster(extension):
    """The gluster execution module (its state module's unit tests use it too)."""
    return extension("_modules", "gluster")


# --- Ports on 127.0.0.1 for the audit's connection attempts -------------------


@pytest.fixture
def listener():
    """A TCP listener (a connect is open); its port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture
def closed_port():
    """A port nothing listens on (a connect is refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def full_backlog():
    """A listener with listen(0) and its accept queue filled: the kernel
    drops further SYNs, so a connect gets no answer."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    clients = []
    for _ in range(4):
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", port))
        clients.append(client)
    time.sleep(0.3)
    yield port
    for client in clients:
        client.close()
    server.close()
