// PA3 server in C++ (Carl Castro)
//
// One thread per client: recv() blocks, and only a thread per socket lets
// the server see which message arrives first. The threads push into one
// vector under a mutex, in arrival order.

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

static std::mutex order_lock;
static std::vector<std::string> order;

static void read_message(int fd, char letter) {
    char buf[1024];
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0) {
        std::cerr << "client " << letter << " sent nothing\n";
        return;
    }
    buf[n] = '\0';
    std::string text(buf);
    std::lock_guard<std::mutex> guard(order_lock);
    order.push_back(text);
    std::cout << "Received from Client " << letter << ": " << text << std::endl;
}

static std::string without_client(const std::string &m) {
    const std::string prefix = "Client ";
    if (m.compare(0, prefix.size(), prefix) == 0) {
        return m.substr(prefix.size());
    }
    return m;
}

int main() {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = INADDR_ANY;
    addr.sin_port = htons(12000);
    if (bind(listener, (sockaddr *)&addr, sizeof(addr)) < 0) {
        perror("bind");
        return 1;
    }
    listen(listener, 2);
    int fds[2];
    const char letters[2] = {'X', 'Y'};
    for (int i = 0; i < 2; i++) {
        fds[i] = accept(listener, nullptr, nullptr);
        std::cout << "Client " << letters[i] << " accepted" << std::endl;
    }
    for (int i = 0; i < 2; i++) {
        std::string hello = std::string("Client ") + letters[i] + " connected";
        send(fds[i], hello.c_str(), hello.size(), 0);
    }
    std::thread tx(read_message, fds[0], 'X');
    std::thread ty(read_message, fds[1], 'Y');
    tx.join();
    ty.join();
    std::string ack = without_client(order[0]) + " received before " + without_client(order[1]);
    std::cout << ack << std::endl;
    for (int i = 0; i < 2; i++) {
        send(fds[i], ack.c_str(), ack.size(), 0);
        close(fds[i]);
    }
    std::cout << "Sent acknowledgment to both X and Y" << std::endl;
    close(listener);
    return 0;
}
