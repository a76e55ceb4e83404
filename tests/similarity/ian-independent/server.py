#!/usr/bin/env python3
"""PA3 server, Ian Ito.

Why threads? After both clients are greeted, either one may type first.
A recv() on one socket blocks until that client sends, so a server with a
single thread has to guess whom to read first, and when it guesses wrong
it learns of the earlier message only after the later one: it would report
the order it read the sockets in. Here each socket gets a reader thread
that blocks on its own recv() and hands what it got to a queue; the queue
keeps the order in which the readers put things into it, which is the
order in which the messages arrived.
"""

import queue
import socket
import threading

LISTEN_ADDR = ("0.0.0.0", 12000)


def reader(sock, label, inbox):
    """Block on one client's socket, then queue (label, text)."""
    chunk = sock.recv(1024)
    inbox.put((label, chunk.decode("utf-8").strip()))


def accept_two(listener):
    """The first connection is X, the second Y."""
    peers = {}
    while len(peers) < 2:
        sock, peer = listener.accept()
        label = "Y" if peers else "X"
        peers[label] = sock
        print("accepted", peer, "->", label)
    return peers


def body_of(text, label):
    prefix = "Client %s:" % label
    if text.startswith(prefix):
        return text[len(prefix):].strip()
    return text


def run_round(listener):
    peers = accept_two(listener)
    for label, sock in peers.items():
        sock.sendall(("Client " + label + " connected").encode())

    inbox = queue.Queue()
    for label, sock in peers.items():
        threading.Thread(target=reader, args=(sock, label, inbox), daemon=True).start()
    got = [inbox.get() for _ in peers]
    for label, text in got:
        print("message from", label, "->", text)

    (l1, t1), (l2, t2) = got
    ack = "{}: {} received before {}: {}".format(l1, body_of(t1, l1), l2, body_of(t2, l2))
    print(ack)
    for sock in peers.values():
        sock.sendall(ack.encode())
        sock.close()
    print("Sent acknowledgment to both X and Y")


if __name__ == "__main__":
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(LISTEN_ADDR)
    lst.listen()
    try:
        run_round(lst)
    finally:
        lst.close()
