#!/usr/bin/env python3
"""Traffic through a Junction while it is replaced (issue 15); loopback only, bounded in time.

  handover-restart.py TCP_PORT UDP_PORT SECONDS STREAMS

Runs for SECONDS: new TCP connections back to back from 4 threads (connect, read the backend's name line,
close), STREAMS long-lived TCP connections echoing CRC-checked 1 KiB chunks every 20 ms, and one UDP client
asking every 5 ms (1 s to answer). Prints one summary line of counts, and the first and last failure's time.
"""
import os, socket, sys, threading, time, zlib

tcp_port, udp_port, seconds, streams = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
addr = "127.0.0.1"
start = time.monotonic()
end = start + seconds
lock = threading.Lock()
counts = {"ok": 0, "refused": 0, "reset": 0, "timeout": 0, "other": 0,
          "streams_broken": 0, "udp_ok": 0, "udp_unanswered": 0}
failures = []

def count(key, failed=False):
    with lock:
        counts[key] += 1
        if failed:
            failures.append(time.monotonic() - start)

def read_line(s):
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(256)
        if not chunk:
            raise ConnectionResetError("closed before a line")
        data += chunk
    return data

def connections():
    while time.monotonic() < end:
        try:
            with socket.create_connection((addr, tcp_port), timeout=2) as s:
                read_line(s)
            count("ok")
        except ConnectionRefusedError:
            count("refused", True)
        except ConnectionResetError:
            count("reset", True)
        except socket.timeout:
            count("timeout", True)
        except OSError:
            count("other", True)

def stream():
    try:
        s = socket.create_connection((addr, tcp_port), timeout=5)
        read_line(s)
        while time.monotonic() < end:
            chunk = os.urandom(1024)
            s.sendall(chunk)
            got = b""
            while len(got) < len(chunk):
                part = s.recv(len(chunk) - len(got))
                if not part:
                    raise ConnectionResetError("closed")
                got += part
            if zlib.crc32(got) != zlib.crc32(chunk):
                raise ValueError("corrupted")
            time.sleep(0.02)
        s.close()
    except (OSError, ValueError):
        count("streams_broken", True)

def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.connect((addr, udp_port))
    n = 0
    while time.monotonic() < end:
        n += 1
        try:
            s.send(b"q%d" % n)
            while True:
                reply = s.recv(2048)
                if reply.endswith(b"q%d" % n):
                    break
            count("udp_ok")
        except OSError:
            count("udp_unanswered", True)
        time.sleep(0.005)

threads = [threading.Thread(target=connections) for _ in range(4)]
threads += [threading.Thread(target=stream) for _ in range(streams)]
threads.append(threading.Thread(target=udp))
for t in threads:
    t.start()
for t in threads:
    t.join(seconds + 10)
window = "none" if not failures else "%.2f-%.2f s (%.2f s)" % (min(failures), max(failures), max(failures) - min(failures))
print("connections ok %(ok)d refused %(refused)d reset %(reset)d timeout %(timeout)d other %(other)d; "
      "long-lived broken %(streams_broken)d of " % counts + str(streams) +
      "; udp answered %(udp_ok)d unanswered %(udp_unanswered)d" % counts + "; failures in " + window, flush=True)
