"""Driver for health-port-flood.sh: holds many idle connections to Junction's health port while a canary
goes through the data plane and a kubelet-like probe asks /healthz, each in a process of its own (as the
kubelet is; no shared interpreter lock delaying them); prints one line of figures.
Bounded: every socket has a timeout, the attack stops after its hold time, everything is closed on exit."""
import multiprocessing as mp
import os, socket, sys, time

proxy_port, health_port, pid, idle, hold = (int(a) for a in sys.argv[1:6])
host = "127.0.0.1"
stop = mp.Event()
canary = {k: mp.Value("d", 0.0) for k in ("ok", "failed", "max_ms")}
# Probe results by phase: 0 before the attack, 1 while it connects, 2 while it holds, 3 after it.
phase = mp.Value("i", 0)
probes = {k: mp.Array("i", 4) for k in ("ok", "failed")}
max_fds = mp.Value("d", 0.0)


def canary_loop():
    # One short TCP exchange through the proxy every 20 ms; its worst latency is the data-plane stall.
    while not stop.is_set():
        start = time.monotonic()
        try:
            with socket.create_connection((host, proxy_port), timeout=5) as s:
                s.sendall(b"ping")
                if s.recv(4) != b"ping":
                    raise OSError("bad echo")
            canary["ok"].value += 1
        except OSError:
            canary["failed"].value += 1
        canary["max_ms"].value = max(canary["max_ms"].value, (time.monotonic() - start) * 1000)
        stop.wait(0.02)


def probe_loop():
    # As the kubelet probes: a new connection, one request, a 1 s timeout, every 200 ms here.
    while not stop.is_set():
        try:
            with socket.create_connection((host, health_port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if not s.recv(64).startswith(b"HTTP/1.1 200"):
                    raise OSError("not 200")
            probes["ok"][phase.value] += 1
        except OSError:
            probes["failed"][phase.value] += 1
        stop.wait(0.2)


def fd_loop():
    while not stop.is_set():
        try:
            max_fds.value = max(max_fds.value, len(os.listdir(f"/proc/{pid}/fd")))
        except OSError:
            pass
        stop.wait(0.1)


workers = [mp.Process(target=f, daemon=True) for f in (canary_loop, probe_loop, fd_loop)]
for w in workers:
    w.start()
time.sleep(1)
phase.value = 1
conns, refused = [], 0
deadline = time.monotonic() + 30
for _ in range(idle):
    if time.monotonic() > deadline:
        break
    try:
        conns.append(socket.create_connection((host, health_port), timeout=1))
    except OSError:
        refused += 1
phase.value = 2
time.sleep(hold)
# A connection Junction closed reads as EOF (or a reset) without blocking.
closed = 0
for s in conns:
    s.setblocking(False)
    try:
        if s.recv(1) == b"":
            closed += 1
    except BlockingIOError:
        pass
    except OSError:
        closed += 1
    s.close()
phase.value = 3
time.sleep(2)
stop.set()
for w in workers:
    w.join(6)
    if w.is_alive():
        w.terminate()
print(f"idle connections opened {len(conns)} (failed {refused}), closed by junction {closed}; "
      f"junction max fds {max_fds.value:.0f}; canary ok {canary['ok'].value:.0f} failed {canary['failed'].value:.0f} "
      f"max {canary['max_ms'].value:.0f} ms; /healthz probes failed/ok before {probes['failed'][0]}/{probes['ok'][0]}, "
      f"while connecting {probes['failed'][1]}/{probes['ok'][1]}, while holding {probes['failed'][2]}/{probes['ok'][2]}, "
      f"after {probes['failed'][3]}/{probes['ok'][3]}")
