# PA3 TCP server - Carol Chen
#
# Why we need multithreading:
#   The server talks to two clients at once and must report which one's
#   message reached it first. Reading from a socket (recv) blocks until that
#   client sends something, so if the server read from one client and then
#   the other, it would always report the first one it read from, no matter
#   who actually sent first. So each client gets its own thread that waits
#   on its own socket. When a message comes in, its thread adds it to a list
#   shared by both threads (with a lock so they don't both write at once).
#   The first entry in that list is the message that arrived first.

import threading
from socket import *

order = []                  # messages in arrival order (shared)
order_lock = threading.Lock()


def listen_to(conn, who):
    text = conn.recv(1024).decode().strip()
    with order_lock:
        order.append(text)
    print('From Client ' + who + ':', text)


s = socket(AF_INET, SOCK_STREAM)
s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
s.bind(('', 12000))
s.listen(2)
print('Server is listening on port 12000')

clients = {}
for who in ('X', 'Y'):
    conn, addr = s.accept()
    clients[who] = conn
    # let the client know right away that it is connected and who it is
    conn.send(f'Client {who} connected'.encode())
    print(f'Client {who} connected from {addr}')

workers = [threading.Thread(target=listen_to, args=(c, w)) for w, c in clients.items()]
for w in workers:
    w.start()
for w in workers:
    w.join()

reply = order[0].replace('Client ', '', 1) + ' received before ' + order[1].replace('Client ', '', 1)
print(reply)
for conn in clients.values():
    conn.send(reply.encode())
print('Sent acknowledgment to both X and Y')
for conn in clients.values():
    conn.close()
s.close()
