# CST 311 - PA3 server
# Bob Baker
#
# Multithreading: the server needs a thread for each client because
# recv() blocks. With threads, the server can wait for both clients at
# the same time, and the message that arrives first is received first.
# The threads put the messages into a shared list so that the main
# program can see which message came first.

import socket
import threading

HOST = ''
PORT = 12000

messages = []          # shared by the threads
lock = threading.Lock()


def get_message(conn, letter):
    data = conn.recv(1024).decode()
    print('Client ' + letter + ' sent: ' + data)
    lock.acquire()
    messages.append(data)
    lock.release()


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((HOST, PORT))
server.listen(5)
print('Server started on port', PORT)

conn_x, addr_x = server.accept()
print('Client X connected from', addr_x)
conn_y, addr_y = server.accept()
print('Client Y connected from', addr_y)

conn_x.send('Client X connected'.encode())
conn_y.send('Client Y connected'.encode())

# start a thread for each client
thread_x = threading.Thread(target=get_message, args=(conn_x, 'X'))
thread_x.start()
thread_x.join()
thread_y = threading.Thread(target=get_message, args=(conn_y, 'Y'))
thread_y.start()
thread_y.join()

# messages[0] came first
first = messages[0].replace('Client ', '')
second = messages[1].replace('Client ', '')
ack = first + ' received before ' + second
print(ack)
conn_x.send(ack.encode())
conn_y.send(ack.encode())
print('Sent acknowledgment to both X and Y')

conn_x.close()
conn_y.close()
server.close()
