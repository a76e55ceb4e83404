# CST 311 - Programming Assignment 3 (TCP client/server)
# Ana Moreno
#
# Why multithreading: the server has to wait on two sockets at the same
# time. If it called recv() on client X first it would be stuck there even
# when client Y sends first, so it could never tell which message really
# arrived first. With one thread per client both recv() calls wait at once
# and whichever thread wakes up first writes its message to the shared list
# first (the lock keeps the two threads from writing at the same moment).

from socket import *
import threading

serverName = 'localhost'
serverPort = 5000

messages = []              # (letter, message) in the order they arrived
lock = threading.Lock()


def get_message(conn, letter):
    # wait for this client's message and remember when it came
    data = conn.recv(1024).decode()
    with lock:
        messages.append((letter, data))
        print('Client ' + letter + ' sent message ' + str(len(messages)) + ': ' + data)


serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
serverSocket.bind((serverName, serverPort))
serverSocket.listen(2)
print('The server is waiting to receive 2 connections....')

# first connection is X, second is Y
connX, addrX = serverSocket.accept()
print('Accepted first connection, calling it client X')
connY, addrY = serverSocket.accept()
print('Accepted second connection, calling it client Y')

# only now that both are here tell them who they are
connX.send('Client X connected'.encode())
connY.send('Client Y connected'.encode())

print('Waiting to receive messages from client X and client Y....')
tX = threading.Thread(target=get_message, args=(connX, 'X'))
tY = threading.Thread(target=get_message, args=(connY, 'Y'))
tX.start()
tY.start()
tX.join()
tY.join()

# the clients send "Client X: Alice", the ack wants "X: Alice"
first = messages[0][1].replace('Client ', '', 1)
second = messages[1][1].replace('Client ', '', 1)
ack = first + ' received before ' + second
print(ack)

connX.send(ack.encode())
connY.send(ack.encode())
print('Sent acknowledgment to both X and Y')

connX.close()
connY.close()
serverSocket.close()
