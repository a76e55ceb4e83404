/*
 * Programming Assignment 3: multithreaded TCP server.
 * Cleo Chen
 *
 * Each connection is served by its own std::thread because a blocking
 * recv() on one socket would hide a message that arrives on the other.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cstring>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

static std::mutex m;
static std::vector<std::string> arrivals;

static std::string strip(const std::string &msg)
{
    const std::string head = "Client ";
    if (msg.compare(0, head.size(), head) == 0)
        return msg.substr(head.size());
    return msg;
}

static void handle(int sock, char who)
{
    char data[1024];
    ssize_t got = recv(sock, data, sizeof(data) - 1, 0);
    if (got <= 0)
    {
        std::cerr << "client " << who << " closed early\n";
        return;
    }
    data[got] = '\0';
    std::string line(data);
    std::lock_guard<std::mutex> hold(m);
    arrivals.push_back(line);
    std::cout << "Message from " << who << ": " << line << std::endl;
}

int main()
{
    int srv = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = INADDR_ANY;
    local.sin_port = htons(12000);
    if (bind(srv, (sockaddr *)&local, sizeof(local)) < 0)
    {
        perror("bind failed");
        return 1;
    }
    listen(srv, 2);
    int conns[2];
    const char names[2] = {'X', 'Y'};
    for (int k = 0; k < 2; k++)
    {
        conns[k] = accept(srv, nullptr, nullptr);
        std::cout << "accepted " << names[k] << std::endl;
    }
    for (int k = 0; k < 2; k++)
    {
        std::string greet = std::string("Client ") + names[k] + " connected";
        send(conns[k], greet.c_str(), greet.size(), 0);
    }
    std::thread first(handle, conns[0], 'X');
    std::thread second(handle, conns[1], 'Y');
    first.join();
    second.join();
    std::string reply = strip(arrivals[0]) + " received before " + strip(arrivals[1]);
    std::cout << reply << std::endl;
    for (int k = 0; k < 2; k++)
    {
        send(conns[k], reply.c_str(), reply.size(), 0);
        close(conns[k]);
    }
    std::cout << "Sent acknowledgment to both X and Y" << std::endl;
    close(srv);
    return 0;
}
