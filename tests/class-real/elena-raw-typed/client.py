# client.py
# Elena Rossi
# CST 311, PA3: TCP client/server
#
# Connects to the server, waits for the "connected" message, sends one
# message typed by the user and prints the server's answer.

from socket import *

serverName = 'localhost'
serverPort = 12000

clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((serverName, serverPort))

status = clientSocket.recv(1024)
print('From Server: ' + status.decode())

sentence = input('Enter message to send to server: ')
clientSocket.send(sentence.encode())

answer = clientSocket.recv(1024)
print('From Server: ' + answer.decode())

clientSocket.close()
