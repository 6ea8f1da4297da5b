"""
The lab's daemons on this machine: apt-cacher-ng (the hosts' package cache)
and the project's salt-master (its lab settings in ``.run/conf.d/lab.conf``,
its keys, start and stop); each found again by its pid file. Stopping means
the whole process group: salt-master's workers outlive its main process.
"""

import logging
import os
import signal
import subprocess
import sys
import time

import salt.crypt
from salt.exceptions import CommandExecutionError

from .settings import guest_dir
from .system import PROJECT, run, salt_bin, write

log = logging.getLogger(__name__)


def read_pid(pidfile):
    """The pid in a pid file; OSError or ValueError if there is none."""
    with open(pidfile, encoding="utf-8") as fh_:
        return int(fh_.read().strip())


def pid_alive(pidfile):
    """The pid of the pid file if that process lives, else None."""
    try:
        pid = read_pid(pidfile)
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def process_alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except OSError:
        return False
    return True


def _terminate(send, alive, timeout):
    """TERM through ``send(signal)``, wait up to ``timeout`` s while
    ``alive()``, then KILL what is left."""
    send(signal.SIGTERM)
    deadline = time.time() + timeout
    while time.time() < deadline and alive():
        time.sleep(0.2)
    if alive():
        send(signal.SIGKILL)


def stop_group(pgid, timeout=15):
    """TERM a process group, and KILL it if it outlives ``timeout`` s."""
    _terminate(lambda sig: os.killpg(pgid, sig), lambda: group_alive(pgid), timeout)


def stop_pid(pidfile, timeout=15):
    """Stop a daemon and every process of its group (salt-master's workers
    outlive its main process; one of them removed the next master's pidfile
    on its way out). False when it was not running."""
    pid = pid_alive(pidfile)
    if not pid:
        if os.path.exists(pidfile):
            os.unlink(pidfile)
        return False
    try:
        pgid = os.getpgid(pid)
    except OSError:
        pgid = None
    if pgid == os.getpgid(0):
        pgid = None  # never signal our own group

    if pgid is not None:
        stop_group(pgid, timeout)
    else:
        _terminate(lambda sig: os.kill(pid, sig), lambda: process_alive(pid), timeout)
    if os.path.exists(pidfile):
        os.unlink(pidfile)
    return True


def module_command(module):
    """
    ``python -m`` for a module of this package, and the directory to run it
    from: the one that holds the package (``_runners/`` when the loader
    imported it as ``_lab``), so no path has to be set.
    """
    base = os.path.dirname(os.path.abspath(__file__))
    for _ in __package__.split("."):
        base = os.path.dirname(base)
    return [sys.executable, "-m", "%s.%s" % (__package__, module)], base


def stop_master_after_exit(pidfile):
    """
    Start the detached helper (``stop_after.py``) that stops the master once
    this process has exited: salt-run reports its return to the master's
    event bus after the runner returns.
    """
    # lab.up waits while this marker exists (the master is being stopped)
    write(pidfile + ".stopping", str(os.getpid()))
    cmd, cwd = module_command("stop_after")
    subprocess.Popen(  # pylint: disable=consider-using-with
        cmd + [str(os.getpid()), pidfile],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )


def apt_proxy_conf(cfg, where):
    """apt-cacher-ng's configuration: a plain caching proxy for whatever
    archive the hosts' sources.list names, without the package's mirror
    remapping (which sends requests to mirrors this machine may not reach)."""
    base = os.path.dirname(where["acng_pid"])
    return "\n".join(
        [
            "# Written by salt-run lab.up",
            "CacheDir: " + os.path.join(cfg["cache_dir"], "apt-cacher-ng"),
            "LogDir: " + os.path.join(base, "log"),
            "PidFile: " + where["acng_pid"],
            "SocketPath: " + os.path.join(base, "socket"),
            "BindAddress: " + cfg["uplink_host_ip"],
            "Port: {}".format(cfg["apt_proxy_port"]),
            "ExThreshold: 28",
            "PassThroughPattern: .*:443$",
            "",
        ]
    )


def apt_proxy_up(cfg, where):
    """Start apt-cacher-ng unless it runs; True when started."""
    if pid_alive(where["acng_pid"]):
        return False
    base = os.path.dirname(where["acng_pid"])
    cache = os.path.join(cfg["cache_dir"], "apt-cacher-ng")
    for directory in (base, os.path.join(base, "log"), cache):
        os.makedirs(directory, exist_ok=True)
    confdir = os.path.join(base, "conf")
    write(os.path.join(confdir, "acng.conf"), apt_proxy_conf(cfg, where))
    run(["apt-cacher-ng", "-c", confdir, "ForeGround=0"])
    for _ in range(50):
        if pid_alive(where["acng_pid"]):
            return True
        time.sleep(0.1)
    raise CommandExecutionError("apt-cacher-ng did not start; see %s/log" % base)


def lab_conf(cfg):
    """The text of ``.run/conf.d/lab.conf``: the settings of a lab master."""
    return (
        "# Written by `salt-run lab.up`, removed by `salt-run lab.down`.\n"
        "# pillar/top.sls gives pillar/lab.sls to the minions of a lab master.\n"
        "openstack_lab: true\n"
        "# The minions reach the master through the lab's uplink only.\n"
        "interface: %s\n"
        "# The test guest image, for Glance: salt://testguest.img\n"
        "file_roots:\n  base:\n    - %s\n" % (cfg["uplink_host_ip"], guest_dir(cfg))
    )


def write_lab_conf(cfg, where):
    """Write the lab master's settings; True when they changed."""
    path = where["lab_conf"]
    text = lab_conf(cfg)
    old = None
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh_:
            old = fh_.read()
    if old == text:
        return False
    with open(path, "w", encoding="utf-8") as fh_:
        fh_.write(text)
    return True


def master_pub(opts):
    """The master's public key, created (as the master itself would) if need be."""
    return salt.crypt.MasterKeys(opts).get_pub_str()


def orphan_master_groups(conf_dir):
    """Process groups of salt-masters of this checkout (run with ``-c
    conf_dir``) that have no pid file (one that lost it to an earlier
    master's exit): they hold the ports."""
    groups = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh_:
                # NUL-separated, or one line once the process set its title
                args = fh_.read().decode(errors="replace").replace("\0", " ").split()
            if any(a.endswith("/salt-master") for a in args) and conf_dir in args:
                groups.add(os.getpgid(int(entry)))
        except OSError:
            continue
    groups.discard(os.getpgid(0))
    return groups


def master_up(where, restart):
    """Start the project's salt-master unless it runs (restart it if
    ``restart``); True when started."""
    # A `lab.down` just before stops its master only once it has exited:
    # wait for that, or the stopping master is taken for a running one.
    stopping = where["master_pid"] + ".stopping"
    for _ in range(300):
        if not os.path.exists(stopping) or time.time() - os.path.getmtime(stopping) > 180:
            break
        time.sleep(0.1)
    if pid_alive(where["master_pid"]):
        if not restart:
            return False
        stop_pid(where["master_pid"])
    for group in orphan_master_groups(where["conf_dir"]):
        log.warning("stopping salt-master process group %s: it has no pid file", group)
        stop_group(group)
    run([salt_bin("salt-master"), "-c", where["conf_dir"], "-d"], cwd=PROJECT)
    # It writes its pid file once its processes are up: seconds on an idle
    # machine, more than 10 s right after the lab was taken down (seen).
    for _ in range(600):
        if pid_alive(where["master_pid"]):
            return True
        time.sleep(0.1)
    raise CommandExecutionError(
        "salt-master did not start in 60 s; see %s"
        % os.path.join(where["root"], "var", "log", "salt", "master")
    )


def down(where):
    """Stop apt-cacher-ng; have the master stopped once this salt-run has
    exited. Returns what was done."""
    done = []
    if pid_alive(where["master_pid"]):
        stop_master_after_exit(where["master_pid"])
        done.append("salt-master stops when this salt-run exits")
    if stop_pid(where["acng_pid"]):
        done.append("stopped apt-cacher-ng")
    return done


def remove_lab_conf(where):
    """Remove ``.run/conf.d/lab.conf``. Returns what was done."""
    if os.path.exists(where["lab_conf"]):
        os.unlink(where["lab_conf"])
        return ["removed " + where["lab_conf"]]
    return []


def status(where):
    """The daemons' pids (None: not running) and whether lab.conf exists."""
    return {
        "salt-master pid": pid_alive(where["master_pid"]),
        "apt-cacher-ng pid": pid_alive(where["acng_pid"]),
        "lab.conf": os.path.exists(where["lab_conf"]),
    }
