# Server.py

'''
# Group: Rosa Delgado, Tom Becker, Ike Obi
# Title: Server.py
# Programming Assignment 3 - CST311
# Run on Python3

Description: TCP server that waits for two clients, tells each one it is
connected, receives one message from each and tells the clients which
message arrived first.

Answer to question 11: Explain why you need multithreading to solve this problem.

The server needs to talk to two clients at the same time. If we did not
create a new thread every time a client connects, the server would be stuck
serving the first client and the second client could not connect or send
until the first one was done. With a thread per client each client runs on
its own and they can send in any order.
'''

from socket import *
import threading

receivedMessages = []   # messages in the order they were received
clientSockets = []      # keep the sockets so we can answer
threadCount = 0         # how many clients have connected


# Function for the thread to run once it's created.
def listenToClient(clientSocket, addr):
    letter = 'X' if threadCount == 1 else 'Y'
    if letter == 'X':
        print('Accepted first connection, calling it client X')
    else:
        print('Accepted second connection, calling it client Y')

    # Wait until both connections have been made
    while threadCount != 2:
        continue

    clientSocket.send(('From Server: Client ' + letter + ' Connected').encode())

    message = clientSocket.recv(1024).decode()
    receivedMessages.append(letter + ': ' + message)
    print('Client ' + letter + ' sent message ' + str(len(receivedMessages)) + ': ' + message)

    # Check if both clients have sent messages, if so send the result back
    if len(receivedMessages) == 2:
        answer = 'From Server: ' + receivedMessages[0] + ' received before ' + receivedMessages[1]
        clientSocket.send(answer.encode())


def main():
    global threadCount
    serverPort = 12000
    serverSocket = socket(AF_INET, SOCK_STREAM)
    serverSocket.bind(('', serverPort))
    serverSocket.listen(1)
    print('The server is waiting to receive 2 connections..', "\n")

    threads = []
    while threadCount != 2:
        clientSocket, addr = serverSocket.accept()
        clientSockets.append(clientSocket)
        threadCount += 1
        t = threading.Thread(target=listenToClient, args=[clientSocket, addr])
        threads.append(t)
        t.start()

    print("Waiting to receive messages from client X and Client Y", "\n")
    for t in threads:
        t.join()

    print("Waiting a bit for clients to close their connections.")
    serverSocket.close()
    print("Done.")


# Call to main().
if __name__ == "__main__":
    main()
