"""A TCP proxy owned by a test, in front of a server other tests share (PostgreSQL,
Redis), which can refuse connections (the server is down) or swallow them (a network
black hole) and then carry traffic again."""

import contextlib
import socket
import threading


class FaultyProxy:
    """Forwards 127.0.0.1:<port> to `target`; mode: "up", "refuse" or "blackhole"."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.mode = "up"
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.mode == "refuse":
                client.close()
                continue
            self.open.append(client)
            if self.mode == "blackhole":
                continue  # never answered
            upstream = socket.create_connection(self.target)
            self.open.append(upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self, mode: str) -> None:
        """Switch to `mode` and drop every connection in flight."""
        self.mode = mode
        for sock in self.open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.open.clear()

    def close(self) -> None:
        self.cut("refuse")
        self.listener.close()
