"""Runs a PA3 program written for Mininet on this machine's own loopback.

    python3 loopback.py PROGRAM.py [ARGUMENTS...]

runs PROGRAM.py as `python3 PROGRAM.py ARGUMENTS...` would, with two
changes to Python's sockets:

- an address in Mininet's 10.0.0.0/8 (students hard-code the server, h1,
  as 10.0.0.1) is 127.0.0.1 when connecting or binding;
- SO_REUSEADDR is set on every TCP socket before it binds.

run_autograder uses it where no network namespace can be made (root
without CAP_SYS_ADMIN and CAP_NET_ADMIN, as in Gradescope's containers):
there 10.0.0.1 cannot be added to a loopback of the run's own, so the
programs share the container's, one run at a time. A server that closed
first leaves port 12000 in TIME_WAIT for a minute, and only sockets that
all set SO_REUSEADDR may bind it again meanwhile; on Mininet the
orchestrator destroys those sockets between runs instead, which it cannot
do here. Neither change is graded: no rubric item is about the address or
SO_REUSEADDR.
"""

import ipaddress
import os
import runpy
import socket
import sys

MININET = ipaddress.ip_network("10.0.0.0/8")
LOOPBACK = "127.0.0.1"


def on_loopback(address):
    """`address` with a Mininet host's IPv4 address replaced by 127.0.0.1."""
    if isinstance(address, tuple) and address and isinstance(address[0], str):
        try:
            if ipaddress.ip_address(address[0]) in MININET:
                return (LOOPBACK,) + tuple(address[1:])
        except ValueError:
            pass
    return address


_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_bind = socket.socket.bind


def connect(self, address):
    return _connect(self, on_loopback(address))


def connect_ex(self, address):
    return _connect_ex(self, on_loopback(address))


def bind(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and self.type == socket.SOCK_STREAM:
        self.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return _bind(self, on_loopback(address))


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: python3 loopback.py PROGRAM.py [ARGUMENTS...]")
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.bind = bind
    program = sys.argv[1]
    # As `python3 PROGRAM.py`: its own argv, its folder first on the path.
    sys.argv = sys.argv[1:]
    sys.path[0] = os.path.dirname(os.path.abspath(program))
    runpy.run_path(program, run_name="__main__")


if __name__ == "__main__":
    main()
