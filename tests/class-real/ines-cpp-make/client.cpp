/*
 * CST 311 Programming Assignment 3 - TCP client
 * Ines Carvalho
 */
#include <iostream>
#include <string>
#include <cstring>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#define PORT 12000
#define BUF 1024

using namespace std;

int main() {
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in server;
    memset(&server, 0, sizeof(server));
    server.sin_family = AF_INET;
    server.sin_port = htons(PORT);
    inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);

    if (connect(sock, (struct sockaddr *)&server, sizeof(server)) < 0) {
        cout << "Connection failed" << endl;
        return 1;
    }

    char buf[BUF];
    memset(buf, 0, BUF);
    recv(sock, buf, BUF - 1, 0);
    cout << "From Server: " << buf << endl;

    string msg;
    cout << "Enter message to send to server: ";
    getline(cin, msg);
    send(sock, msg.c_str(), msg.size(), 0);

    memset(buf, 0, BUF);
    recv(sock, buf, BUF - 1, 0);
    cout << "From Server: " << buf << endl;

    close(sock);
    return 0;
}
