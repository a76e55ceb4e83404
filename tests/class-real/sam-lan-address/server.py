# Authors: Sam Ortega, Priya Nair
# Date: 2023-04-02
# Description: Server accepts two clients. After both connect it gives each
# client its letter (X for the first, Y for the second), then receives the
# message of each client and sends back which message it received first.
# We use threads... actually we did not need them: the server is fast enough
# to read X and then Y, the messages are waiting in the socket anyway.

import socket

HOST = '192.168.1.23'   # my laptop on the home wifi
PORT = 12000


def main():
    server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server_socket.bind((HOST, PORT))
    server_socket.listen()
    print(f'Server listening on {HOST}:{PORT}')

    clients = []
    for letter in ['X', 'Y']:
        client_socket, client_address = server_socket.accept()
        print(f'Client {client_address} connected, it is client {letter}')
        clients.append((letter, client_socket))

    # sync: each client asks for its id, we answer with its letter
    for letter, client_socket in clients:
        client_socket.recv(1024)
        client_socket.sendall(letter.encode())

    received = []
    for letter, client_socket in clients:
        message = client_socket.recv(1024).decode()
        print(f'Received from {letter}: {message}')
        received.append(message.replace('Client ', ''))

    response = f'{received[0]} received before {received[1]}'
    for letter, client_socket in clients:
        client_socket.sendall(response.encode())
        client_socket.close()
    print('Sent acknowledgment to both X and Y')
    server_socket.close()


if __name__ == '__main__':
    main()
