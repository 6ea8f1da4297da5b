"""
Stop the lab's salt-master once a process has exited:

    python -m _lab.stop_after PARENT_PID PIDFILE

``lab.down`` starts it detached, with its own pid as PARENT_PID: salt-run
reports its return to the master's event bus after the runner returns, so
the master must outlive it. Waits for PARENT_PID to exit (120 s at most),
stops the process group of the pid in PIDFILE (TERM, KILL after 15 s),
removes PIDFILE if it still names that master (a new master may have
started) and, whatever happened, the marker ``PIDFILE.stopping`` that makes
``lab.up`` wait.
"""

import os
import sys
import time

from .daemons import process_alive, read_pid, stop_group


def wait_for_exit(pid, timeout):
    """Wait until process ``pid`` is gone or ``timeout`` s have passed."""
    deadline = time.time() + timeout
    while time.time() < deadline and process_alive(pid):
        time.sleep(0.2)


def main(argv):
    parent, pidfile = int(argv[0]), argv[1]
    wait_for_exit(parent, 120)
    try:
        try:
            pid = read_pid(pidfile)
            stop_group(os.getpgid(pid), timeout=15)
        except (OSError, ValueError):
            return 0
        try:
            # only the stopped master's pid file: a new master may have started
            if read_pid(pidfile) == pid:
                os.unlink(pidfile)
        except (OSError, ValueError):
            pass
    finally:
        try:
            os.unlink(pidfile + ".stopping")
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
