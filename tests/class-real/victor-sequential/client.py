#TCP Client
#Victor Almeida
#CST311 PA3

from socket import *

serverName = ''
serverPort = 12000
clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((serverName, serverPort))

sentence = input('Enter message (like Client X: Alice): ')
clientSocket.send(sentence.encode())

ack = clientSocket.recv(1024)
print('From Server:', ack.decode())
clientSocket.close()
