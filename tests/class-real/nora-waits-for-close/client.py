# Nora Fischer
# CST311 Programming Assignment 3 -- client.py

import socket

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect(('localhost', 12000))

welcome = sock.recv(1024).decode()
print(welcome)

name = input('Your name: ')
sock.send(name.encode())
sock.close()          # done sending, the server takes it from here
print('Message sent. Bye!')
