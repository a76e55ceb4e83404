# PA3 TCP server (a solution of the kind found published online).
# Every client is handled by its own thread, which stamps its message with
# the time it arrived; the acknowledgement orders the two by their stamps.

import time
from socket import socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR
from threading import Thread

stamps = {}


def client_thread(c, name):
    raw = c.recv(1024)
    stamps[name] = (time.time(), raw.decode().strip())
    print(name, "said:", stamps[name][1])


def main():
    s = socket(AF_INET, SOCK_STREAM)
    s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    s.bind(("", 12000))
    s.listen(5)
    print("ready")
    pair = []
    while len(pair) < 2:
        c, a = s.accept()
        pair.append(c)
    names = ["X", "Y"]
    for i in range(2):
        pair[i].send(("Client " + names[i] + " connected").encode())
    ts = [Thread(target=client_thread, args=(pair[i], names[i])) for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    ranked = sorted(stamps.items(), key=lambda kv: kv[1][0])
    parts = []
    for name, (when, text) in ranked:
        if ":" in text:
            text = text.split(":", 1)[1].strip()
        parts.append(name + ": " + text)
    msg = parts[0] + " received before " + parts[1]
    for c in pair:
        c.send(msg.encode())
        c.close()
    print("Sent acknowledgment to both X and Y")
    s.close()


main()
