# CST 311 - PA3 TCP Client
# Marco Bianchi

from socket import *

serverName = '127.0.0.1'
serverPort = 12000

clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((serverName, serverPort))

modifiedSentence = clientSocket.recv(1024)
print('From Server:', modifiedSentence.decode())

sentence = input('Enter message to send to server: ')
clientSocket.send(sentence.encode())

modifiedSentence = clientSocket.recv(1024)
print('From Server:', modifiedSentence.decode())
clientSocket.close()
