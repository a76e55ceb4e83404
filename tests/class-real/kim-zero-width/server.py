#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""
CST311 PA3 server
Kim Nguyen

We need multithreading because the server has to receive from two clients
and we do not know which one will send first. Each client gets a thread
that waits for its message, so the message that arrives first is stored
first.
"""

from socket import *
import threading

messages = []

def catch_msg(sock, letter):
	global messages
	msg = sock.recv(1024).decode()
	messages.append(letter + ": " + msg)
	print("Client " + letter + " sent message: " + msg)


serverPort = 12000
serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.bind(("", serverPort))
serverSocket.listen(2)
print("The server is ready to receive")

while True:
	messages = []
	connectionSocketX, addrX = serverSocket.accept()
	print("Accepted first connection, calling it connection X")
	connectionSocketX.send("Client X connected".encode())

	connectionSocketY, addrY = serverSocket.accept()
	print("Accepted second connection, calling it connection Y")
	connectionSocketY.send("Client Y connected".encode())

	print("\nWaiting to receive messages from client X and client Y\n")

	t1 = threading.Thread(target=catch_msg, args=(connectionSocketX, "X"))
	t2 = threading.Thread(target=catch_msg, args=(connectionSocketY, "Y"))
	t1.start()
	t2.start()
	t1.join()
	t2.join()

	msg = messages[0] + " received before " + messages[1]
	connectionSocketX.send(msg.encode())
	connectionSocketY.send(msg.encode())
	print("Sent acknowledgment to both X and Y")

	connectionSocketX.close()
	connectionSocketY.close()
