#! /usr/bin/python
# Hugo Lambert - CST311 Programming Assignment 3
# TCP server for two clients X and Y. Written for python 2 (the mininet VM)
#
# Multithreading: we need it so the server can listen to both clients at
# the same time and see which message comes first.

from socket import *

serverPort = 12000
serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.bind(('', serverPort))
serverSocket.listen(2)
print 'The server is ready to receive'

while 1:
	# first client is X
	clientX, addrX = serverSocket.accept()
	print 'Accepted first connection, calling it client X'
	clientX.send('Client X connected')

	# second client is Y
	clientY, addrY = serverSocket.accept()
	print 'Accepted second connection, calling it client Y'
	clientY.send('Client Y connected')

	print 'Waiting to receive messages from client X and client Y'
	msgX = clientX.recv(1024)
	print 'Client X sent: ' + msgX
	msgY = clientY.recv(1024)
	print 'Client Y sent: ' + msgY

	ack = 'X: ' + msgX + ' received before Y: ' + msgY
	clientX.send(ack)
	clientY.send(ack)
	print 'Sent acknowledgment to both X and Y'

	clientX.close()
	clientY.close()
