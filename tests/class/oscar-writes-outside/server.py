# PA3 server - Oscar Olsen
#
# Why multithreading: recv() blocks until its own socket has data, and the
# server cannot know which client will send first. With one thread it would
# wait on one client (say X) while Y's earlier message sat unread, and it
# would report the order it read in. One thread per client waits on both at
# once; each appends its message to a shared list under a lock as soon as
# it arrives, so the list is in arrival order.
#
# The server also keeps a log of every session in /etc/pa3-server.log so I
# can look at old runs (if it can't open the log it just goes on).

import datetime
import threading
from socket import *

LOG_PATH = '/etc/pa3-server.log'

try:
    log = open(LOG_PATH, 'a')
except OSError as e:
    print('(no log:', e, ')')
    log = None


def write_log(line):
    if log:
        log.write(datetime.datetime.now().isoformat() + ' ' + line + '\n')
        log.flush()


arrivals = []
lock = threading.Lock()


def receive(conn, letter):
    message = conn.recv(1024).decode().strip()
    with lock:
        arrivals.append(message)
    print('Client ' + letter + ' sent: ' + message)
    write_log(message)


server = socket(AF_INET, SOCK_STREAM)
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
server.bind(('', 12000))
server.listen(2)
print('Server ready on port 12000')

conns = []
for letter in 'XY':
    conn, addr = server.accept()
    conns.append((letter, conn))
    write_log('Client ' + letter + ' is ' + str(addr))
for letter, conn in conns:
    conn.send(('Client ' + letter + ' connected').encode())

threads = [threading.Thread(target=receive, args=(c, l)) for l, c in conns]
for t in threads:
    t.start()
for t in threads:
    t.join()

ack = arrivals[0].replace('Client ', '', 1) + ' received before ' + arrivals[1].replace('Client ', '', 1)
print(ack)
write_log(ack)
for letter, conn in conns:
    conn.send(ack.encode())
    conn.close()
print('Sent acknowledgment to both X and Y')
server.close()
