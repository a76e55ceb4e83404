# PA3 - TCP Server (classic style)
#
# Usage: python3 classic_server.py HOST PORT
#
# An independent, student-style solution to the PA3 assignment, kept here as
# a foreign peer for interoperability tests. It does what the classic
# solutions do: one send() per message with no newline, recv(1024), and an
# acknowledgment built from the received messages as they came (not
# stripped).
#
# Why multithreading is needed:
# After both clients are connected, the server has to wait for a message from
# each of them, and it does not know which client will send first. recv()
# blocks. If the server called recv() on client X first and then on client Y,
# it would always "receive" X's message first even when Y's arrived earlier,
# so the order it reports would be the connection order, not the arrival
# order. With one thread per client, each thread blocks on its own socket and
# records its message in a shared list (protected by a lock) as soon as it
# arrives, so the list holds the messages in the order they really arrived.

import socket
import sys
import threading

HOST = sys.argv[1] if len(sys.argv) > 1 else "0.0.0.0"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 12000

messages = []              # messages in the order they were received
lock = threading.Lock()    # protects `messages`


def handle_client(connection, name):
    # wait for this client's message and remember it
    message = connection.recv(1024).decode()
    with lock:
        messages.append(message)
    print("Client " + name + " sent: " + message)


server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server_socket.bind((HOST, PORT))
server_socket.listen(2)
print("The server is ready to receive on " + HOST + ":" + str(server_socket.getsockname()[1]))

# the first client to connect is X, the second is Y
connection_x, address_x = server_socket.accept()
print("Accepted first connection from " + str(address_x) + " as Client X")
connection_y, address_y = server_socket.accept()
print("Accepted second connection from " + str(address_y) + " as Client Y")

# both are connected now, tell them who they are
connection_x.send("Client X connected".encode())
connection_y.send("Client Y connected".encode())

thread_x = threading.Thread(target=handle_client, args=(connection_x, "X"))
thread_y = threading.Thread(target=handle_client, args=(connection_y, "Y"))
thread_x.start()
thread_y.start()
thread_x.join()
thread_y.join()

# "Client X: Alice" -> "X: Alice"
first = messages[0].replace("Client ", "", 1)
second = messages[1].replace("Client ", "", 1)
acknowledgment = first + " received before " + second
print(acknowledgment)

connection_x.send(acknowledgment.encode())
connection_y.send(acknowledgment.encode())
print("Sent acknowledgment to both X and Y")

connection_x.close()
connection_y.close()
server_socket.close()
