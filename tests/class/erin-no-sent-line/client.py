# client.py -- PA3 (TCP client/server)
# Erin Evans

import socket

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect(('10.0.0.1', 12000))

greeting = sock.recv(1024).decode()
print('From Server: %s' % greeting)
letter = greeting.split()[1]

name = input('Enter message to send to server: ')
message = 'Client %s: %s' % (letter, name)
sock.send(message.encode())
print('Sent: %s' % message)

print('From Server: %s' % sock.recv(1024).decode())
sock.close()
