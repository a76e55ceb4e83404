from socket import *

serverPort = 12000
serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.bind(('', serverPort))
serverSocket.listen(1)
print('The server is ready to receive')

connectionX, addrX = serverSocket.accept()
print('Client X:', addrX)
connectionY, addrY = serverSocket.accept()
print('Client Y:', addrY)

connectionX.send('Client X connected'.encode())
connectionY.send('Client Y connected'.encode())

messageX = connectionX.recv(1024).decode()
print(messageX)
messageY = connectionY.recv(1024).decode()
print(messageY)

reply = messageX[7:] + ' received before ' + messageY[7:]
print(reply)
connectionX.send(reply.encode())
connectionY.send(reply.encode())
print('Sent acknowledgment to both X and Y')

connectionX.close()
connectionY.close()
serverSocket.close()
