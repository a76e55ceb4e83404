# CST311 Programming Assignment 3 -- TCP server
# Rita Ramos
#
# Multithreading: every client gets its own thread so that the server can
# be blocked in recv() on both sockets at once. The thread whose client
# speaks first records its message first (under a lock), so the shared list
# is in arrival order. One thread would wait on X first no matter what,
# and then report the connection order instead.

import threading
from socket import *

PORT_NUMBER = 12000

order_seen = []
guard = threading.Lock()


def wait_for(sock, tag):
    """Thread body: block until this client sends, then note the message."""
    text = sock.recv(1024).decode().strip()
    with guard:
        order_seen.append((tag, text))
    print("Received from Client " + tag + ": " + text)


def strip_prefix(text):
    # drop the leading "Client " so only "X: name" is left
    if text.startswith("Client "):
        return text[len("Client "):]
    return text


listener = socket(AF_INET, SOCK_STREAM)
listener.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
listener.bind(("", PORT_NUMBER))
listener.listen(2)
print("Server up, waiting for two clients")

clients = []
for tag in ["X", "Y"]:
    sock, where = listener.accept()
    print("Connection from", where, "is Client", tag)
    clients.append((tag, sock))

for tag, sock in clients:
    sock.send(("Client " + tag + " connected").encode())

workers = []
for tag, sock in clients:
    worker = threading.Thread(target=wait_for, args=(sock, tag))
    worker.start()
    workers.append(worker)
for worker in workers:
    worker.join()

earliest = strip_prefix(order_seen[0][1])
latest = strip_prefix(order_seen[1][1])
reply = earliest + " received before " + latest
print(reply)

for tag, sock in clients:
    sock.send(reply.encode())
print("Sent acknowledgment to both X and Y")

for tag, sock in clients:
    sock.close()
listener.close()
