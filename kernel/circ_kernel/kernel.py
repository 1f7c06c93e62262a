"""A wrapper kernel over ipykernel: each request becomes one JSON line to a `circ serve` child,
whose events and reply come back as Jupyter messages. circ itself needs no Python; only this
kernel does."""
import json
import os
import queue
import subprocess
import threading

from ipykernel.kernelbase import Kernel


class CircDied(Exception):
    """The circ serve process ended."""


class CircKernel(Kernel):
    """The circ kernel: one `circ serve` child per kernel, its session kept across cells."""

    implementation = "circ-kernel"
    implementation_version = "0.1.0"
    language = "circ"
    language_version = "0.1.0"
    language_info = {"name": "circ", "mimetype": "text/x-circ", "file_extension": ".circ", "pygments_lexer": "text"}
    banner = "circ: find, compare and compose circuits in transformers"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._requests = 0
        self._start_circ()

    def _start_circ(self):
        """Starts `circ serve` and waits for its ready event."""
        executable = os.environ.get("CIRC_EXECUTABLE", "circ")
        self._circ = subprocess.Popen([executable, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, bufsize=1)
        self._messages = queue.Queue()
        threading.Thread(target=self._read_replies, daemon=True).start()
        threading.Thread(target=self._read_errors, daemon=True).start()
        ready = self._messages.get(timeout=60)
        if not ready or ready.get("event") != "ready":
            raise CircDied(f"circ serve did not start: {ready}")

    def _read_replies(self):
        """Queues every message circ sends (None when it ends)."""
        for line in self._circ.stdout:
            self._messages.put(json.loads(line))
        self._messages.put(None)

    def _read_errors(self):
        # What circ writes on standard error (cache notes) appears as the cell's stderr.
        for line in self._circ.stderr:
            self._stream("stderr", line)

    def _stream(self, name, text):
        """Sends text to the cell's stdout or stderr."""
        self.send_response(self.iopub_socket, "stream", {"name": name, "text": text})

    def _send(self, op, **fields):
        """Sends one request line; returns its id."""
        self._requests += 1
        self._circ.stdin.write(json.dumps({"id": self._requests, "op": op, **fields}) + "\n")
        self._circ.stdin.flush()
        return self._requests

    def _reply(self, request, on_event=lambda message: None):
        """Waits for a request's reply, handing its events to on_event; Ctrl-C interrupts circ."""
        interrupted = False
        while True:
            try:
                message = self._messages.get(timeout=0.2)
            except queue.Empty:
                continue
            except KeyboardInterrupt:
                if not interrupted:
                    self._circ.stdin.write(json.dumps({"op": "interrupt"}) + "\n")
                    self._circ.stdin.flush()
                    interrupted = True
                continue
            if message is None:
                raise CircDied("circ serve ended")
            if message.get("id") != request:
                continue
            if "event" in message:
                on_event(message)
            else:
                return message

    def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False, *, cell_id=None):
        """Runs a cell: output as streams, progress as one display updated in place, the value as the result."""
        request = self._send("execute", code=code)
        progress = f"circ-progress-{request}"
        shown = set()

        def on_event(message):
            if silent:
                return
            kind = message["event"]
            if kind == "output":
                self._stream("stdout", message["text"])
            elif kind == "warning":
                self._stream("stderr", message["text"] + "\n")
            elif kind == "display":
                self.send_response(self.iopub_socket, "display_data", {"data": message["data"], "metadata": {}})
            elif kind == "progress":
                content = {"data": {"text/plain": message["text"]}, "metadata": {}, "transient": {"display_id": progress}}
                self.send_response(self.iopub_socket, "update_display_data" if progress in shown else "display_data", content)
                shown.add(progress)

        reply = self._reply(request, on_event)
        if reply["reply"] == "ok":
            if reply.get("data") and not silent:
                self.send_response(self.iopub_socket, "execute_result",
                                   {"execution_count": self.execution_count, "data": reply["data"], "metadata": {}})
            return {"status": "ok", "execution_count": self.execution_count, "payload": [], "user_expressions": {}}
        error = {"ename": "CircError", "evalue": reply.get("message", ""), "traceback": reply.get("text", "").split("\n")}
        if not silent:
            self.send_response(self.iopub_socket, "error", error)
        return {"status": "error", "execution_count": self.execution_count, **error}

    def do_complete(self, code, cursor_pos):
        """Tab: the REPL's completions for the word before the cursor."""
        reply = self._reply(self._send("complete", code=code, cursor=cursor_pos))
        return {"status": "ok", "matches": reply["matches"], "cursor_start": reply["start"],
                "cursor_end": reply["end"], "metadata": {}}

    def do_inspect(self, code, cursor_pos, detail_level=0, omit_sections=()):
        """Shift-Tab: the :help text of the name at the cursor."""
        reply = self._reply(self._send("inspect", code=code, cursor=cursor_pos))
        data = {"text/plain": reply["text"]} if reply["found"] else {}
        return {"status": "ok", "found": reply["found"], "data": data, "metadata": {}}

    def do_shutdown(self, restart):
        """Stops circ serve (and starts a new one on restart)."""
        try:
            self._reply(self._send("shutdown"))
        except (CircDied, OSError):
            pass
        self._circ.wait(timeout=10)
        if restart:
            self._start_circ()
        return {"status": "ok", "restart": restart}
