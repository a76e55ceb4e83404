/*
 * CST 311 Programming Assignment 3 - TCP server
 * Ines Carvalho
 *
 * Why multithreading: recv() blocks. With one thread the server would have
 * to pick a client to wait on first, and then it could only report the
 * order it chose, not the order the messages arrived in. Each client gets a
 * pthread that blocks in its own recv(); the first thread to return takes
 * the mutex and writes its message into the next free slot of `arrived`.
 */
#include <iostream>
#include <string>
#include <cstring>
#include <pthread.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>

#define PORT 12000
#define BUF 1024

using namespace std;

struct Client {
    int fd;
    char letter;
};

pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
string arrived[2];
int count = 0;

void *receive(void *arg) {
    Client *c = (Client *)arg;
    char buf[BUF];
    memset(buf, 0, BUF);
    int n = recv(c->fd, buf, BUF - 1, 0);
    if (n <= 0) return NULL;
    pthread_mutex_lock(&lock);
    arrived[count] = string(1, c->letter) + ": " + buf;
    count++;
    cout << "Client " << c->letter << " sent message " << count << ": " << buf << endl;
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main() {
    int server_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (server_fd < 0) { perror("socket"); return 1; }
    int opt = 1;
    setsockopt(server_fd, SOL_SOCKET, SO_REUSEADDR, &opt, sizeof(opt));

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = INADDR_ANY;
    addr.sin_port = htons(PORT);
    if (bind(server_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) { perror("bind"); return 1; }
    listen(server_fd, 2);
    cout << "The server is waiting to receive 2 connections...." << endl;

    Client clients[2];
    clients[0].letter = 'X';
    clients[1].letter = 'Y';
    for (int i = 0; i < 2; i++) {
        clients[i].fd = accept(server_fd, NULL, NULL);
        cout << "Accepted " << (i == 0 ? "first" : "second")
             << " connection, calling it client " << clients[i].letter << endl;
    }

    // both clients are connected: tell them
    for (int i = 0; i < 2; i++) {
        string hello = string("Client ") + clients[i].letter + " connected";
        send(clients[i].fd, hello.c_str(), hello.size(), 0);
    }
    cout << "Waiting to receive messages from client X and client Y...." << endl;

    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, receive, &clients[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);

    char ack[BUF];
    memset(ack, 0, BUF);
    strcpy(ack, (arrived[0] + " received before " + arrived[1]).c_str());
    for (int i = 0; i < 2; i++)
        send(clients[i].fd, ack, sizeof(ack), 0);
    cout << "Sent acknowledgment to both X and Y" << endl;

    for (int i = 0; i < 2; i++)
        close(clients[i].fd);
    close(server_fd);
    return 0;
}
