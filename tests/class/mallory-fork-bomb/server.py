# PA3 server - Mallory Miller
#
# Why multithreading: the two clients can send in any order and recv()
# blocks, so waiting on one client at a time would give the order in which
# the server happened to read, not the order in which the messages arrived.
# Instead of threads I use processes (fork), which the OS runs at the same
# time just like threads: one child process waits on each client and
# writes the message into a pipe shared with the parent, so the parent
# reads the messages in the order they arrived.

import os
from socket import *

server = socket(AF_INET, SOCK_STREAM)
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
server.bind(('', 12000))
server.listen(2)
print('Server is ready')

clients = []
for letter in ('X', 'Y'):
    conn, addr = server.accept()
    print('Client', letter, 'connected from', addr)
    clients.append((letter, conn))
for letter, conn in clients:
    conn.send(('Client ' + letter + ' connected').encode())

# the pipe is the data shared between the processes
read_end, write_end = os.pipe()

for letter, conn in clients:
    while True:
        pid = os.fork()
        if pid == 0:
            # child: wait for this client's message and pass it on
            message = conn.recv(1024).decode().strip()
            os.write(write_end, (message + '\n').encode())
            os._exit(0)
        # parent: go on to the next client

os.close(write_end)
pipe = os.fdopen(read_end)
first = pipe.readline().strip()
second = pipe.readline().strip()
print(first)
print(second)
ack = first.replace('Client ', '') + ' received before ' + second.replace('Client ', '')
print(ack)
for letter, conn in clients:
    conn.send(ack.encode())
print('Sent acknowledgment to both X and Y')
