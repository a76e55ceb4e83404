# PA3 client - Mallory Miller

from socket import *

client = socket(AF_INET, SOCK_STREAM)
client.connect(('10.0.0.1', 12000))

greeting = client.recv(1024).decode()
print('From Server:', greeting)
letter = greeting.split()[1]

name = input('Enter message to send to server: ')
client.send(('Client ' + letter + ': ' + name).encode())
print('Sent to Server: Client ' + letter + ': ' + name)

print('From Server:', client.recv(1024).decode())
client.close()
