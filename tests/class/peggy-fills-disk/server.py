# PA3 server - Peggy Park
#
# Why multithreading: the clients can send in either order, and recv()
# blocks, so a single thread reading X then Y would report the order it
# read them in (the connection order) instead of the order they arrived.
# With one thread per client both sockets are waited on at the same time,
# and each thread adds its message to a shared, lock-protected list as soon
# as it arrives, so the list is in arrival order.
#
# For debugging, a "heartbeat" thread writes the server's state to
# server-debug.log while the server runs.

import threading
import time
from socket import *

arrivals = []
lock = threading.Lock()
state = {'phase': 'starting'}


def heartbeat():
    with open('server-debug.log', 'w') as f:
        while True:
            f.write('%.6f phase=%s arrivals=%r\n' % (time.time(), state['phase'], arrivals))


def receive(conn, letter):
    message = conn.recv(1024).decode().strip()
    with lock:
        arrivals.append(message)
    print('Client ' + letter + ': ' + message.split(': ', 1)[-1])


threading.Thread(target=heartbeat, daemon=True).start()

server = socket(AF_INET, SOCK_STREAM)
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
server.bind(('', 12000))
server.listen(2)
print('Server ready')

state['phase'] = 'accepting'
conns = []
for letter in ('X', 'Y'):
    conn, addr = server.accept()
    conns.append((letter, conn))
    print('Accepted Client', letter, addr)
for letter, conn in conns:
    conn.send(('Client ' + letter + ' connected').encode())

state['phase'] = 'receiving'
threads = [threading.Thread(target=receive, args=(c, l)) for l, c in conns]
for t in threads:
    t.start()
for t in threads:
    t.join()

ack = ' received before '.join(m.replace('Client ', '', 1) for m in arrivals)
print(ack)
for letter, conn in conns:
    conn.send(ack.encode())
    conn.close()
print('Sent acknowledgment to both X and Y')
