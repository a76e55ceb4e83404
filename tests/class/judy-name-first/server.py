# ============================================================
#  PA3 - TCP Client/Server          Judy Jensen
#  server.py
# ============================================================
#  WHY MULTITHREADING?
#  The server has to accept both clients first and only then
#  read their messages - in whatever order they are sent. A
#  recv() call blocks until its socket has data, so a server
#  with a single thread would be stuck reading one client (say
#  X) while Y's message, sent earlier, waits unread; the order
#  it reported would be the order it happened to read in.
#  So the server starts one thread per client. Each thread
#  blocks on its own client's socket and, as soon as the
#  message is in, appends it to a list shared by the threads.
#  A lock keeps the two threads from changing the list at the
#  same moment. The list is then in arrival order, and the
#  acknowledgment is built from it.
# ============================================================

import socket
import threading

SERVER_PORT = 12000

shared = {"order": []}
shared_lock = threading.Lock()


def client_handler(conn, letter):
    """Receive one message from a client and record its arrival."""
    message = conn.recv(1024).decode().strip()
    with shared_lock:
        shared["order"].append(message)
    print(f"[Client {letter}] {message}")


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", SERVER_PORT))
    listener.listen(2)
    print(f"Server listening on port {SERVER_PORT}")

    conns = {}
    for letter in ("X", "Y"):
        conn, addr = listener.accept()
        conns[letter] = conn
        print(f"Accepted {addr} as Client {letter}")

    for letter, conn in conns.items():
        conn.sendall(f"Client {letter} connected".encode())

    threads = [threading.Thread(target=client_handler, args=(c, l)) for l, c in conns.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    first, second = shared["order"]
    ack = f"{first.removeprefix('Client ')} received before {second.removeprefix('Client ')}"
    print(ack)
    for conn in conns.values():
        conn.sendall(ack.encode())
    print("Sent acknowledgment to both X and Y")
    for conn in conns.values():
        conn.close()
    listener.close()


if __name__ == "__main__":
    main()
