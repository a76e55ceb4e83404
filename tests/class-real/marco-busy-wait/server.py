# CST 311 - PA3 TCP Server
# Marco Bianchi
#
# Multithreading is necessary because both clients can send their message
# at any time and in any order. A thread for each client receives its
# message, so the server is never blocked on the wrong client, and the
# shared list records which message came in first.

from socket import *
import threading

serverName = '127.0.0.1'
serverPort = 12000

clients = []     # connection sockets, X first
msgs = []        # messages in the order they came in


def listen_client(conn):
    data = conn.recv(1024).decode()
    msgs.append(data)
    print('Received message ' + str(len(msgs)) + ': ' + data)


serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.bind((serverName, serverPort))
serverSocket.listen(1)
print('The server is waiting to receive 2 connections....')

while len(clients) < 2:
    conn, addr = serverSocket.accept()
    clients.append(conn)
    if len(clients) == 1:
        print('Accepted first connection, calling it client X')
    else:
        print('Accepted second connection, calling it client Y')

clients[0].send('Client X connected'.encode())
clients[1].send('Client Y connected'.encode())
print('Waiting to receive messages from client X and client Y....')

for c in clients:
    threading.Thread(target=listen_client, args=(c,)).start()

# wait here until both messages are in
while len(msgs) < 2:
    pass

ack = 'X: ' + msgs[0] + ' received before Y: ' + msgs[1]
for c in clients:
    c.send(ack.encode())
print('Sent acknowledgement to both X and Y.')

for c in clients:
    c.close()
serverSocket.close()
