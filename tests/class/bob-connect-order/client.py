# CST 311 - PA3 client
# Bob Baker

import socket

SERVER = '10.0.0.1'
PORT = 12000

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((SERVER, PORT))

welcome = client.recv(1024).decode()
print('From Server:', welcome)
me = 'X' if 'Client X' in welcome else 'Y'

name = input('Enter your name: ')
msg = 'Client ' + me + ': ' + name
client.send(msg.encode())
print('Sent:', msg)

answer = client.recv(1024).decode()
print('From Server:', answer)
client.close()
