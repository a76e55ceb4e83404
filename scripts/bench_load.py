#!/usr/bin/env python3
"""Load generator for scripts/bench: N PA3 pairs, one after another.

Each pair: connect X, connect Y, read both greetings, send `Client X: Alice`
and `Client Y: Bob` (newline-terminated, X first), read both
acknowledgments, check them, close. Loopback only, bounded count, a timeout
on every socket. Prints one JSON object with the figures.

Usage: bench_load.py --port PORT [--host 127.0.0.1] [--pairs 2000] [--warmup 100]
"""

import argparse
import json
import socket
import sys
import time

ACKS = {
    "X: Alice received before Y: Bob": "X",
    "Y: Bob received before X: Alice": "Y",
}


def readline(sock, buf):
    """One line from sock; `buf` carries bytes read past it."""
    while b"\n" not in buf[0]:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed with %r unread" % buf[0])
        buf[0] += chunk
    line, _, rest = buf[0].partition(b"\n")
    buf[0] = rest
    return line.decode()


def one_pair(addr, timeout):
    x = socket.create_connection(addr, timeout=timeout)
    y = socket.create_connection(addr, timeout=timeout)
    try:
        for s in (x, y):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        bx, by = [b""], [b""]
        gx, gy = readline(x, bx), readline(y, by)
        if gx != "Client X connected" or gy != "Client Y connected":
            raise ValueError("greetings %r, %r" % (gx, gy))
        x.sendall(b"Client X: Alice\n")
        y.sendall(b"Client Y: Bob\n")
        ax, ay = readline(x, bx), readline(y, by)
        if ax != ay or ax not in ACKS:
            raise ValueError("acks %r, %r" % (ax, ay))
        return ACKS[ax]
    finally:
        x.close()
        y.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pairs", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("bench_load.py drives loopback servers only")
    if not 0 < args.pairs <= 100_000:
        sys.exit("--pairs must be between 1 and 100000")
    addr = (args.host, args.port)

    for _ in range(args.warmup):
        one_pair(addr, args.timeout)

    errors, y_first, latencies = 0, 0, []
    first_error = None
    start = time.perf_counter()
    for _ in range(args.pairs):
        t0 = time.perf_counter()
        try:
            if one_pair(addr, args.timeout) == "Y":
                y_first += 1
        except (OSError, ValueError) as e:
            errors += 1
            first_error = first_error or repr(e)
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start

    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1e6
    print(json.dumps({
        "pairs": args.pairs,
        "seconds": round(elapsed, 4),
        "pairs_per_s": round(args.pairs / elapsed, 1),
        "p50_us": round(pct(0.50)),
        "p99_us": round(pct(0.99)),
        "errors": errors,
        "first_error": first_error,
        "y_first": y_first,
    }))


if __name__ == "__main__":
    main()
