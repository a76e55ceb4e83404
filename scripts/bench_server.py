#!/usr/bin/env python3
"""A minimal threaded PA3 server, the baseline of the benchmark (`scripts/bench`, `pa3-bench`).

It does the job our `server --rounds 0` does, the way a careful Python
solution would: accept two clients (the first is X), greet both once both are
in, read one message per client in its own thread, record the order in which
the first byte of each message arrived under one lock, print both messages,
send the acknowledgment to both, print `Sent acknowledgment to both X and Y`,
close, and start over. Messages are newline-terminated in both directions,
and every printed line is flushed, as ours are, so that both servers do the
same work per pair.

Usage: bench_server.py [--bind 127.0.0.1] [--port 0]
Prints `listening on HOST:PORT` first.
"""

import argparse
import socket
import threading


def say(line):
    print(line, flush=True)


def read_message(conn, letter, order, names, lock):
    buf = b""
    while not buf.endswith(b"\n") and len(buf) <= 1024:
        chunk = conn.recv(1024)
        if not chunk:
            break
        if not buf:
            with lock:
                order.append(letter)
        buf += chunk
    text = buf.decode("utf-8", "replace").strip()
    name = text.split(":", 1)[1].strip() if ":" in text else text
    with lock:
        names[letter] = name


def serve_round(listener):
    conns = []
    for letter in ("X", "Y"):
        conn, addr = listener.accept()
        say("Accepted connection from %s:%d as Client %s" % (addr[0], addr[1], letter))
        conns.append(conn)
    for conn, letter in zip(conns, ("X", "Y")):
        conn.sendall(("Client %s connected\n" % letter).encode())
    say("Sent greetings: Client X connected, Client Y connected")

    order, names, lock = [], {}, threading.Lock()
    threads = [
        threading.Thread(target=read_message, args=(conn, letter, order, names, lock))
        for conn, letter in zip(conns, ("X", "Y"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        if len(order) != 2 or len(names) != 2 or not all(names.values()):
            say("round failed: a client sent no message")
            return
        first, second = order
        for i, letter in enumerate(order):
            say("Message %d from Client %s: Client %s: %s" % (i + 1, letter, letter, names[letter]))
        ack = "%s: %s received before %s: %s" % (first, names[first], second, names[second])
        say("Acknowledgment: " + ack)
        for conn in conns:
            conn.sendall((ack + "\n").encode())
        say("Sent acknowledgment to both X and Y")
    except OSError as e:
        say("round failed: %s" % e)
    finally:
        for conn in conns:
            conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.bind, args.port))
    listener.listen(128)
    host, port = listener.getsockname()
    say("listening on %s:%d" % (host, port))
    while True:
        serve_round(listener)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
