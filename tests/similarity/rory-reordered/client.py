# PA3 client - Rory Reyes

import socket

SERVER_PORT = 12000
SERVER_IP = "10.0.0.1"

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect((SERVER_IP, SERVER_PORT))

greeting = sock.recv(1024).decode().strip()
print(f"From Server: {greeting}")
letter = greeting.split()[1]

name = input("Enter message to send to server: ")
message = f"Client {letter}: {name}"
sock.send(message.encode())
print(f"Sent to Server: {message}")

reply = sock.recv(1024).decode().strip()
print(f"From Server: {reply}")
sock.close()
