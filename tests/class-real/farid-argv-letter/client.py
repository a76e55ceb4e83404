# Farid Haddad - CST311 PA3 client
# usage:  python3 client.py X     (or Y for the other client)

import socket
import sys

if len(sys.argv) != 2 or sys.argv[1].upper() not in ('X', 'Y'):
    print('usage: python3 client.py X   or   python3 client.py Y')
    sys.exit(1)
letter = sys.argv[1].upper()

SERVER = '127.0.0.1'
PORT = 12000

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect((SERVER, PORT))

print(sock.recv(1024).decode())          # Client X connected
name = input('Enter your name: ')
msg = 'Client ' + letter + ': ' + name
sock.send(msg.encode())
print('Sent: ' + msg)

print(sock.recv(1024).decode())
sock.close()
