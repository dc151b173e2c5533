#!/usr/bin/env python3
"""A tiny HTTP server for the swisor demo: answers every GET with one line.

Binds 127.0.0.1 only, on $PORT (the ecosystem file sets 8437). swisor runs .py files
with python3 and sets PYTHONUNBUFFERED=1, so these lines reach the log at once.
"""
import http.server
import os

PORT = int(os.environ.get("PORT", "8437"))
APP_ENV = os.environ.get("APP_ENV", "development")
NAME = os.environ.get("SWISOR_APP_NAME", "web")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"hello from {NAME} ({APP_ENV}), pid {os.getpid()}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
print(f"{NAME}: listening on http://127.0.0.1:{PORT}/ ({APP_ENV})")
try:
    server.serve_forever()
except KeyboardInterrupt:
    # swisor stops an app with its kill_signal, SIGINT by default (as PM2).
    print(f"{NAME}: SIGINT received, shutting down")
