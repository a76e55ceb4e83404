# Pat Price - PA3 client
from socket import socket, AF_INET, SOCK_STREAM

c = socket(AF_INET, SOCK_STREAM)
c.connect(("10.0.0.1", 12000))
greeting = c.recv(1024).decode()
print("From Server:", greeting)
letter = greeting.split()[1]
msg = input("Enter message to send to server: ")
c.send(("Client " + letter + ": " + msg).encode())
print("From Server:", c.recv(1024).decode())
c.close()
