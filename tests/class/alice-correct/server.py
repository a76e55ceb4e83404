# PA3 - TCP Client/Server: server.py
# Alice Anderson
#
# Why multithreading is needed
# ----------------------------
# Once both clients are connected the server has to wait for a message
# from each of them, and it cannot know which client will type first.
# recv() blocks until data arrives. A server with only one thread would
# have to pick a client and call recv() on it first - say X. If Y sends
# first, the server is still stuck waiting on X; it only gets to Y's
# message after X has sent too, and it would then report X's message as
# the first one. That is the order in which the clients connected, not
# the order in which their messages arrived, which is what the
# acknowledgment must report.
#
# With one thread per client, each thread blocks in recv() on its own
# socket, so whichever message comes in first wakes its thread first.
# The threads share one list (the data shared between threads) and a lock:
# each thread appends its message as soon as it has it, so the list holds
# the messages in the order they really arrived. The main thread waits
# for both threads (join) and builds the acknowledgment from the list.

import threading
from socket import *

serverPort = 12000

# (letter, message) in the order the messages arrived at the server
arrivals = []
arrivals_lock = threading.Lock()


def receive_message(connectionSocket, letter):
    """Runs in its own thread: wait for this client's message and record it."""
    message = connectionSocket.recv(1024).decode().strip()
    with arrivals_lock:
        arrivals.append((letter, message))
    print('Received from Client ' + letter + ': ' + message)


def without_client(message):
    """'Client X: Alice' -> 'X: Alice'"""
    if message.startswith('Client '):
        return message[len('Client '):]
    return message


serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
serverSocket.bind(('', serverPort))
serverSocket.listen(2)
print('The server is ready to receive')

# The first client to connect is X, the second one is Y.
connections = []
for letter in ['X', 'Y']:
    connectionSocket, addr = serverSocket.accept()
    print('Accepted connection from', addr, 'as Client', letter)
    connections.append((letter, connectionSocket))

# Both clients are connected now: tell each one which client it is.
for letter, connectionSocket in connections:
    connectionSocket.send(('Client ' + letter + ' connected').encode())

# One thread per client waits for that client's message.
threads = []
for letter, connectionSocket in connections:
    t = threading.Thread(target=receive_message, args=(connectionSocket, letter))
    t.start()
    threads.append(t)
for t in threads:
    t.join()

# Both messages are in, in the order they arrived.
first = without_client(arrivals[0][1])
second = without_client(arrivals[1][1])
acknowledgment = first + ' received before ' + second
print(acknowledgment)

for letter, connectionSocket in connections:
    connectionSocket.send(acknowledgment.encode())
print('Sent acknowledgment to both X and Y')

for letter, connectionSocket in connections:
    connectionSocket.close()
serverSocket.close()
