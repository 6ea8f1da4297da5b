"""
The lab's daemons (``_runners/_lab/daemons.py``, ``stop_after.py``): their
configuration, and stopping process groups this test starts itself.
"""

import os
import subprocess
import sys
import threading
import time

import pytest
import yaml

from _runners._lab import daemons, settings, stop_after
from tests.lab.labkit import LABCFG, lab_pillar

GUIDE = settings.derive(lab_pillar(), [])
SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def test_apt_proxy_conf():
    where = {"acng_pid": "/co/.run/lab/apt-cacher-ng/pid"}
    lines = daemons.apt_proxy_conf(GUIDE, where).splitlines()
    conf = dict(line.split(": ", 1) for line in lines if not line.startswith("#"))
    assert conf == {
        "CacheDir": os.path.join(LABCFG["cache_dir"], "apt-cacher-ng"),
        "LogDir": "/co/.run/lab/apt-cacher-ng/log",
        "PidFile": "/co/.run/lab/apt-cacher-ng/pid",
        "SocketPath": "/co/.run/lab/apt-cacher-ng/socket",
        "BindAddress": GUIDE["uplink_host_ip"],
        "Port": str(LABCFG["apt_proxy_port"]),
        "ExThreshold": "28",
        "PassThroughPattern": ".*:443$",
    }


def test_lab_conf():
    assert yaml.safe_load(daemons.lab_conf(GUIDE)) == {
        "openstack_lab": True,
        "interface": GUIDE["uplink_host_ip"],
        "file_roots": {"base": [os.path.join(LABCFG["cache_dir"], "guest")]},
    }


def test_write_lab_conf_says_when_it_changed(tmp_path):
    where = {"lab_conf": str(tmp_path / "lab.conf")}
    assert daemons.write_lab_conf(GUIDE, where) is True
    assert daemons.write_lab_conf(GUIDE, where) is False
    assert daemons.write_lab_conf(dict(GUIDE, uplink_host_ip="100.64.251.1"), where) is True
    assert "interface: 100.64.251.1\n" in (tmp_path / "lab.conf").read_text()


def test_status_without_daemons(tmp_path):
    where = {
        "master_pid": str(tmp_path / "salt-master.pid"),
        "acng_pid": str(tmp_path / "pid"),
        "lab_conf": str(tmp_path / "lab.conf"),
    }
    assert daemons.status(where) == {
        "salt-master pid": None,
        "apt-cacher-ng pid": None,
        "lab.conf": False,
    }


def test_pid_alive(tmp_path):
    pidfile = tmp_path / "pid"
    assert daemons.pid_alive(str(pidfile)) is None
    pidfile.write_text("not a pid\n")
    assert daemons.pid_alive(str(pidfile)) is None
    pidfile.write_text(f"{os.getpid()}\n")
    assert daemons.pid_alive(str(pidfile)) == os.getpid()


def daemon_group(cmd=SLEEPER, members=2):
    """A process group of ``members`` processes of this test (reaped by
    threads, as init reaps a real daemon); returns its processes."""
    procs = [subprocess.Popen(cmd, process_group=0)]
    try:
        for _ in range(members - 1):
            procs.append(subprocess.Popen(cmd, process_group=procs[0].pid))
    except OSError:
        for proc in procs:
            proc.kill()
            proc.wait()
        raise
    for proc in procs:
        threading.Thread(target=proc.wait, daemon=True).start()
    return procs


@pytest.fixture
def group():
    procs = daemon_group()
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()


def test_stop_pid_stops_the_whole_group(tmp_path, group):
    pidfile = tmp_path / "daemon.pid"
    pidfile.write_text(f"{group[0].pid}\n")
    started = time.time()
    assert daemons.stop_pid(str(pidfile)) is True
    assert time.time() - started < 10  # TERM was enough
    assert not daemons.group_alive(group[0].pid)
    assert not pidfile.exists()


def test_stop_pid_of_a_stale_pid_file(tmp_path):
    pidfile = tmp_path / "daemon.pid"
    pidfile.write_text("999999999\n")
    assert daemons.stop_pid(str(pidfile)) is False
    assert not pidfile.exists()


def test_a_group_that_ignores_term_is_killed():
    ready = "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    ready += "print('ready', flush=True); time.sleep(120)"
    leader = subprocess.Popen(
        [sys.executable, "-c", ready], start_new_session=True, stdout=subprocess.PIPE, text=True
    )
    try:
        assert leader.stdout.readline() == "ready\n"
        threading.Thread(target=leader.wait, daemon=True).start()
        started = time.time()
        daemons.stop_group(leader.pid, timeout=1)
        leader.wait(timeout=10)
        assert 1 <= time.time() - started < 10
        assert leader.returncode == -9
    finally:
        if leader.poll() is None:
            leader.kill()


def test_orphan_master_groups(tmp_path):
    conf = str(tmp_path / "conf")
    fake = subprocess.Popen(SLEEPER + ["/x/bin/salt-master", "-c", conf], start_new_session=True)
    other = subprocess.Popen(SLEEPER + ["/x/bin/salt-master", "-c", "/elsewhere"])
    try:
        assert daemons.orphan_master_groups(conf) == {fake.pid}
    finally:
        for proc in (fake, other):
            proc.kill()
            proc.wait()


def test_stop_after_waits_for_its_parent_then_stops_the_master(tmp_path, group):
    pidfile = tmp_path / "salt-master.pid"
    pidfile.write_text(f"{group[0].pid}\n")
    marker = tmp_path / "salt-master.pid.stopping"
    marker.write_text("x")
    parent = subprocess.Popen(["sleep", "1"])
    cmd, cwd = daemons.module_command("stop_after")
    helper = subprocess.Popen(cmd + [str(parent.pid), str(pidfile)], cwd=cwd)
    time.sleep(0.5)
    # the parent still runs: the master too
    assert daemons.group_alive(group[0].pid)
    assert helper.poll() is None
    parent.wait()
    assert helper.wait(timeout=30) == 0
    assert not daemons.group_alive(group[0].pid)
    assert not pidfile.exists()
    assert not marker.exists()


def test_stop_after_keeps_a_new_masters_pid_file(tmp_path, group, monkeypatch):
    # A new master wrote the pid file while the old one was being stopped.
    pidfile = tmp_path / "salt-master.pid"
    pidfile.write_text(f"{group[0].pid}\n")
    stop_group = daemons.stop_group

    def stop_and_restart(pgid, timeout):
        stop_group(pgid, timeout)
        pidfile.write_text("12345\n")

    monkeypatch.setattr(stop_after, "stop_group", stop_and_restart)
    assert stop_after.main(["999999999", str(pidfile)]) == 0
    assert not daemons.group_alive(group[0].pid)
    assert pidfile.read_text() == "12345\n"


def test_stop_after_without_a_master(tmp_path):
    marker = tmp_path / "salt-master.pid.stopping"
    marker.write_text("x")
    assert stop_after.main(["999999999", str(tmp_path / "salt-master.pid")]) == 0
    assert not marker.exists()
