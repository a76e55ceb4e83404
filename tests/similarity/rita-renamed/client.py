# CST311 Programming Assignment 3 -- TCP client
# Rita Ramos

from socket import *

HOST = '10.0.0.1'
PORT_NUMBER = 12000

conn = socket(AF_INET, SOCK_STREAM)
conn.connect((HOST, PORT_NUMBER))

hello = conn.recv(1024).decode().strip()
print('From Server:', hello)
tag = hello.split()[1]

who = input('Enter message to send to server: ')
outgoing = 'Client ' + tag + ': ' + who
conn.send(outgoing.encode())
print('Sent to Server:', outgoing)

answer = conn.recv(1024).decode().strip()
print('From Server:', answer)
conn.close()
