#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""httpd.py PORT BIND DIR: the tests' file server, `python3 -m http.server`
without its reverse DNS lookup at start.

http.server's HTTPServer.server_bind() names itself with
socket.getfqdn(address): a PTR query. In a test namespace that has a
default route but no DNS server behind it, the query times out (10 s with
glibc's defaults), and the server listens only after that: a fresh Debian
chroot whose resolv.conf names an unreachable server showed it. BIND "::"
is dual-stack, as http.server's own.
"""
import functools
import http.server
import socket
import socketserver
import sys


def main():
    port, bind, root = int(sys.argv[1]), sys.argv[2], sys.argv[3]

    class Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ':' in bind else socket.AF_INET

        def server_bind(self):
            if self.address_family == socket.AF_INET6:
                self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            socketserver.TCPServer.server_bind(self)
            self.server_name = bind
            self.server_port = self.server_address[1]

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
    with Server((bind, port), handler) as srv:
        print('serving %s on [%s]:%d' % (root, bind, port), flush=True)
        srv.serve_forever()


if __name__ == '__main__':
    main()
