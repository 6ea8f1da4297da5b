"""
The ``openstack`` runner's audit steps (``_runners/openstack.py``), loaded
by Salt's own runner loader with the project's ``_utils`` (as a master
loads them): the job cache scan over jobs Salt's own ``local_cache``
returner wrote, with the guide's pillar and its (test) secrets; the outside
probes run here, against listeners on 127.0.0.1.
"""

import pytest
import salt.config
import salt.loader

from _runners._openstack import tls
from tests.support.master import master_opts
from tests.support.pillars import SECRET_VALUE, write_pillar_root


@pytest.fixture
def master(tmp_path):
    return master_opts(tmp_path, write_pillar_root(tmp_path / "pillar", "guide"))


@pytest.fixture
def runners(master):
    return salt.loader.runner(master, utils=salt.loader.utils(master), context={})


def _job(master, minion, returned):
    """A job and one minion's return, written by Salt's local_cache returner."""
    returners = salt.loader.returners(master, {})
    jid = returners["local_cache.prep_jid"]()
    returners["local_cache.save_load"](
        jid, {"fun": "state.apply", "arg": ["nova"], "tgt": minion, "jid": jid}
    )
    returners["local_cache.returner"](
        {"jid": jid, "id": minion, "fun": "state.apply", "return": returned, "retcode": 0}
    )
    return jid


def test_a_clean_job_cache_passes(master, runners):
    _job(master, "compute2", {"file_|-nova-config_|-/etc/nova/nova.conf": {"result": True}})
    out = runners["openstack.audit_jobcache"]()
    assert out["result"] is True and out["check"] == "PASS", out
    assert "no secret in clear in " in out["comment"] and " of 1 jobs under " in out["comment"]


def test_a_secret_in_a_return_fails_naming_the_file_and_the_secret(master, runners):
    _job(master, "compute1", {"ok": True})
    leaked = SECRET_VALUE.format("nova_db_password")
    _job(master, "compute2", {"cmd_|-x_|-x": {"comment": f"connection = mysql://nova:{leaked}@"}})
    context = runners.pack["__context__"]
    out = runners["openstack.audit_jobcache"]()
    assert out["result"] is False and out["check"] == "FAIL"
    assert "1 file(s) hold secrets in clear: " in out["comment"]
    assert "/compute2/return.p (nova_db_password)" in out["comment"]
    assert leaked not in out["comment"]
    assert context.get("retcode") == 1


def test_no_job_cache_yet(runners, tmp_path):
    out = runners["openstack.audit_jobcache"](path=str(tmp_path / "none"))
    assert out["result"] is True and "no job cache here" in out["comment"]


@pytest.fixture
def ports(listener, closed_port, full_backlog):
    """A listener (open), a closed port (refused) and a listener whose
    accept queue is full (the kernel drops the SYN: dropped)."""
    return {"open": listener, "full": full_backlog, "closed": closed_port}


def _entry(name, port, sources=(), public=False):
    return {
        "name": name,
        "proto": "tcp",
        "ports": [[port, port]],
        "bind": "any",
        "address": None,
        "sources": list(sources),
        "public": public,
        "when": None,
    }


def test_outsider(runners, ports):
    served_by = {
        "h": [
            _entry("ssh", ports["open"], sources=["127.0.0.0/8"]),  # admitted: may answer
            _entry("glusterd", ports["full"], sources=["192.168.0.1"]),  # dropped: good
        ]
    }
    out = runners["openstack.audit_outsider"](served_by, {"h": "127.0.0.1"}, "127.0.0.1", timeout=1)
    assert out["result"] is True, out
    assert out["comment"].startswith("PASS (")
    assert "2 probes from 127.0.0.1, 1 s each: 1 dropped, 1 open" in out["comment"]
    assert f"answered as allowed: 127.0.0.1:{ports['open']} (h ssh)" in out["comment"]
    served_by["h"].append(_entry("mariadb", ports["closed"], sources=["192.168.0.5"]))
    out = runners["openstack.audit_outsider"](served_by, {"h": "127.0.0.1"}, "127.0.0.1", timeout=1)
    assert out["result"] is False
    assert (
        f"wrong: 127.0.0.1:{ports['closed']}/tcp (h mariadb) refused, expected dropped"
        in (out["comment"])
    )


def test_public(runners, ports, master):
    served_by = {
        "gw": [
            _entry("dashboard", ports["open"], public=True),
            _entry("glusterd", ports["full"]),
        ]
    }
    out = runners["openstack.audit_public"](served_by, "gw", "127.0.0.1", timeout=1)
    assert out["result"] is False
    # reached as allowed; then nothing to check the certificates against
    assert "the project CA is not made yet" in out["comment"]
    tls.make_ca(tls.ca_dir(master))
    out = runners["openstack.audit_public"](served_by, "gw", "127.0.0.1", timeout=1)
    # reached as allowed, but the port speaks no TLS (tests/unit/utils/
    # test_audit_tls.py has the TLS looks against real TLS servers)
    assert out["result"] is False, out
    assert f"answered as allowed: 127.0.0.1:{ports['open']} (dashboard)" in out["comment"]
    assert "TLS wrong: " in out["comment"]
    assert f"old {ports['open']}: " in out["comment"]
    assert f"tls {ports['open']}: no TLS" in out["comment"]
    served_by["ctl"] = [_entry("mariadb", ports["closed"])]
    out = runners["openstack.audit_public"](served_by, "gw", "127.0.0.1", timeout=1)
    assert out["result"] is False and "(mariadb) refused, expected dropped" in out["comment"]
    # the public port must answer
    served_by = {"gw": [_entry("dashboard", ports["full"], public=True)]}
    out = runners["openstack.audit_public"](served_by, "gw", "127.0.0.1", timeout=1)
    assert out["result"] is False and "(dashboard) dropped" in out["comment"]
