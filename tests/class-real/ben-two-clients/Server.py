# Server.py
# Ben Okafor, Lucy Tran
# PA3 TCP Client Server

# threading is needed so the server can wait on both clients at once,
# otherwise it would sit on the first client until it sends and could not
# tell who really sent first

from socket import *
import threading

# thread function: accept one client and wait for its message
def handle_client(messages, sockets, lock):
    connectionSocket, addr = serverSocket.accept()
    sockets.append(connectionSocket)
    sentence = connectionSocket.recv(1024).decode()   # "Client X: Alice" or "Client Y: Bob"
    print('Received from client: ' + sentence)
    with lock:
        messages.append(sentence)   # list keeps the order they came in

serverPort = 12000
serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.bind(('', serverPort))
serverSocket.listen(1)
print('The server is ready to receive')

while True:
    messages = []
    sockets = []
    lock = threading.Lock()
    threads = []
    for i in range(2):
        t = threading.Thread(target=handle_client, args=(messages, sockets, lock))
        threads.append(t)
        t.start()
    for t in threads:
        t.join()
    print('Sent acknowledgement to both X and Y')

    # take "Client " off the front so it reads X: Alice received before Y: Bob
    first = messages[0][len('Client '):]
    second = messages[1][len('Client '):]
    returnSentence = first + ' received before ' + second
    for s in sockets:
        s.send(returnSentence.encode())
        s.close()
    print(returnSentence)
