# PA3Client_Petrov_Lee.py
# Team 6: Dmitri Petrov, Hannah Lee
# CST 311 Programming Assignment 3

from socket import *

# In your command prompt, type in hostname and press enter.
# What comes up is your computer's hostname
serverName = gethostname()
serverPort = 12000

clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((serverName, serverPort))

# server tells us when both clients are connected
connected = clientSocket.recv(1024)
print('From Server: ' + connected.decode())

sentence = input('Enter message to send to server: ')
clientSocket.send(sentence.encode())

reply = clientSocket.recv(1024)
print('From Server: ' + reply.decode())
clientSocket.close()
