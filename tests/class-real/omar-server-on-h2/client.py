# Omar Siddiqui
# CST 311 - Programming Assignment 3 - client.py
# Run on h1 and h3:  h1 python3 client.py

from socket import *

serverName = '10.0.0.2'    # h2 is the server in our mininet topology
serverPort = 12000

clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((serverName, serverPort))

msg = clientSocket.recv(1024)
print('From Server: ' + msg.decode())

sentence = input('Enter message to send to server: ')
clientSocket.send(sentence.encode())

reply = clientSocket.recv(1024)
print('From Server: ' + reply.decode())
clientSocket.close()
