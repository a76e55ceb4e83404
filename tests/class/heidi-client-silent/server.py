# Heidi Hoffmann - PA3 server
#
# Why multithreading: the server cannot tell which client will send its
# message first, and recv() blocks until *that* socket has data. One thread
# reading the clients one after the other would always see the client it
# reads first as "first", which is the connection order. One thread per
# client lets the server wait on both sockets at once; whichever message
# arrives first is appended first to the list both threads share (under a
# lock), so the list order is the arrival order.

from socket import *
import threading

arrivals = []
lock = threading.Lock()


def recv_from(sock, letter):
    data = sock.recv(1024).decode().strip()
    with lock:
        arrivals.append(data)
    print('Got "' + data + '" from Client ' + letter)


server = socket(AF_INET, SOCK_STREAM)
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
server.bind(('', 12000))
server.listen(2)
print('Server ready on port 12000')

x, _ = server.accept()
print('Client X connected')
y, _ = server.accept()
print('Client Y connected')
x.send(b'Client X connected')
y.send(b'Client Y connected')

tx = threading.Thread(target=recv_from, args=(x, 'X'))
ty = threading.Thread(target=recv_from, args=(y, 'Y'))
tx.start(); ty.start()
tx.join(); ty.join()

ack = arrivals[0].replace('Client ', '') + ' received before ' + arrivals[1].replace('Client ', '')
print(ack)
x.send(ack.encode())
y.send(ack.encode())
print('Sent acknowledgment to both X and Y')
x.close()
y.close()
server.close()
