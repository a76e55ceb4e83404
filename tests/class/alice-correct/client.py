# PA3 - TCP Client/Server: client.py
# Alice Anderson
#
# Run two of these (X and Y). The client connects to the server first,
# waits until the server says which client it is ("Client X connected"),
# then asks for a name, sends "Client X: <name>" and prints the server's
# reply (which message arrived first).

from socket import *

serverName = '10.0.0.1'   # h1 in the Mininet topology
serverPort = 12000

# TCP: connect first (the server accepts the two clients one at a time)
clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((serverName, serverPort))

# the server greets us once both clients are connected
greeting = clientSocket.recv(1024).decode().strip()
print('From Server:', greeting)
letter = greeting.split()[1]      # "Client X connected" -> "X"

name = input('Enter message to send to server: ')
message = 'Client ' + letter + ': ' + name
clientSocket.send(message.encode())
print('Sent to Server:', message)

# the acknowledgment says whose message arrived first
reply = clientSocket.recv(1024).decode().strip()
print('From Server:', reply)
clientSocket.close()
