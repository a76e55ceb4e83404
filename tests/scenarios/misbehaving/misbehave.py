#!/usr/bin/env python3
# Misbehaving programs for the orchestrator's own tests (tests/e2e/misbehaving.rs).
#
# Usage: python3 misbehave.py MODE MARKER [ARGS...]
#
# MARKER is any word; it sits in the argv of every process this script
# starts (forked children keep their parent's argv), so a test can find
# anything left behind with `pgrep -f MARKER`. Every mode is deliberately
# wrong; none of them ever exits on its own before the orchestrator's
# timeout unless it says so below.
#
#   silent-server PORT      listens on PORT, accepts every connection,
#                           never sends a byte, never exits
#   deaf-client IP PORT NAME
#                           connects, sends NAME (no letter prefix), never
#                           reads a byte, never exits
#   close-first-server PORT greets two clients, then reads each until it
#                           closes its end before replying: against
#                           clients that wait for the reply first, nobody
#                           ever moves again (a deadlock), never exits
#   waiting-client IP PORT  connects, sends its name when greeted, then
#                           waits for the reply with a plain blocking recv
#                           (no timeout), as students' clients do
#   ignore-term             ignores SIGTERM, never exits
#   fork-tree               forks a child that forks a grandchild; all
#                           three sleep and never exit
#   orphan                  forks a child that forks a grandchild, then
#                           exits 0 at once; the grandchild (same process
#                           group) keeps stdout open and sleeps
#   escape                  like orphan, but the grandchild calls setsid()
#                           first: it leaves the process group and session
#   wide-flood BYTES        prints BYTES bytes to stdout in 8 KiB lines,
#                           then exits 0
#
# Only the standard library; no network access except the orchestrator's
# own hosts (the IP and PORT it passes).

import os
import signal
import socket
import sys
import time

FOREVER = 1000  # seconds; far beyond any scenario's timeout_s


def say(text):
    print(text, flush=True)


def sleep_forever():
    while True:
        time.sleep(FOREVER)


def silent_server(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(port)))
    s.listen(8)
    say(f"silent server listening on port {port}; I will never reply")
    held = []
    while True:
        conn, addr = s.accept()
        held.append(conn)
        say(f"accepted {addr[0]}:{addr[1]}; not replying")


def deaf_client(ip, port, name):
    deadline = time.monotonic() + 10
    while True:
        try:
            c = socket.create_connection((ip, int(port)), timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    c.sendall(name.encode() + b"\n")
    say(f"sent {name!r}; I will never read the reply")
    sleep_forever()


def close_first_server(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(port)))
    s.listen(2)
    conns = [s.accept()[0] for _ in range(2)]
    for letter, c in zip("XY", conns):
        c.sendall(f"Client {letter} connected".encode())
    say("both greeted; reading each client until it closes")
    for c in conns:
        while c.recv(1024):
            pass
    say("never reached: the clients wait for the reply before closing")


def waiting_client(ip, port):
    c = socket.create_connection((ip, int(port)), timeout=5)
    c.settimeout(None)
    greeting = c.recv(1024).decode()
    say(f"From Server: {greeting}")
    name = input("Enter your name: ")
    c.sendall(f"{greeting.split()[1]}: {name}".encode())
    say("From Server: " + c.recv(1024).decode())


def ignore_term():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    say("ignoring SIGTERM")
    sleep_forever()


def fork_tree():
    if os.fork() == 0:
        if os.fork() == 0:
            say(f"grandchild {os.getpid()} sleeps")
            sleep_forever()
        say(f"child {os.getpid()} sleeps")
        sleep_forever()
    say(f"parent {os.getpid()} sleeps")
    sleep_forever()


def orphan(escape):
    if os.fork() == 0:
        if os.fork() == 0:
            if escape:
                os.setsid()
            say(f"grandchild {os.getpid()} (pgid {os.getpgid(0)}) stays behind")
            sleep_forever()
        os._exit(0)
    os.wait()
    say("parent exits now, leaving a grandchild")
    sys.exit(0)


def wide_flood(total):
    line = b"w" * 8191 + b"\n"
    out = sys.stdout.buffer
    left = int(total)
    while left > 0:
        chunk = line[: min(left, len(line))]
        out.write(chunk)
        left -= len(chunk)
    out.flush()


def main(argv):
    if len(argv) < 3:
        sys.exit("usage: misbehave.py MODE MARKER [ARGS...]")
    mode, args = argv[1], argv[3:]
    if mode == "silent-server":
        silent_server(*args)
    elif mode == "deaf-client":
        deaf_client(*args)
    elif mode == "close-first-server":
        close_first_server(*args)
    elif mode == "waiting-client":
        waiting_client(*args)
    elif mode == "ignore-term":
        ignore_term()
    elif mode == "fork-tree":
        fork_tree()
    elif mode == "orphan":
        orphan(escape=False)
    elif mode == "escape":
        orphan(escape=True)
    elif mode == "wide-flood":
        wide_flood(*args)
    else:
        sys.exit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv)
