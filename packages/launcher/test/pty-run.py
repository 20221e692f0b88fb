#!/usr/bin/env python3
"""Test support: runs a command on a fresh pseudo-terminal (CI has no TTY) and follows a script.

Usage: pty-run.py '<json>' where json = {"argv": [...], "steps": [...], "stdout_closed_pipe": bool}.
Steps: {"expect": text} reads until the output contains text; {"send": text} writes to the terminal;
{"sleep": seconds}; {"mode": label} records whether the terminal is raw (ICANON, ECHO and ISIG
clear) under that label; {"signal": "SIGTERM"} signals the command. After the steps it waits for the
command to exit and prints one JSON object: output, exit status, and the recorded modes (plus the
mode after exit under "after"). The parent keeps the terminal's slave side open so its settings can
be read at any moment, before and after the command ran.
"""
import json
import os
import select
import signal
import subprocess
import sys
import termios
import time

spec = json.loads(sys.argv[1])
master, slave = os.openpty()
stdout = slave
pipe_read = None
if spec.get("stdout_closed_pipe"):
    pipe_read, stdout = os.pipe()
    os.close(pipe_read)
proc = subprocess.Popen(spec["argv"], stdin=slave, stdout=stdout, stderr=slave, start_new_session=True)
if stdout != slave:
    os.close(stdout)
output = b""
modes = {}


def is_raw():
    lflag = termios.tcgetattr(slave)[3]
    return (lflag & (termios.ICANON | termios.ECHO | termios.ISIG)) == 0


def pump(timeout):
    global output
    ready, _, _ = select.select([master], [], [], timeout)
    if ready:
        try:
            output += os.read(master, 65536)
        except OSError:
            pass


deadline = time.time() + spec.get("timeout", 20)
for step in spec["steps"]:
    if "expect" in step:
        want = step["expect"].encode()
        while want not in output and time.time() < deadline:
            pump(0.05)
    elif "send" in step:
        os.write(master, step["send"].encode())
    elif "sleep" in step:
        end = time.time() + step["sleep"]
        while time.time() < end:
            pump(0.01)
    elif "mode" in step:
        modes[step["mode"]] = "raw" if is_raw() else "cooked"
    elif "signal" in step:
        proc.send_signal(getattr(signal, step["signal"]))

while proc.poll() is None and time.time() < deadline:
    pump(0.05)
if proc.poll() is None:
    proc.kill()
    proc.wait()
pump(0.05)
modes["after"] = "raw" if is_raw() else "cooked"
print(json.dumps({"output": output.decode("utf-8", "replace"), "status": proc.returncode, "modes": modes}))
