// CST311 PA3 - TCP Server
// Jack Whitfield
//
// compile:  g++ -pthread -o server server.cpp
// run:      ./server 12000
//
// Must have this server running before you can run the client.
//
// Multithreading: each client gets its own thread to receive its message so
// the server is not stuck waiting on one client while the other one sends.

#include <iostream>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <pthread.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

using namespace std;

char msgX[1024];
char msgY[1024];

struct args {
	int fd;
	char *buf;
};

void *get_msg(void *p) {
	struct args *a = (struct args *)p;
	int n = recv(a->fd, a->buf, 1023, 0);
	if (n < 0) n = 0;
	a->buf[n] = '\0';
	return NULL;
}

int main(int argc, char **argv) {
	if (argc != 2) {
		printf("must be in format: ./server port_number\n");
		return -1;
	}
	int port = atoi(argv[1]);

	// Create a TCP socket
	int sockfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in servaddr, cliaddr;
	memset(&servaddr, 0, sizeof(servaddr));
	servaddr.sin_family = AF_INET;
	servaddr.sin_addr.s_addr = INADDR_ANY;
	servaddr.sin_port = htons(port);

	if (bind(sockfd, (const struct sockaddr *)&servaddr, sizeof(servaddr)) < 0) {
		printf("bind error\n");
		return -1;
	}
	listen(sockfd, 2);
	cout << "Server listening on port " << port << endl;

	socklen_t len = sizeof(cliaddr);
	int fdX = accept(sockfd, (struct sockaddr *)&cliaddr, &len);
	cout << "Client X connected from " << inet_ntoa(cliaddr.sin_addr) << endl;
	int fdY = accept(sockfd, (struct sockaddr *)&cliaddr, &len);
	cout << "Client Y connected from " << inet_ntoa(cliaddr.sin_addr) << endl;

	// receive from both clients in threads
	pthread_t tX, tY;
	struct args aX = {fdX, msgX};
	struct args aY = {fdY, msgY};
	pthread_create(&tX, NULL, get_msg, &aX);
	pthread_create(&tY, NULL, get_msg, &aY);
	pthread_join(tX, NULL);
	cout << "X: " << msgX << endl;
	pthread_join(tY, NULL);
	cout << "Y: " << msgY << endl;

	string ack = string("X: ") + msgX + " received before Y: " + msgY;
	send(fdX, ack.c_str(), ack.length(), 0);
	send(fdY, ack.c_str(), ack.length(), 0);
	cout << "Sent acknowledgment to both X and Y" << endl;

	close(fdX);
	close(fdY);
	close(sockfd);
	return 0;
}
