# PA3 client - Trent Tran
#
# My name is filled in so I don't have to type it every time. The client
# checks the socket over and over until the server answers, and at the end
# it keeps the window open so the output can be read.

from socket import *

NAME = 'Trent'

client = socket(AF_INET, SOCK_STREAM)
client.connect(('10.0.0.1', 12000))
client.setblocking(False)


def wait_for_data():
    while True:
        try:
            data = client.recv(1024)
            if data:
                return data.decode()
        except BlockingIOError:
            pass


greeting = wait_for_data()
print('From Server:', greeting)
letter = greeting.split()[1]

message = 'Client ' + letter + ': ' + NAME
client.send(message.encode())
print('Sent to Server:', message)

print('From Server:', wait_for_data())

while True:      # keep the window open
    pass
