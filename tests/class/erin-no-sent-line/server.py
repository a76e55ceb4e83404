# server.py -- PA3 (TCP client/server)
# Erin Evans
#
# Q: Why do we need multithreading?
# A: The server has two open connections and has to find out which client's
#    message gets to it first. recv() waits (blocks) until data comes in on
#    that one socket, so with a single thread the server could only wait on
#    one client at a time, and whichever client it waited on first would be
#    "first" even if the other one had sent earlier. Giving each client its
#    own thread lets both waits happen at the same time; the threads write
#    into one shared list (guarded by a lock) in the order the messages come
#    in, and that order is what we send back.

import socket
import threading

PORT = 12000
arrived = []
guard = threading.Lock()


class ClientHandler(threading.Thread):
    def __init__(self, conn, letter):
        super().__init__()
        self.conn = conn
        self.letter = letter

    def run(self):
        text = self.conn.recv(1024).decode().strip()
        with guard:
            arrived.append(text)
        print('Message from Client %s: %s' % (self.letter, text))


listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(('', PORT))
listener.listen(2)
print('Waiting for clients on port %d' % PORT)

handlers = []
for letter in 'XY':
    conn, addr = listener.accept()
    print('Client %s is %s' % (letter, addr))
    handlers.append(ClientHandler(conn, letter))

for h in handlers:
    h.conn.send(('Client %s connected' % h.letter).encode())
for h in handlers:
    h.start()
for h in handlers:
    h.join()

ack = '%s received before %s' % (arrived[0][len('Client '):], arrived[1][len('Client '):])
print('Acknowledgment: ' + ack)
for h in handlers:
    h.conn.send(ack.encode())
    h.conn.close()
listener.close()
