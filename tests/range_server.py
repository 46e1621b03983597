#!/usr/bin/env python3
"""range_server.py DIR — a tiny HTTP/1.1 file server for tests, on 127.0.0.1 and a free port (printed as
"PORT <n>" on stdout). It honours single "Range: bytes=A-B" requests (206 with Content-Range), answers HEAD, and
under the path prefix /drop/ it serves the same files but drops the connection halfway through any range that
reaches past the middle of the file: the failure path of remote reads. Standard library only."""
import http.server
import os
import re
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _file(self):
        path = self.path.split("?", 1)[0]
        drop = path.startswith("/drop/")
        if drop:
            path = path[len("/drop"):]
        full = os.path.join(self.server.root, os.path.normpath(path).lstrip("/"))
        if not full.startswith(self.server.root) or not os.path.isfile(full):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None, None, drop
        return full, os.path.getsize(full), drop

    def do_HEAD(self):
        full, size, _ = self._file()
        if full is None:
            return
        self.send_response(200)
        self.send_header("Content-Length", str(size))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()

    def do_GET(self):
        full, size, drop = self._file()
        if full is None:
            return
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        lo, hi = 0, size - 1
        if m:
            lo = int(m.group(1))
            hi = min(int(m.group(2)) if m.group(2) else size - 1, size - 1)
            if lo > hi:
                self.send_response(416)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {lo}-{hi}/{size}")
        else:
            self.send_response(200)
        n = hi - lo + 1
        self.send_header("Content-Length", str(n))
        self.end_headers()
        with open(full, "rb") as f:
            f.seek(lo)
            data = f.read(n)
        if drop and hi >= size // 2:
            self.wfile.write(data[: n // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(data)


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.root = os.path.realpath(sys.argv[1])
    print(f"PORT {srv.server_address[1]}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
