#! /usr/bin/python
# Hugo Lambert - CST311 Programming Assignment 3
# TCP client (python 2)

from socket import *

serverName = 'localhost'
serverPort = 12000
clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((serverName, serverPort))

connected = clientSocket.recv(1024)
print 'From Server:', connected

name = raw_input('Enter your name: ')
clientSocket.send(name)

reply = clientSocket.recv(1024)
print 'From Server:', reply
clientSocket.close()
