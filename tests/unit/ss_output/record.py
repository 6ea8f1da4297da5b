"""
Records listening.txt: real listeners in a throwaway network namespace,
each process named like the daemon it stands for (prctl PR_SET_NAME), then
`ss -H -l -n -t -u -p` there. Run as root:

    ip netns add h13-ss && ip netns exec h13-ss sh -c '
      ip link set lo up
      ip link add v0 type veth peer name v1
      ip addr add 192.168.0.5/24 dev v0; ip link set v0 up; ip link set v1 up
      sleep 2; python3 record.py; sleep 2
      ss -H -l -n -t -u -p' > listening.txt; ip netns delete h13-ss
"""

import ctypes
import os
import socket
import time

LIBC = ctypes.CDLL("libc.so.6")
PR_SET_NAME = 15
A4, A6 = socket.AF_INET, socket.AF_INET6


def serve(name, specs):
    """A child process called ``name`` holding the sockets of ``specs``."""
    if os.fork():
        return
    LIBC.prctl(PR_SET_NAME, name.encode(), 0, 0, 0)
    socks = []
    for kind, family, address, port, opts in specs:
        sock = socket.socket(family, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if "v6only" in opts:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, opts["v6only"])
        if "dev" in opts:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, opts["dev"].encode())
        sock.bind((address, port))
        if kind == "tcp":
            sock.listen()
        socks.append(sock)
    if name == "sshd" and os.fork() == 0:  # a second process on the same sockets
        time.sleep(20)
        os._exit(0)
    time.sleep(20)
    os._exit(0)


serve("sshd", [("tcp", A4, "0.0.0.0", 22, {}), ("tcp", A6, "::", 22, {"v6only": 1})])
serve("mariadbd", [("tcp", A4, "192.168.0.5", 3306, {})])
serve("ovsdb-server", [("tcp", A4, "127.0.0.1", 6640, {})])
serve("rpcbind", [("tcp", A4, "0.0.0.0", 111, {}), ("udp", A4, "0.0.0.0", 111, {})])
serve("apache2", [("tcp", A6, "::", 80, {"v6only": 0})])
serve("glusterfsd", [("tcp", A4, "0.0.0.0", 49152, {})])
serve("exim4", [("tcp", A6, "::1", 25, {"v6only": 1})])
serve("chronyd", [("udp", A4, "127.0.0.1", 323, {}), ("udp", A6, "::1", 323, {"v6only": 1})])
serve("dnsmasq", [("udp", A4, "127.0.0.53", 53, {"dev": "lo"})])
serve("memcached", [("tcp", A4, "192.168.0.5", 11211, {}), ("tcp", A4, "127.0.0.1", 11211, {})])
time.sleep(1)
