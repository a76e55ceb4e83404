# PA3: TCP Server
# Grace Garcia
#
# Explanation of why we need multithreading:
# The server needs to receive a message from each client, but it doesn't
# know which client will send first. Since recv() is a blocking call, if we
# only had one thread, the server would wait for one specific client and
# ignore the other one until that first client sent its message. That means
# the server would report the messages in the order it chose to read them
# instead of the order they actually arrived. By creating a thread for each
# client, the server can wait on both at the same time. Both threads add the
# message they receive to the same list (the shared data), and a lock makes
# sure only one thread changes the list at a time. So the first message in
# the list is the one that arrived first.

import threading
from socket import *

serverPort = 12000
messageList = []
listLock = threading.Lock()


def handleClient(connectionSocket, clientName):
    message = connectionSocket.recv(1024).decode().strip()
    listLock.acquire()
    messageList.append(message)
    listLock.release()
    print(message)


serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
serverSocket.bind(('', serverPort))
serverSocket.listen(2)
print('The server is ready to receive')

clients = []
count = 0
while count < 2:
    connectionSocket, addr = serverSocket.accept()
    count = count + 1
    if count == 0:
        clientName = 'X'
    else:
        clientName = 'Y'
    print('Connected to', addr, 'as Client', clientName)
    clients.append((connectionSocket, clientName))

for connectionSocket, clientName in clients:
    connectionSocket.send(('Client ' + clientName + ' connected').encode())

threads = []
for connectionSocket, clientName in clients:
    t = threading.Thread(target=handleClient, args=(connectionSocket, clientName))
    threads.append(t)
    t.start()
for t in threads:
    t.join()

response = messageList[0][7:] + ' received before ' + messageList[1][7:]
print(response)
for connectionSocket, clientName in clients:
    connectionSocket.send(response.encode())
print('Sent acknowledgment to both X and Y')
for connectionSocket, clientName in clients:
    connectionSocket.close()
