# PA3 server - Trent Tran
#
# Why multithreading: the server has to wait for two clients at once and
# find out whose message came first. recv() blocks, so one thread can only
# wait on one client; it would report the order it read the clients in,
# not the order the messages arrived. One thread per client waits on each
# socket, and puts the message in a shared list as soon as it arrives; the
# main thread watches the list until both messages are in.

import threading
from socket import *

arrivals = []


def receive(conn, letter):
    message = conn.recv(1024).decode().strip()
    arrivals.append(message)
    print('Client ' + letter + ' sent: ' + message)


server = socket(AF_INET, SOCK_STREAM)
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
server.bind(('', 12000))
server.listen(2)
print('Server ready')

conns = []
for letter in ('X', 'Y'):
    conn, addr = server.accept()
    conns.append((letter, conn))
    print('Client ' + letter + ' is ' + addr[0])
for letter, conn in conns:
    conn.send(('Client ' + letter + ' connected').encode())

for letter, conn in conns:
    threading.Thread(target=receive, args=(conn, letter)).start()

# wait until both messages are in
while len(arrivals) < 2:
    pass

ack = arrivals[0].replace('Client ', '', 1) + ' received before ' + arrivals[1].replace('Client ', '', 1)
print(ack)
for letter, conn in conns:
    conn.send(ack.encode())
    conn.close()
print('Sent acknowledgment to both X and Y')
