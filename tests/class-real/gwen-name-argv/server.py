#!/usr/bin/env python3
# Gwen Albright
# CST 311 PA3 - server
# Threads: each client is handled in its own thread so that one client
# waiting does not block the other one.

from socket import *
from threading import Thread

serverName = gethostname()
serverPort = 12345
names = ['X', 'Y']
msgs = []
socks = []


def client_thread(sock, letter):
    data = sock.recv(1024).decode()
    msgs.append(letter + ': ' + data)
    if len(msgs) == 2:
        ack = msgs[0] + ' received before ' + msgs[1]
        for s in socks:
            s.send(ack.encode())
        print('Sent acknowledgment to both X and Y')


serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.bind((serverName, serverPort))
serverSocket.listen(2)
print('Server is listening on', serverName, serverPort)

threads = []
for i in range(2):
    sock, addr = serverSocket.accept()
    socks.append(sock)
    t = Thread(target=client_thread, args=(sock, names[i]))
    t.start()
    threads.append(t)

for t in threads:
    t.join()
for s in socks:
    s.close()
serverSocket.close()
