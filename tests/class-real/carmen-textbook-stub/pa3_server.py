"""
pa3_server.py  --  Carmen Diaz, CST 311 PA3

Threading: once both clients are connected they may send in any order and
at any time, so the server listens to each of them in its own thread. The
threads put the messages in a shared list in the order they come in and the
main thread reads the order from that list.
"""
from socket import *
import threading


class Server:
    """Accepts two clients, X then Y, and tells both whose message came first."""

    names = ["X", "Y"]

    def __init__(self):
        self.host = '127.0.0.1'
        self.port = 12000
        self.connections = []   # sockets in connection order
        self.received = []      # (index, message) in arrival order
        self.threads = []
        self.serverSocket = socket(AF_INET, SOCK_STREAM)
        self.serverSocket.bind((self.host, self.port))
        self.serverSocket.listen(1)

    def accept_clients(self):
        while len(self.connections) < 2:
            conn, addr = self.serverSocket.accept()
            self.connections.append(conn)
            n = len(self.connections)
            print("Accepted {} connection, calling it client {}".format(
                "first" if n == 1 else "second", self.names[n - 1]))

    def greet(self):
        for i, conn in enumerate(self.connections):
            conn.send("Client {} has connected.".format(self.names[i]).encode())

    def listen_to(self, index):
        conn = self.connections[index]
        # keep reading until the client is done
        while True:
            msg = conn.recv(1024).decode()
            if msg == "Bye":
                break
            elif msg:
                self.received.append((index, msg))
                print("Client {} sent message {}: {}".format(
                    self.names[index], len(self.received), msg))

    def start_listening(self):
        for i in range(len(self.connections)):
            t = threading.Thread(target=self.listen_to, args=(i,))
            self.threads.append(t)
            t.start()

    def send_order(self):
        (i1, m1), (i2, m2) = self.received[0], self.received[1]
        ack = "{}: {} received before {}: {}".format(self.names[i1], m1, self.names[i2], m2)
        for conn in self.connections:
            conn.send(ack.encode())

    def run(self):
        print("The server is waiting to receive two connections....")
        self.accept_clients()
        self.greet()
        print("Waiting to receive messages from client X and client Y....")
        self.start_listening()
        # wait for both messages
        while len(self.received) < 2:
            pass
        self.send_order()
        print("Waiting a bit for clients to close their connections")
        for t in self.threads:
            t.join()
        print("Done.")


if __name__ == "__main__":
    Server().run()
