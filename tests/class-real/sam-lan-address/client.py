# Authors: Sam Ortega, Priya Nair
# Date: 2023-04-02
# Description: Client asks the user's name, connects to the server, asks the
# server which client it is, sends "Client <letter>: <name>" and prints the
# server's answer.

import socket

SERVER = '192.168.1.23'
PORT = 12000


def main():
    name = input("What's your name? ")

    client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client_socket.connect((SERVER, PORT))

    client_socket.sendall('requesting client ID'.encode())
    letter = client_socket.recv(1024).decode()
    print(f'You are client {letter}')

    message = f'Client {letter}: {name}'
    client_socket.sendall(message.encode())
    print(f'Sent: {message}')

    print(client_socket.recv(1024).decode())
    client_socket.close()


if __name__ == '__main__':
    main()
