# PA3 TCP client (a solution of the kind found published online).
from socket import socket, AF_INET, SOCK_STREAM

c = socket(AF_INET, SOCK_STREAM)
c.connect(("10.0.0.1", 12000))
hello = c.recv(1024).decode()
print("From Server:", hello)
who = hello.split()[1]
msg = input("Enter message to send to server: ")
c.send(("Client " + who + ": " + msg).encode())
print("From Server:", c.recv(1024).decode())
c.close()
