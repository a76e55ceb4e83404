"""
CST 311 Programming Assignment 3: TCP client
Paula Jimenez

Run on h2 and on h3. Connects to the server on h1, waits until the server
says both clients are connected (that message also says whether we are X or
Y), sends "Client <letter>: <name>" and prints the server's answer.
"""

import socket

SERVER = '10.0.0.1'   # h1
PORT = 12000


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.connect((SERVER, PORT))

    greeting = sock.recv(1024).decode()      # "Client X connected"
    print(greeting)
    letter = greeting.split()[1]

    name = input('Enter your name: ')
    message = 'Client {}: {}'.format(letter, name)
    sock.send(message.encode())
    print(message)

    print(sock.recv(1024).decode())          # the order the server saw
    sock.close()


if __name__ == '__main__':
    main()
