# Names: Tara Quinlan, Vik Rao
# Title: server.py
# Description: TCP server for PA3. Accepts two clients (X first, Y second),
# tells them they are connected, receives one message from each and sends
# both of them the order in which the messages came in.
#
# Multithreading: each client's message is received in its own thread so
# the server can wait on both clients at once; otherwise it would wait for
# X even if Y sends first.

from socket import *
from threading import Thread, Condition

message_count = 0
first_client = ""
messages = {}
cv = Condition()


class ClientThread(Thread):
    def __init__(self, conn, letter):
        Thread.__init__(self)
        self.conn = conn
        self.letter = letter

    def run(self):
        global message_count, first_client
        msg = self.conn.recv(1024).decode()
        with cv:
<<<<<<< HEAD
            message_count += 1
            if message_count == 1:
                first_client = self.letter
            messages[self.letter] = msg
            print("Client " + self.letter + " sent message " + str(message_count) + ": " + msg)
            cv.notify()
=======
            messages[self.letter] = msg
            message_count = message_count + 1
            if first_client == "":
                first_client = self.letter
            cv.notify_all()
        print(f"Message from {self.letter}: {msg}")  # tracer
>>>>>>> vik-threads


def main():
    serverSocket = socket(AF_INET, SOCK_STREAM)
    serverSocket.bind(('', 12000))
    serverSocket.listen(2)
    print("The server is ready to receive two connections...")

    threads = []
    for letter in ["X", "Y"]:
        conn, addr = serverSocket.accept()
        print("Accepted connection, calling it client " + letter)
        threads.append(ClientThread(conn, letter))

    for t in threads:
        t.conn.send(("Client " + t.letter + " connected").encode())
        t.start()

    with cv:
        while message_count != 2:
            cv.wait()

    second_client = "Y" if first_client == "X" else "X"
    ack = first_client + ": " + messages[first_client] + " received before " + \
        second_client + ": " + messages[second_client]
    for t in threads:
        t.conn.send(ack.encode())
    print("Sent acknowledgment to both X and Y")

    for t in threads:
        t.join()
        t.conn.close()
    serverSocket.close()


if __name__ == "__main__":
    main()
