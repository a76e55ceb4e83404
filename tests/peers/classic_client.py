# PA3 - TCP Client (classic style)
#
# Usage: python3 classic_client.py HOST PORT NAME [DELAY_S]
#
# An independent, student-style solution to the PA3 assignment, kept here as
# a foreign peer for interoperability tests: one send() with no newline and
# recv(1024). DELAY_S (default 0) is how long to "think" after the greeting
# before sending, like a person typing.

import socket
import sys
import time

HOST = sys.argv[1]
PORT = int(sys.argv[2])
NAME = sys.argv[3]
DELAY = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0

client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client_socket.connect((HOST, PORT))

# wait for the server to say which client we are
greeting = client_socket.recv(1024).decode()
print("From Server: " + greeting)
letter = "Y" if "Client Y" in greeting else "X"

time.sleep(DELAY)
message = "Client " + letter + ": " + NAME
client_socket.send(message.encode())
print("Sent: " + message)

reply = client_socket.recv(1024).decode()
print("From Server: " + reply)
client_socket.close()
