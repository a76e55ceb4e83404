# PA3 - TCP Server (greets too early)
#
# Usage: python3 early_greeting_server.py HOST PORT
#
# A student-style PA3 server with the assignment's most common fault, kept
# here as a foreign peer: it tells each client its letter the moment that
# client connects, so X hears "Client X connected" while Y is not connected
# yet. Rubric item 5 asks for the greetings only after BOTH connections
# are established. Everything else is right: X is the first to connect,
# one thread per client, the acknowledgment in arrival order, and
# "Sent acknowledgment to both X and Y".
#
# Why multithreading is needed:
# recv() blocks, and the server cannot know which client will send first.
# Reading X and then Y would report the connection order; one thread per
# client, each blocked on its own socket and appending to a shared list
# under a lock, records the order in which the messages really arrived.

import socket
import sys
import threading

HOST = sys.argv[1] if len(sys.argv) > 1 else "0.0.0.0"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 12000

arrivals = []              # (letter, name) in the order the messages arrived
lock = threading.Lock()    # protects `arrivals`


def handle_client(connection, letter):
    message = connection.recv(1024).decode().strip()
    print("Received: " + message)
    # "Client X: Alice" -> "Alice"
    name = message.split(":", 1)[1].strip() if ":" in message else message
    with lock:
        arrivals.append((letter, name))


server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server_socket.bind((HOST, PORT))
server_socket.listen(2)
print("The server is ready to receive on " + HOST + ":" + str(server_socket.getsockname()[1]))

connections = []
for letter in ["X", "Y"]:
    connection, address = server_socket.accept()
    print("Accepted connection from " + str(address) + " as Client " + letter)
    # The fault: greeted at once, before the other client is connected.
    connection.send(("Client " + letter + " connected\n").encode())
    connections.append((connection, letter))

threads = [threading.Thread(target=handle_client, args=c) for c in connections]
for t in threads:
    t.start()
for t in threads:
    t.join()

(first, first_name), (second, second_name) = arrivals
acknowledgment = first + ": " + first_name + " received before " + second + ": " + second_name
print(acknowledgment)
for connection, _ in connections:
    connection.send((acknowledgment + "\n").encode())
print("Sent acknowledgment to both X and Y")

for connection, _ in connections:
    connection.close()
server_socket.close()
