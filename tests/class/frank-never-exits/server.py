"""
PA3 TCP server                                   Frank Fischer

Why multithreading?
    The two clients may send their messages in either order, and the
    server has to report the order in which the messages *arrived*.
    socket.recv() blocks, so a single-threaded server must choose one
    client to wait on; if the other client sends first, that message just
    sits in the socket buffer until the server gets around to it, and the
    server reports the order it read them in (X, then Y) - which is the
    connection order, not the arrival order. Using one thread per client
    means both sockets are being waited on at the same time; each thread
    stores its message in a shared list (protected by a lock) the moment it
    arrives, so the list order is the real arrival order.

Like the assignment says, the server sits in an infinite loop: after one
pair of clients is done it waits for the next pair.
"""

import socket
import threading

PORT = 12000


def wait_for_message(conn, letter, arrivals, lock):
    message = conn.recv(1024).decode().strip()
    with lock:
        arrivals.append(message)
    print(f"Received from {letter}: {message}")


def serve_pair(server):
    arrivals = []
    lock = threading.Lock()
    conns = []
    for letter in ("X", "Y"):
        conn, addr = server.accept()
        print(f"Client {letter} connected from {addr[0]}:{addr[1]}")
        conns.append((letter, conn))
    for letter, conn in conns:
        conn.send(f"Client {letter} connected".encode())
    threads = [threading.Thread(target=wait_for_message, args=(c, l, arrivals, lock))
               for l, c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ack = " received before ".join(m.replace("Client ", "", 1) for m in arrivals)
    print(ack)
    for _, conn in conns:
        conn.send(ack.encode())
    print("Sent acknowledgment to both X and Y")
    for _, conn in conns:
        conn.close()


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("", PORT))
server.listen(2)
print(f"Server listening on port {PORT}")
while True:
    serve_pair(server)
    print("Waiting for the next pair of clients...")
