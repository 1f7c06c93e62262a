#!/usr/bin/env python3
"""Checks the circ kernel through jupyter_client: execution with an inline figure, completion,
inspection, and an interrupt that stops a running loop and leaves the kernel alive.

    python kernel/check_kernel.py        # the circ kernelspec must be installed for this Python
"""
import time

import jupyter_client


def run(client, code):
    """Executes code; (reply content, [(msg_type, content)] of its iopub messages)."""
    messages = []
    reply = client.execute_interactive(code, timeout=120, output_hook=lambda m: messages.append((m["msg_type"], m["content"])))
    return reply["content"], messages


def main():
    manager, client = jupyter_client.manager.start_new_kernel(kernel_name="circ")
    try:
        reply, messages = run(client, 'print(1 + 1)\nmatrix([[0.5, 1]], ["r"], ["a", "b"], "m")')
        assert reply["status"] == "ok", reply
        assert ("stream", {"name": "stdout", "text": "2\n"}) in messages, messages
        results = [c for kind, c in messages if kind == "execute_result"]
        assert results and "image/svg+xml" in results[0]["data"], results
        matches = client.complete("x = disc", 8, reply=True)["content"]
        assert "discover" in matches["matches"] and matches["cursor_start"] == 4, matches
        shown = client.inspect("discover(m", 3, reply=True)["content"]
        assert shown["found"] and shown["data"]["text/plain"].startswith("discover(m, task"), shown
        # stop_on_error=False: an interrupted request replies with an error, and with stop_on_error
        # ipykernel aborts the requests that reach it in the moment after (the next one, at random).
        client.execute("i = 0\nwhile true { i = i + 1 }", stop_on_error=False)
        time.sleep(1.5)
        manager.interrupt_kernel()
        stopped = client.get_shell_msg(timeout=30)["content"]
        assert stopped["status"] == "error" and stopped["evalue"] == "interrupted", stopped
        reply, messages = run(client, "i > 0")
        results = [c for kind, c in messages if kind == "execute_result"]
        assert reply["status"] == "ok" and results[0]["data"]["text/plain"] == "true", (reply, messages)
        reply, messages = run(client, "nope(1)")
        errors = [c for kind, c in messages if kind == "error"]
        assert reply["status"] == "error" and errors and "^^^^" in "\n".join(errors[0]["traceback"]), errors
    finally:
        client.stop_channels()
        manager.shutdown_kernel()
    print("kernel checks passed: execute with a figure, complete, inspect, interrupt, errors")


if __name__ == "__main__":
    main()
