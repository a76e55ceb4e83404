#TCP Server
#Victor Almeida
#CST311 PA3

import socket, sys

def main():
    # constants
    PORT = 12000
    ADDRESS = 'localhost'

    # create and set up server socket
    serverSocket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    serverSocket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    serverSocket.bind((ADDRESS, PORT))
    serverSocket.listen(10)
    print("Server is ready to recieve messages")

    # lists that hold the connections and the messages
    sock_list = []
    message_list = []

    while True:
        print("Waiting for connection", file=sys.stderr)
        connectedSocket, addr = serverSocket.accept()
        print("connected with: " + str(addr[0]) + ':' + str(addr[1]), file=sys.stderr)
        sock_list.append(connectedSocket)
        # recieve message from socket
        message = connectedSocket.recv(1024).decode()
        message_list.append(message)
        print(message)
        # after 2 messages check which one was first
        if len(message_list) == 2:
            # the letter is at index 7 of "Client X: Alice"
            if message_list[0].find('X') == 7:
                ack = "X: Alice received before Y: Bob"
            else:
                ack = "Y: Bob received before X: Alice"
            for s in sock_list:
                s.send(ack.encode())
            print("Sent acknowledgment to both X and Y")
            break

    for s in sock_list:
        s.close()
    serverSocket.close()


if __name__ == "__main__":
    main()
