# Omar Siddiqui
# CST 311 - Programming Assignment 3 - server.py
# Run on h2 in mininet:  h2 python3 server.py &
#
# Multithreading: one thread per client so the server can wait for both
# clients' messages at the same time. Whichever thread receives first
# appends first, so the list has the real arrival order. A lock protects
# the list because both threads write to it.

from socket import *
from threading import Thread, Lock

serverPort = 12000
arrivals = []
lock = Lock()


def recv_from(conn, letter):
    msg = conn.recv(1024).decode()
    with lock:
        arrivals.append(letter + ': ' + msg)
        print('Client {} sent message {}: {}'.format(letter, len(arrivals), msg))


serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
serverSocket.bind(('', serverPort))
serverSocket.listen(2)
print('The server is waiting to receive 2 connections....')

connX, addrX = serverSocket.accept()
print('Accepted first connection, calling it client X')
connY, addrY = serverSocket.accept()
print('Accepted second connection, calling it client Y')

# tell both clients they are connected
connX.send('Client X connected'.encode())
connY.send('Client X connected'.encode())

print('Waiting to receive messages from client X and client Y....')
tX = Thread(target=recv_from, args=(connX, 'X'))
tY = Thread(target=recv_from, args=(connY, 'Y'))
tX.start()
tY.start()
tX.join()
tY.join()

ack = arrivals[0] + ' received before ' + arrivals[1]
connX.send(ack.encode())
connY.send(ack.encode())
print('Sent acknowledgment to both X and Y')

connX.close()
connY.close()
serverSocket.close()
