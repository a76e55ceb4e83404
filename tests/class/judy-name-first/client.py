# ============================================================
#  PA3 - TCP Client/Server          Judy Jensen
#  client.py
# ============================================================
#  Asks for the name first, then connects, waits for the
#  server to say which client this is, and sends the message.
# ============================================================

import socket

SERVER_IP = "10.0.0.1"
SERVER_PORT = 12000


def main():
    name = input("Enter your name: ")

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.connect((SERVER_IP, SERVER_PORT))

    greeting = sock.recv(1024).decode().strip()
    print(f"From Server: {greeting}")
    letter = greeting.split()[1]

    message = f"Client {letter}: {name}"
    sock.sendall(message.encode())
    print(f"Sent to Server: {message}")

    reply = sock.recv(1024).decode().strip()
    print(f"From Server: {reply}")
    sock.close()


if __name__ == "__main__":
    main()
