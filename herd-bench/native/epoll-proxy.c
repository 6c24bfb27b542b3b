/*
 * The floor for a userspace TCP proxy, for herd-bench's modes benchmark (variant "floor"): what forwarding costs
 * when nothing but the kernel's work is left. One thread, edge-triggered epoll, recv and send straight from one
 * buffer per direction, no timers, no logging, no parsing. A measuring stick, not a product: one backend, no
 * PROXY header, no limits.
 *
 *   epoll-proxy LISTEN_PORT BACKEND_PORT     (both on 127.0.0.1)
 *
 * A direction whose destination is full keeps the rest in its buffer and stops reading until the destination is
 * writable again; end of stream is passed on as a half-close; the pair is closed when both ended or on error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFFER_BYTES 16384 /* HAProxy's and Herd's buffer per direction */
#define MAX_EVENTS 256

/* One end of a connected pair; it owns the bytes read from it that wait for its peer. */
struct side {
    int fd;
    struct side *peer;
    char buffer[BUFFER_BYTES];
    int start, end; /* pending bytes: buffer[start..end) */
    int ended;      /* this side sent its FIN */
    int closed;
    struct side *next_closed;
};

static int epoll_fd;
static struct side *closed_list; /* freed after each batch: an event for a peer may still be in it */

static void close_pair(struct side *s) {
    if (s->closed) return;
    s->closed = s->peer->closed = 1;
    close(s->fd);
    close(s->peer->fd);
    s->next_closed = s->peer;
    s->peer->next_closed = closed_list;
    closed_list = s;
}

/* Writes what s has pending to its peer: 0 all of it went, 1 the peer is full, -1 error. */
static int flush(struct side *s) {
    while (s->start < s->end) {
        ssize_t n = send(s->peer->fd, s->buffer + s->start, (size_t)(s->end - s->start), MSG_NOSIGNAL);
        if (n < 0) return errno == EAGAIN ? 1 : -1;
        s->start += (int)n;
    }
    s->start = s->end = 0;
    return 0;
}

/* Moves what s has to its peer until s is drained or the peer is full. */
static void pump(struct side *s) {
    int r = flush(s);
    if (r != 0) {
        if (r < 0) close_pair(s);
        return;
    }
    while (!s->ended) {
        ssize_t n = recv(s->fd, s->buffer, BUFFER_BYTES, 0);
        if (n == 0) {
            s->ended = 1;
            if (s->peer->ended) close_pair(s);
            else shutdown(s->peer->fd, SHUT_WR);
            return;
        }
        if (n < 0) {
            if (errno != EAGAIN) close_pair(s);
            return;
        }
        s->start = 0;
        s->end = (int)n;
        r = flush(s);
        if (r < 0) {
            close_pair(s);
            return;
        }
        /* the peer is full (its EPOLLOUT resumes this side), or a short read drained s (new data is a new edge) */
        if (r > 0 || n < BUFFER_BYTES) return;
    }
}

static int watch(struct side *s) {
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = s};
    return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, s->fd, &ev);
}

static void accept_all(int listener, const struct sockaddr_in *backend) {
    int one = 1;
    for (;;) {
        int client = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
        if (client < 0) return;
        int worker = socket(AF_INET, SOCK_STREAM, 0);
        if (worker < 0 || connect(worker, (const struct sockaddr *)backend, sizeof *backend) != 0
                || fcntl(worker, F_SETFL, O_NONBLOCK) != 0) {
            close(client);
            if (worker >= 0) close(worker);
            continue;
        }
        setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(worker, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct side *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
        if (!a || !b) {
            fprintf(stderr, "epoll-proxy: out of memory\n");
            exit(1);
        }
        a->fd = client;
        b->fd = worker;
        a->peer = b;
        b->peer = a;
        if (watch(a) != 0 || watch(b) != 0) {
            perror("epoll-proxy: epoll_ctl");
            close_pair(a);
        }
    }
}

static int port_arg(const char *text) {
    char *end;
    long port = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || port < 1 || port > 65535) {
        fprintf(stderr, "epoll-proxy: '%s' is not a port (1-65535)\n", text);
        exit(2);
    }
    return (int)port;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: epoll-proxy LISTEN_PORT BACKEND_PORT   (both on 127.0.0.1)\n");
        return 2;
    }
    struct sockaddr_in listen_at = {.sin_family = AF_INET, .sin_port = htons(port_arg(argv[1])),
                                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in backend = {.sin_family = AF_INET, .sin_port = htons(port_arg(argv[2])),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1;
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0
            || bind(listener, (struct sockaddr *)&listen_at, sizeof listen_at) != 0 || listen(listener, 1024) != 0) {
        perror("epoll-proxy: listen");
        return 1;
    }
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event on_accept = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &on_accept) != 0) {
        perror("epoll-proxy: epoll");
        return 1;
    }
    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(epoll_fd, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("epoll-proxy: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            struct side *s = events[i].data.ptr;
            if (s == NULL) {
                accept_all(listener, &backend);
                continue;
            }
            if (s->closed) continue;
            /* s can take more: resume the peer if it stopped for s (ET reports EPOLLOUT with every edge of s) */
            if ((events[i].events & EPOLLOUT) && s->peer->start < s->peer->end) pump(s->peer);
            if (!s->closed && (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) pump(s);
        }
        while (closed_list) {
            struct side *next = closed_list->next_closed;
            free(closed_list);
            closed_list = next;
        }
    }
}
