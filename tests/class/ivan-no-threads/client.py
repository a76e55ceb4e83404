from socket import *

serverName = '10.0.0.1'
serverPort = 12000
clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((serverName, serverPort))

greeting = clientSocket.recv(1024).decode()
print('From Server: ', greeting)

sentence = input('Input your name: ')
sentence = greeting[:8] + ': ' + sentence
clientSocket.send(sentence.encode())

modifiedSentence = clientSocket.recv(1024)
print('From Server: ', modifiedSentence.decode())
clientSocket.close()
