#  PA3 - Client
#  Dave Diaz

from socket import *

serverName = "10.0.0.1"
serverPort = 12000
clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((serverName, serverPort))

connected = clientSocket.recv(1024).decode()
print("From Server: " + connected)
letter = connected.split()[1]

name = input("Enter your name: ")
message = "Client " + letter + ": " + name
clientSocket.send(message.encode())
print("Sent to Server: " + message)

ack = clientSocket.recv(1024).decode()
print("From Server: " + ack)
clientSocket.close()
