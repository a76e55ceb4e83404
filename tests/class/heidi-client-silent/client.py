# Heidi Hoffmann - PA3 client

from socket import *

client = socket(AF_INET, SOCK_STREAM)
client.connect(('10.0.0.1', 12000))

greeting = client.recv(1024).decode()
print('From Server:', greeting)
letter = greeting.split()[1]

name = input('Enter message to send to server: ')
msg = 'Client ' + letter + ': ' + name
client.send(msg.encode())
print('Sent to Server:', msg)

ack = client.recv(1024).decode()
client.close()
print('Done.')
