# PA3 server - Rory Reyes
#
# Threads: recv() blocks, so each client is read by a thread of its own and
# whichever message comes in first is appended first to the shared list.


import socket
import threading


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


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("", PORT))
    server.listen(2)
    print(f"Server listening on port {PORT}")
    serve_pair(server)
    server.close()


def wait_for_message(conn, letter, arrivals, lock):
    message = conn.recv(1024).decode().strip()
    with lock:
        arrivals.append(message)
    print(f"Received from {letter}: {message}")


PORT = 12000

if __name__ == "__main__":
    main()
