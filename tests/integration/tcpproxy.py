"""A small TCP proxy that a test can cut and restore, in front of PostgreSQL or Redis.

``cut()`` closes every open connection and refuses new ones (the listening
socket stays, so clients get a reset at once, as with a stopped server);
``cut(blackhole=True)`` accepts connections and never answers, as with a
hung server or a dropped network. ``restore()`` lets traffic through again.
"""

import selectors
import socket
import threading


class TcpProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(128)
        self.server.setblocking(False)
        self.port = self.server.getsockname()[1]
        self.mode = "open"  # "open", "refuse" or "blackhole"
        self._pairs = {}  # socket → its peer
        self._lock = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.server, selectors.EVENT_READ)
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, daemon=True, name=f"tcpproxy-{self.port}")

    def start(self):
        self._thread.start()
        return self

    def cut(self, *, blackhole: bool = False):
        with self._lock:
            self.mode = "blackhole" if blackhole else "refuse"
            for sock in list(self._pairs):
                self._drop(sock)

    def restore(self):
        with self._lock:
            self.mode = "open"

    def stop(self):
        self._stopping = True
        self._thread.join(timeout=5)
        with self._lock:
            for sock in list(self._pairs):
                self._drop(sock)
        self.server.close()

    def _drop(self, sock):
        peer = self._pairs.pop(sock, None)
        for s in (sock, peer):
            if s is None:
                continue
            self._pairs.pop(s, None)
            try:
                self._selector.unregister(s)
            except (KeyError, ValueError):
                pass
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
            s.close()

    def _accept(self):
        try:
            client, _addr = self.server.accept()
        except BlockingIOError:
            return
        if self.mode == "refuse":
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            client.close()
            return
        if self.mode == "blackhole":
            self._pairs[client] = None  # held open, never read; dropped on restore or stop
            return
        try:
            upstream = socket.create_connection(self.target, timeout=2)
        except OSError:
            client.close()
            return
        for s in (client, upstream):
            s.setblocking(False)
            self._selector.register(s, selectors.EVENT_READ)
        self._pairs[client], self._pairs[upstream] = upstream, client

    def _loop(self):
        while not self._stopping:
            for key, _events in self._selector.select(timeout=0.1):
                with self._lock:
                    sock = key.fileobj
                    if sock is self.server:
                        self._accept()
                        continue
                    peer = self._pairs.get(sock)
                    if peer is None:
                        continue
                    try:
                        data = sock.recv(65536)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        self._drop(sock)
                        continue
                    try:
                        peer.setblocking(True)
                        peer.sendall(data)
                        peer.setblocking(False)
                    except OSError:
                        self._drop(sock)
