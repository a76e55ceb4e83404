# Farid Haddad - CST311 PA3 server
#
# Why multithreading? The two clients can send at any time. If the server
# waited for X with recv() it would not notice Y sending first. With a
# thread per client both are waited for at once, and the first thread to
# get its message adds it to the list first.

import socket
import threading

HOST = '0.0.0.0'
PORT = 12000

order = []            # (letter, name) in the order received
lock = threading.Lock()


def receive(conn):
    msg = conn.recv(1024).decode()          # "Client X: Alice"
    letter = msg[7]                         # the letter the client says it is
    name = msg[10:]
    with lock:
        order.append((letter, name))
        print('Client {} sent message {}: {}'.format(letter, len(order), msg))


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((HOST, PORT))
    server.listen(2)
    print('The server is waiting to receive 2 connections....')

    conns = []
    for i in range(2):
        conn, addr = server.accept()
        conns.append(conn)
        print('Accepted {} connection from {}'.format('first' if i == 0 else 'second', addr))

    # tell both clients they are connected
    conns[0].send('Client X connected'.encode())
    conns[1].send('Client Y connected'.encode())
    print('Waiting to receive messages from client X and client Y....')

    threads = [threading.Thread(target=receive, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    ack = '{}: {} received before {}: {}'.format(order[0][0], order[0][1], order[1][0], order[1][1])
    for c in conns:
        c.send(ack.encode())
        c.close()
    print('Sent acknowledgment to both X and Y')
    server.close()


if __name__ == '__main__':
    main()
