"""
CST 311 Programming Assignment 3: TCP server
Paula Jimenez

Run on h1 of the Mininet topology (10.0.0.1); start the two clients on
h2 and h3 once it says it is waiting.

Why multithreading is needed
----------------------------
recv() blocks until data comes in. A server with a single thread has to
choose which client to wait on first; if it waits on X and Y sends first,
Y's message sits in the socket buffer unread and the server believes X was
first. To know the real order the server must wait on both sockets at the
same time, so each client gets its own thread. The threads share one list:
the thread whose recv() returns first appends first (a lock makes the
append and the count one step), and the main thread waits on a condition
until both messages are in, then reads the order from the list.
"""

import socket
import threading

HOST = '0.0.0.0'   # every interface, so h2 and h3 can reach us
PORT = 12000

arrived = []                      # (letter, message), in arrival order
arrived_cond = threading.Condition()


def receive(conn, letter):
    """Wait for one client's message and record it in arrival order."""
    message = conn.recv(1024).decode()
    with arrived_cond:
        arrived.append((letter, message))
        print('Client {} sent message {}: {}'.format(letter, len(arrived), message))
        arrived_cond.notify()


def strip_client(message):
    """'Client X: Alice' -> 'X: Alice' (the form the ack uses)."""
    prefix = 'Client '
    return message[len(prefix):] if message.startswith(prefix) else message


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((HOST, PORT))
    server.listen(2)
    print('The server is waiting to receive 2 connections....')

    # X is whoever connects first, Y second
    conns = []
    for letter, which in (('X', 'first'), ('Y', 'second')):
        conn, _ = server.accept()
        conns.append((letter, conn))
        print('Accepted {} connection, calling it client {}'.format(which, letter))

    # greet only after both are connected
    for letter, conn in conns:
        conn.send('Client {} connected'.format(letter).encode())
    print('Waiting to receive messages from client X and client Y....')

    threads = [threading.Thread(target=receive, args=(conn, letter)) for letter, conn in conns]
    for t in threads:
        t.start()
    with arrived_cond:
        while len(arrived) < 2:
            arrived_cond.wait()

    ack = '{} received before {}'.format(strip_client(arrived[0][1]), strip_client(arrived[1][1]))
    for _, conn in conns:
        conn.send(ack.encode())
    print('Sent acknowledgment to both X and Y')

    for t in threads:
        t.join()
    for _, conn in conns:
        conn.close()
    server.close()


if __name__ == '__main__':
    main()
