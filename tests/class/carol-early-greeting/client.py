# PA3 TCP client - Carol Chen
from socket import *

s = socket(AF_INET, SOCK_STREAM)
s.connect(('10.0.0.1', 12000))

hello = s.recv(1024).decode().strip()
print('From Server:', hello)
who = hello.split(' ')[1]

name = input('Enter message to send to server: ')
s.send(f'Client {who}: {name}'.encode())
print(f'Sent to Server: Client {who}: {name}')

print('From Server:', s.recv(1024).decode().strip())
s.close()
