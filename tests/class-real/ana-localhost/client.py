# CST 311 - Programming Assignment 3 (TCP client/server)
# Ana Moreno
# Client: connects to the server, waits until the server says both clients
# are connected, then sends "Client <letter>: <name>" and prints the reply.

from socket import *

serverName = 'localhost'
serverPort = 5000

clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((serverName, serverPort))

# "Client X connected" or "Client Y connected"
greeting = clientSocket.recv(1024).decode()
print(greeting)
letter = greeting.split()[1]

name = input('Enter your name: ')
message = 'Client ' + letter + ': ' + name
clientSocket.send(message.encode())
print('Sent: ' + message)

reply = clientSocket.recv(1024).decode()
print(reply)
clientSocket.close()
