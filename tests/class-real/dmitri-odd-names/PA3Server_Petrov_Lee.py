# PA3Server_Petrov_Lee.py
# Team 6: Dmitri Petrov, Hannah Lee
# CST 311 Programming Assignment 3
#
# Question 11: Why do we need multithreading?
# Each client gets its own thread so the server can talk to more than one
# client. Without threads the server could only serve one client and the
# second client would have to wait until the first one is finished.

from socket import *
from threading import Thread

serverPort = 12000
received = []   # messages in the order the server got them


class ClientThread(Thread):
    def __init__(self, conn, letter):
        Thread.__init__(self)
        self.conn = conn
        self.letter = letter

    def run(self):
        msg = self.conn.recv(1024).decode()
        received.append(self.letter + ': ' + msg)
        print('Client ' + self.letter + ' sent message ' + str(len(received)) + ': ' + msg)


serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.bind(('', serverPort))
serverSocket.listen(2)
print('The server is waiting to receive 2 connections....\n')

connX, addrX = serverSocket.accept()
print('Accepted first connection, calling it client X')
connY, addrY = serverSocket.accept()
print('Accepted second connection, calling it client Y\n')

connX.send('Client X connected'.encode())
connY.send('Client Y connected'.encode())
print('Waiting to receive messages from client X and client Y....\n')

# one thread for each client
threadX = ClientThread(connX, 'X')
threadX.start()
threadX.join()
threadY = ClientThread(connY, 'Y')
threadY.start()
threadY.join()

ack = received[0] + ' received before ' + received[1]
connX.send(ack.encode())
connY.send(ack.encode())
print('Sent acknowledgment to both X and Y')

connX.close()
connY.close()
serverSocket.close()
