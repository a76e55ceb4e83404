"""Client for CST311 Programming Assignment 3"""
__author__ = "Team 7"
__credits__ = [
  "Quinn Barros",
  "Ravi Shah",
  "Tess Moreau"
]

# Import statements
import socket as s

# Configure logging
import logging
logging.basicConfig()
log = logging.getLogger(__name__)
log.setLevel(logging.DEBUG)

# Set global variables
server_name = 'localhost'
server_port = 12000

def main():
  # Create socket
  client_socket = s.socket(s.AF_INET, s.SOCK_STREAM)

  try:
    # Establish TCP connection
    client_socket.connect((server_name, server_port))
  except Exception as e:
    log.exception(e)
    log.error("Check that the server is running and the address is correct")
    exit(8)

  # Get input from user
  user_input = input('Input lowercase sentence:')

  try:
    # Set data across socket to server
    client_socket.send(user_input.encode())

    # Read response from server
    server_response = client_socket.recv(1024).decode()

    # Print output from server
    print('From Server:')
    print(server_response)
  finally:
    # Close socket prior to exit
    client_socket.close()

if __name__ == "__main__":
  main()
