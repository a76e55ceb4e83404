# Multithreading lets the server handle both client connections at the
#  same time. Each accepted connection gets its own thread, so one client
#  waiting to type does not stop the server from serving the other client.
#  The threads share the messages list, which records the order in which
#  the messages arrive.

"""Server for CST311 Programming Assignment 3"""
__author__ = "Team 7"
__credits__ = [
  "Quinn Barros",
  "Ravi Shah",
  "Tess Moreau"
]

import socket as s
import threading

# Configure logging
import logging
logging.basicConfig()
log = logging.getLogger(__name__)
log.setLevel(logging.DEBUG)

server_port = 12000

def connection_handler(connection_socket, address, client_id, messages):
  # Read data from the new connection socket
  #  Note: if no data has been sent this blocks until there is data
  query = connection_socket.recv(1024).decode()
  log.info("Recieved message from client " + client_id + ": \"" + query + "\"")

  # Store message, the list keeps arrival order
  messages.append(client_id + ': ' + query)

  # Loop until both messages are stored
  while True:
    if len(messages) == 2:
      break

  # Format response to client
  response = messages[0] + ' received before ' + messages[1]
  connection_socket.send(response.encode())
  connection_socket.close()


def main():
  messages = []

  # Create a TCP socket
  server_socket = s.socket(s.AF_INET, s.SOCK_STREAM)
  server_socket.bind(('', server_port))
  server_socket.listen(2)
  log.info("The server is ready to receive on port " + str(server_port))

  for thread_count in range(2):
    # When a client connects, create a new socket and record their address
    connection_socket, address = server_socket.accept()
    log.info("Connected to client at " + str(address))

    if thread_count == 0:
      client_id = 'X'
    else:
      client_id = 'Y'

    # Pass the new socket and address off to a connection handler function
    threading.Thread(target=connection_handler, args=(connection_socket, address, client_id, messages)).start()

  server_socket.close()

if __name__ == "__main__":
  main()
