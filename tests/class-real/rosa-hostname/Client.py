# Client.py

# Group: Rosa Delgado, Tom Becker, Ike Obi
# Title: Client.py
# Programming Assignment 3 - CST311
#
# Description: TCP client that connects to the server, sends the message
# typed by the user and prints what the server answers.

from socket import *


# Creates the client socket and connects it to the server.
def getConnection(serverName, serverPort):
    clientSocket = socket(AF_INET, SOCK_STREAM)
    clientSocket.connect((serverName, serverPort))
    return clientSocket


# Receives a message from the server and prints it.
def receiveMessage(clientSocket):
    serverMessage = clientSocket.recv(1024)
    print(serverMessage.decode())


def main():
    serverName = gethostbyname(gethostname())
    serverPort = 12000

    clientSocket = getConnection(serverName, serverPort)

    # message saying we are connected
    receiveMessage(clientSocket)

    clientMessage = input('Enter Message to send to Server: ')
    clientSocket.send(clientMessage.encode())

    # which message came first
    receiveMessage(clientSocket)


# Call to main
if __name__ == "__main__":
    main()
