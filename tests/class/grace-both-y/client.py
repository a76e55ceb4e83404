# PA3: TCP Client
# Grace Garcia

from socket import *

serverName = '10.0.0.1'
serverPort = 12000
clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((serverName, serverPort))

connectedMessage = clientSocket.recv(1024).decode()
print('From Server:', connectedMessage)
clientName = connectedMessage[7]          # "Client X connected"[7] == "X"

name = input('Enter message to send to server: ')
message = 'Client ' + clientName + ': ' + name
clientSocket.send(message.encode())
print('Sent to Server:', message)

modifiedMessage = clientSocket.recv(1024).decode()
print('From Server:', modifiedMessage)
clientSocket.close()
