# server.py
# Elena Rossi
# CST 311, PA3: TCP client/server
#
# Multithreading is needed because the server does not know which client
# will send first. The main thread cannot block on one client's recv() while
# the other client's message arrives. So every client gets a thread that
# blocks on its own socket, and the threads report to the main thread
# through a shared list guarded by a condition variable.

from socket import *
import threading
import time

messages = []                   # "X: ..." / "Y: ..." in order of arrival
cond = threading.Condition()


class Handler(threading.Thread):
	def __init__(self, sock, letter):
		threading.Thread.__init__(self)
		self.sock = sock
		self.letter = letter

	def greet(self):
		self.sock.send(('Client ' + self.letter + ' connected').encode())

	def run(self):
		data = self.sock.recv(1024).decode()
		with cond:
			messages.append(self.letter + ': ' + data)
			print('Client ' + self.letter + ' sent message ' + str(len(messages)) + ': ' + data)
			cond.notify()

	def send_order(self, text):
		self.sock.send(text.encode())


serverPort = 12000
serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.bind(('', serverPort))
serverSocket.listen(2)
print('The server is waiting to receive 2 connections....\n')

handlers = []
for letter in ['X', 'Y']:
	sock, addr = serverSocket.accept()
	handlers.append(Handler(sock, letter))
	if letter == 'X':
		print('Accepted first connection, calling it client X')
	else:
		print('Accepted second connection, calling it client Y')

# both are connected now
for h in handlers:
	h.greet()
	h.start()
print('\nWaiting to receive messages from client X and client Y....\n')

with cond:
	while len(messages) < 2:
		cond.wait()

order = messages[0] + ' received before ' + messages[1]
for h in handlers:
	h.send_order(order)

print('\nWaiting a bit for clients to close their connections')
time.sleep(1)
for h in handlers:
	h.join()
	h.sock.close()
serverSocket.close()
print('Done.')
