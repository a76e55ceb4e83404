# Pat Price - PA3 server
# Threads let both clients be read at once.


import time
from socket import socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR
from threading import Thread

arrival_times = {}


def serve_one(c, name):
    payload = c.recv(1024)
    arrival_times[name] = (time.time(), payload.decode().strip())
    print(name, "said:", arrival_times[name][1])


def main():
    s = socket(AF_INET, SOCK_STREAM)
    s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    s.bind(("", 12000))
    s.listen(5)
    print("ready")
    connections = []
    while len(connections) < 2:
        c, a = s.accept()
        connections.append(c)
    names = ["X", "Y"]
    for i in range(2):
        connections[i].send(("Client " + names[i] + " connected").encode())
    ts = [Thread(target=serve_one, args=(connections[i], names[i])) for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    in_order = sorted(arrival_times.items(), key=lambda kv: kv[1][0])
    pieces = []
    for name, (when, text) in in_order:
        if ":" in text:
            text = text.split(":", 1)[1].strip()
        pieces.append(name + ": " + text)
    msg = pieces[0] + " received before " + pieces[1]
    for c in connections:
        c.send(msg.encode())
        c.close()
    print("Sent acknowledgment to both X and Y")
    s.close()


main()
