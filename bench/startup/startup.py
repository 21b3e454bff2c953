#!/usr/bin/env python3
"""Crash-restart time of Junction (issue 15): seconds from `java` process start to serving again.

For every combination of Service count, source, JDK and JVM cache, and for ROUNDS rounds (interleaved, so
the machine's load spreads over all of them), starts Junction as the image does (the Dockerfile's
JUNCTION_JAVA_OPTS) with --capture none on loopback VIPs, and records from the moment before the process
is started:
  started   the "junction started" log line (JVM start, configuration, data planes up, source started)
  synced    the "sources synced" log line (first full sync programmed: every frontend listening)
  served    the first connection through the last Service's VIP that gets its bytes echoed by the backend
  cpu       the CPU seconds (user + system, every thread: JIT, GC) Junction had used by then: the work of the
            start, much less disturbed than the wall time by whatever else the machine runs
then kills it with SIGKILL (a crash: nothing is closed in order). Every run is bounded (RUN_LIMIT seconds).

Sources: "manifests" (a generated directory, files of 100 Services each with one EndpointSlice) and "api"
(bench's ScaleApiServer in its own JVM, paged lists as a real API server serves them). Every Service's one
endpoint is a local echo server on this machine's own non-loopback address (the API source, as the API
server, refuses loopback endpoints), reached through the loopback interface all the same. Caches: "none"; "cds" (a dynamic AppCDS archive, -XX:ArchiveClassesAtExit
in a training run, -XX:SharedArchiveFile after); "aot" (JDK 25's AOT cache, -XX:AOTCacheOutput in a
training run, -XX:AOTCache after). The training run is the image's: bin/junction-training (junction demo, 1,000 manifest Services
with forwarded requests), not the measured workload.

Writes DIR/runs.csv (one line per run) and DIR/summary.md (medians). Loopback only; cleans up after itself.
"""
import argparse
import os
import shutil
import signal
import socket
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time

IMAGE_OPTS = None  # read from the Dockerfile, so the bench follows the image
RUN_LIMIT = 120.0
# After the synced line, the probe must get through within this; longer means the setup is broken.
AFTER_SYNC_LIMIT = 15.0
# The Services' port: not 8080, which KubeScaleBench's Services (the same VIPs) use.
PORT = 18080


def image_java_opts(dockerfile):
    text = open(dockerfile).read().replace("\\\n", " ")
    start = text.index('JUNCTION_JAVA_OPTS="') + len('JUNCTION_JAVA_OPTS="')
    return text[start:text.index('"', start)].split()


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            self.request.sendall(data)


class EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def vip(i):
    """Service i's ClusterIP, as ScaleApiServer writes them: 127.0.1.0 on."""
    n = i + 256
    return "127.%d.%d.%d" % ((n >> 16) & 255, (n >> 8) & 255, n & 255)


def node_address():
    """The address of the default route's interface (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("203.0.113.1", 9))
        address = s.getsockname()[0]
    if address.startswith("127."):
        sys.exit("startup.py: no non-loopback IPv4 address for the backend")
    return address


def write_manifests(directory, services, backend):
    os.makedirs(directory)
    per_file = 100
    for first in range(0, services, per_file):
        with open(os.path.join(directory, "services-%05d.yaml" % (first // per_file)), "w") as f:
            for i in range(first, min(services, first + per_file)):
                f.write("apiVersion: v1\nkind: Service\nmetadata: {name: svc-%d, namespace: bench}\n"
                        "spec:\n  clusterIP: %s\n  ports: [{name: http, port: %d, protocol: TCP}]\n---\n"
                        % (i, vip(i), PORT))
                f.write("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
                        "metadata: {name: svc-%d-1, namespace: bench, labels: {kubernetes.io/service-name: svc-%d}}\n"
                        "addressType: IPv4\nendpoints: [{addresses: [%s], conditions: {ready: true}}]\n"
                        "ports: [{name: http, port: %d, protocol: TCP}]\n---\n" % (i, i, backend[0], backend[1]))


def forwarded(address):
    try:
        with socket.create_connection((address, PORT), timeout=0.5) as s:
            s.settimeout(1.0)
            s.sendall(b"ping")
            return s.recv(16) == b"ping"
    except OSError:
        return False


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_once(java, opts, source_args, probe_vip, log_path):
    """One start: returns (started, synced, served, cpu) seconds from just before the process starts."""
    cmd = [java] + opts + ["-jar", ARGS.jar, "run"] + source_args + [
        "--capture", "none", "--hostname-override", "startup-bench", "--handover-socket", "",
        "--healthz-bind-address", "", "--metrics-bind-address", ""]
    marks = {}
    log = open(log_path, "w")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def read():
        for line in proc.stdout:
            now = time.monotonic() - t0
            log.write("%8.3f %s" % (now, line))
            if "junction started" in line:
                marks.setdefault("started", now)
            if "sources synced" in line:
                marks.setdefault("synced", now)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        while time.monotonic() - t0 < RUN_LIMIT and proc.poll() is None:
            if "synced" in marks and time.monotonic() - t0 > marks["synced"] + AFTER_SYNC_LIMIT:
                break
            if forwarded(probe_vip):
                marks["served"] = time.monotonic() - t0
                marks["cpu"] = cpu_seconds(proc.pid)
                break
            time.sleep(0.005)
        # The synced line may follow the first served connection by a little.
        deadline = time.monotonic() + 30
        while "synced" not in marks and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reader.join(5)
        log.close()
    return marks.get("started"), marks.get("synced"), marks.get("served"), marks.get("cpu")


def train(jdk, cache, out_file, work):
    """The image's training run, with the cache option the JDK writes at exit."""
    option = {"cds": "-XX:ArchiveClassesAtExit=", "aot": "-XX:AOTCacheOutput="}[cache] + out_file
    env = dict(os.environ, PATH=os.path.join(jdk, "bin") + os.pathsep + os.environ["PATH"],
               JUNCTION_JAR=ARGS.jar, JUNCTION_JAVA_OPTS=" ".join(IMAGE_OPTS + [option]))
    started = time.monotonic()
    with open(os.path.join(work, "train-%s-%s.log" % (os.path.basename(jdk), cache)), "w") as log:
        subprocess.run([ARGS.training], env=env, stdout=log, stderr=subprocess.STDOUT, timeout=300, check=True)
    print("trained %s %s in %.1f s: %s (%d MB)" % (os.path.basename(jdk), cache, time.monotonic() - started,
                                                  out_file, os.path.getsize(out_file) >> 20), flush=True)


def cache_opts(cache, file):
    return {"none": [], "cds": ["-XX:SharedArchiveFile=" + file], "aot": ["-XX:AOTCache=" + file]}[cache]


def main():
    global ARGS, IMAGE_OPTS
    # A stop (SIGTERM, Ctrl-C) unwinds through the cleanup below: no Junction or API server is left behind.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    p = argparse.ArgumentParser()
    p.add_argument("--jar", required=True)
    p.add_argument("--bench-jar", required=True)
    p.add_argument("--training", required=True)
    p.add_argument("--dockerfile", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--services", default="1000,10000")
    p.add_argument("--sources", default="manifests,api")
    p.add_argument("--jdks", default="/usr/lib/jvm/java-17-openjdk-amd64,/usr/lib/jvm/temurin-25-jdk-amd64")
    p.add_argument("--caches", default="none,cds,aot")
    p.add_argument("--rounds", type=int, default=3)
    ARGS = p.parse_args()
    IMAGE_OPTS = image_java_opts(ARGS.dockerfile)
    os.makedirs(ARGS.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="junction-startup-")
    address = node_address()
    echo = EchoServer((address, 0), Echo)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    backend = (address, echo.server_address[1])
    apis = []
    try:
        jdks = ARGS.jdks.split(",")
        caches = {}
        for jdk in jdks:
            major = subprocess.run([os.path.join(jdk, "bin", "java"), "-version"], capture_output=True,
                                   text=True).stderr.split('"')[1].split(".")[0]
            for cache in ARGS.caches.split(","):
                if cache == "aot" and int(major) < 25:
                    continue
                file = os.path.join(work, "%s-%s.%s" % (os.path.basename(jdk), cache, "aot" if cache == "aot" else "jsa"))
                if cache != "none":
                    train(jdk, cache, file, work)
                caches[(jdk, cache)] = (major, file)
        setups = []
        for n in [int(s) for s in ARGS.services.split(",")]:
            for source in ARGS.sources.split(","):
                if source == "manifests":
                    directory = os.path.join(work, "manifests-%d" % n)
                    write_manifests(directory, n, backend)
                    setups.append((n, source, ["--manifests", directory]))
                else:
                    api = subprocess.Popen(["java", "-Xmx1g", "-cp", ARGS.bench_jar, "dev.junction.bench.ScaleApiServer",
                                            str(n), "1", backend[0], str(backend[1]), str(PORT)],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                    apis.append(api)
                    url = api.stdout.readline().split()[1]
                    setups.append((n, source, ["--master", url]))
        with open(os.path.join(ARGS.out, "runs.csv"), "w") as csv:
            csv.write("round,services,source,jdk,cache,started_s,synced_s,served_s,cpu_s\n")
            results = {}
            for r in range(1, ARGS.rounds + 1):
                for n, source, source_args in setups:
                    for (jdk, cache), (major, file) in caches.items():
                        log = os.path.join(ARGS.out, "log-%d-%d-%s-%s-%s.txt" % (r, n, source, major, cache))
                        marks = run_once(os.path.join(jdk, "bin", "java"), IMAGE_OPTS + cache_opts(cache, file),
                                         source_args, vip(n - 1), log)
                        line = "%d,%d,%s,%s,%s,%s" % (r, n, source, major, cache,
                                                      ",".join("" if m is None else "%.3f" % m for m in marks))
                        print(line, flush=True)
                        csv.write(line + "\n")
                        csv.flush()
                        results.setdefault((n, source, major, cache), []).append(marks)
        with open(os.path.join(ARGS.out, "summary.md"), "w") as md:
            md.write("Medians of %d rounds, seconds from process start (image JVM flags: %s)\n\n"
                     % (ARGS.rounds, " ".join(IMAGE_OPTS)))
            md.write("| Services | source | JDK | cache | started | synced | served | CPU s to serve |\n"
                     "|---:|---|---|---|---:|---:|---:|---:|\n")
            for (n, source, major, cache), runs in results.items():
                cells = []
                for k in range(4):
                    values = [m[k] for m in runs if m[k] is not None]
                    cells.append("%.2f" % statistics.median(values) if values else "-")
                md.write("| %d | %s | %s | %s | %s |\n" % (n, source, major, cache, " | ".join(cells)))
        print(open(os.path.join(ARGS.out, "summary.md")).read())
    finally:
        for api in apis:
            api.stdin.close()
            try:
                api.wait(10)
            except subprocess.TimeoutExpired:
                api.kill()
        echo.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
