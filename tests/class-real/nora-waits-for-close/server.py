# Nora Fischer
# CST311 Programming Assignment 3 -- server.py
#
# Why multithreading? Each client has a thread that reads everything that
# client sends until it is done, so the server can read from both clients
# at the same time. The first thread to get data puts its client in the
# order list first. The main thread waits for both threads and then tells
# the clients the order.

import socket
import threading

PORT = 12000
order = []                 # letters in arrival order
text = {}                  # letter -> message
lock = threading.Lock()


def reader(conn, letter):
    data = b''
    while True:
        chunk = conn.recv(1024)
        if not chunk:
            break           # client finished
        if not data:
            with lock:
                order.append(letter)
        data += chunk
    text[letter] = data.decode()
    print('Client ' + letter + ' sent: ' + text[letter])


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(('', PORT))
server.listen(2)
print('Server ready on port', PORT)

conns = []
for letter in ['X', 'Y']:
    conn, addr = server.accept()
    conns.append((conn, letter))
    print('Accepted connection from', addr, '-> client', letter)

for conn, letter in conns:
    conn.send(('Client ' + letter + ' connected').encode())

threads = []
for conn, letter in conns:
    t = threading.Thread(target=reader, args=(conn, letter))
    t.start()
    threads.append(t)
for t in threads:
    t.join()

first, second = order[0], order[1]
ack = first + ': ' + text[first] + ' received before ' + second + ': ' + text[second]
for conn, letter in conns:
    conn.send(ack.encode())
    conn.close()
print('Sent acknowledgment to both X and Y')
server.close()
