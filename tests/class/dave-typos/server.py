#  PA3 - Server
#  Dave Diaz
#
#  Multithreading is needed because the server cannot know in advance which
#  client is going to send its message first. A call to recv() blocks, so a
#  single thread waiting on client X would not notice that client Y had
#  already sent something, and the server would get the order wrong (it
#  would just be the order of the connections). With a thread per client,
#  both clients are listened to at the same time. Each thread saves the
#  message in a list that the threads share, using a lock, so the list ends
#  up in the order the messages arrived.

from socket import *
from threading import Thread, Lock

serverPort = 12000
received = []
lock = Lock()


def client_thread(connection, letter):
    msg = connection.recv(1024).decode()
    lock.acquire()
    received.append(msg)
    lock.release()
    print("Client " + letter + " says: " + msg)


serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
serverSocket.bind(("", serverPort))
serverSocket.listen(2)
print("The server is ready to receive")

connX, addrX = serverSocket.accept()
connY, addrY = serverSocket.accept()
print("Both clients connected:", addrX, addrY)

connX.send("Client X Connected".encode())
connY.send("Client Y Connected".encode())

tX = Thread(target=client_thread, args=(connX, "X"))
tY = Thread(target=client_thread, args=(connY, "Y"))
tX.start()
tY.start()
tX.join()
tY.join()

first = received[0].split("Client ")[1]
second = received[1].split("Client ")[1]
ack = first + " recieved before " + second
print(ack)
connX.send(ack.encode())
connY.send(ack.encode())
print("Sent acknowledgement to both X and Y")

connX.close()
connY.close()
serverSocket.close()
