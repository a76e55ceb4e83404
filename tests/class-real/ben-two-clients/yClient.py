# yClient.py
# Ben Okafor, Lucy Tran

from socket import *

# change to the server's IP for mininet
serverName = '127.0.0.1'
serverPort = 12000

clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((serverName, serverPort))

sentence = 'Client Y: Bob'

# wait so we can choose which client sends first
input('Press Enter to send message to server')

clientSocket.send(sentence.encode())
print('To Server: ' + sentence)

modifiedSentence = clientSocket.recv(1024)
print('From Server:', modifiedSentence.decode())
clientSocket.close()
