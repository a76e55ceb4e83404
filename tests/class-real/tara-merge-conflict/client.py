# Names: Tara Quinlan, Vik Rao
# Title: client.py
# Description: TCP client for PA3. Connects to the server, prints the
# server's "connected" message, sends the user's message and prints the
# order the server reports.

from socket import *

# In your command prompt, type in hostname and press enter.
# What comes up is your computer's hostname
serverName = gethostname()   # since it's running on one machine
serverPort = 12000
BUFFER = 1024

try:
    clientSocket = socket(AF_INET, SOCK_STREAM)
    clientSocket.connect((serverName, serverPort))
except error:
    print("Unable to connect")
    exit(1)

print("Waiting for other client...")
connection_status = clientSocket.recv(BUFFER)
print(connection_status.decode())

sentence = input("Enter message to send to server: ")
clientSocket.send(sentence.encode())

reply = clientSocket.recv(BUFFER)
print(reply.decode())
clientSocket.close()
