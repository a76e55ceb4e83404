# PA3 - TCP Server, written the way a common wrong solution is: sequential.
#
# Usage: python3 sequential_server.py HOST PORT
#
# A foreign peer for the report fixtures and the tests: it accepts X and Y,
# greets both (one send(), no newline), then reads X's message *before* Y's
# with a blocking recv() each, so its "arrival order" is the connect order.
# It misspells its last line and, like many, never exits on its own.

import socket
import sys
import time

HOST = sys.argv[1] if len(sys.argv) > 1 else "0.0.0.0"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 12000

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((HOST, PORT))
server.listen(2)
print("The server is ready to receive")

clients = []
for letter in ("X", "Y"):
    conn, addr = server.accept()
    print("Connection from", addr)
    clients.append((letter, conn))

for letter, conn in clients:
    conn.send(("Client " + letter + " connected").encode())

received = []
for letter, conn in clients:
    message = conn.recv(1024).decode().strip()
    print(message)
    received.append(message)

first, second = received
first_letter, first_name = first.split(" ", 1)[1].split(": ", 1)
second_letter, second_name = second.split(" ", 1)[1].split(": ", 1)
ack = first_letter + ": " + first_name + " received before " + second_letter + ": " + second_name
for letter, conn in clients:
    conn.send(ack.encode())
print("Sent acknowledgement to both X and Y")

while True:
    time.sleep(1)
