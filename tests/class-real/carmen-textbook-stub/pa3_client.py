"""
pa3_client.py  --  Carmen Diaz, CST 311 PA3

Connects to the server, waits for the message saying both clients are
connected, sends what the user types and prints the server's answer.
"""
from socket import *

serverName = '127.0.0.1'
serverPort = 12000

clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((serverName, serverPort))

# wait until the server says we can go
print(clientSocket.recv(1024).decode())

sentence = input('Enter message to send to server: ')
clientSocket.send(sentence.encode())

# which message got there first
print(clientSocket.recv(1024).decode())
clientSocket.close()
