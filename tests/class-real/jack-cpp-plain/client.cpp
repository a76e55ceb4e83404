// CST311 PA3 - TCP Client
// Jack Whitfield
//
// compile:  g++ -pthread -o client client.cpp
// run:      ./client

#include <iostream>
#include <string>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#define PORT 12000

using namespace std;

int main() {
	int sock = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in serv;
	memset(&serv, 0, sizeof(serv));
	serv.sin_family = AF_INET;
	serv.sin_port = htons(PORT);
	serv.sin_addr.s_addr = inet_addr("127.0.0.1");

	if (connect(sock, (struct sockaddr *)&serv, sizeof(serv)) < 0) {
		cout << "connect failed" << endl;
		return 1;
	}

	string name;
	cout << "Enter name: ";
	getline(cin, name);
	send(sock, name.c_str(), name.length(), 0);

	char buffer[1024] = {0};
	recv(sock, buffer, 1023, 0);
	cout << "Server: " << buffer << endl;
	close(sock);
	return 0;
}
