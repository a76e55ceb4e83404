#!/usr/bin/env python3
# Gwen Albright
# CST 311 PA3 - client
# Run as:  python3 client.py <your name>

from socket import *
import sys

serverName = gethostname()
serverPort = 12345

name = sys.argv[1]

clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((serverName, serverPort))
clientSocket.send(name.encode())
print('Sent ' + name + ' to the server')

reply = clientSocket.recv(1024).decode()
print('Server says: ' + reply)
clientSocket.close()
