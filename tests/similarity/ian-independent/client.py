#!/usr/bin/env python3
"""PA3 client, Ian Ito: connect, learn our letter, send one name, print the verdict."""

import socket

SERVER = ("10.0.0.1", 12000)


def main():
    with socket.create_connection(SERVER) as s:
        banner = s.recv(1024).decode().strip()   # "Client X connected"
        print("From Server:", banner)
        me = banner.split(" ")[1]
        text = input("Enter message to send to server: ")
        s.sendall(f"Client {me}: {text}".encode())
        answer = s.recv(1024).decode()
        print("From Server:", answer.strip())


main()
