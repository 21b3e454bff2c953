package dev.junction.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.zip.CRC32;

/**
 * Traffic through a Junction while it is replaced (issue 15), as a process of its own (so it can run in a
 * client's network namespace); JDK only, bounded in time:
 * <pre>
 *   HandoverLoad TCP_HOST:PORT UDP_HOST:PORT SECONDS RATE STREAMS MARK_FILE
 *   HandoverLoad backend PORT
 * </pre>
 * For SECONDS at most, or until MARK_FILE.stop appears: new TCP connections at RATE per second, open loop (each
 * is due at start + n / RATE and is skipped, counted, once the generator runs 100 ms behind; 64 threads connect,
 * read the backend's first line and close; 2 s to connect and 2 s to answer), STREAMS long-lived TCP connections
 * each echoing a CRC-checked 1 KiB chunk every 20 ms, and UDP request/response on 4 sockets (one request in
 * flight per socket, 1 s to answer, the next 2 ms later). When MARK_FILE appears (the caller creates it at the
 * moment of the switch), the UDP requests in flight are counted. Prints {@code running} once started, then one
 * line of key=value counts (with the connections answered in each second); failure times are in seconds from
 * the mark. Threads: its own, all started and joined in {@code main}.
 */
public final class HandoverLoad {

    private static final int CONNECTORS = 64;
    private static final int UDP_SOCKETS = 4;
    private static final int TIMEOUT_MS = 2_000;
    /** A connection this late is not made (and counted as skipped): the load stays a rate, never a catch-up burst. */
    private static final long LATE_NANOS = 100_000_000L;

    private final InetSocketAddress tcp;
    private final InetSocketAddress udp;
    private final long start = System.nanoTime();
    private volatile long end;
    private final double rate;
    private final int streams;
    private final AtomicLong nextSlot = new AtomicLong();
    private final AtomicInteger ok = new AtomicInteger();
    private final AtomicInteger skipped = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicInteger reset = new AtomicInteger();
    private final AtomicInteger timedOut = new AtomicInteger();
    private final AtomicInteger closedEarly = new AtomicInteger();
    private final AtomicInteger other = new AtomicInteger();
    private final AtomicInteger streamsBroken = new AtomicInteger();
    private final AtomicInteger udpOk = new AtomicInteger();
    private final AtomicInteger udpUnanswered = new AtomicInteger();
    private final AtomicInteger udpInFlight = new AtomicInteger();
    private final AtomicLongArray perSecond;
    private final List<Long> failures = new ArrayList<>();
    private volatile long markNanos;
    private volatile int udpInFlightAtMark = -1;
    private volatile int okAtMark;
    private volatile String firstOther = "";

    private HandoverLoad(InetSocketAddress tcp, InetSocketAddress udp, double seconds, double rate, int streams) {
        this.tcp = tcp;
        this.udp = udp;
        this.end = start + (long) (seconds * 1e9);
        this.rate = rate;
        this.streams = streams;
        this.perSecond = new AtomicLongArray((int) Math.ceil(seconds) + 1);
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("backend")) {
            backend(Integer.parseInt(args[1]));
            return;
        }
        HandoverLoad load = new HandoverLoad(address(args[0]), address(args[1]), Double.parseDouble(args[2]),
                Double.parseDouble(args[3]), Integer.parseInt(args[4]));
        System.out.println(load.run(Path.of(args[5])));
    }

    /**
     * The backend, on one thread until killed: TCP at 127.0.0.1:PORT sends "backend\n" on accept, then echoes;
     * UDP at the same port echoes each datagram. Prints "ready" once both are bound. One selector thread, so
     * a few thousand connections per second cost it little (a thread per connection would not).
     */
    private static void backend(int port) throws IOException {
        InetSocketAddress at = new InetSocketAddress("127.0.0.1", port);
        try (Selector selector = Selector.open(); ServerSocketChannel server = ServerSocketChannel.open();
                DatagramChannel udp = DatagramChannel.open()) {
            server.bind(at, 4096).configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            udp.bind(at).configureBlocking(false);
            udp.register(selector, SelectionKey.OP_READ);
            System.out.println("ready");
            System.out.flush();
            ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
            byte[] hello = "backend\n".getBytes(StandardCharsets.US_ASCII);
            while (true) {
                selector.select();
                for (SelectionKey key : selector.selectedKeys()) {
                    if (key.channel() == server) {
                        SocketChannel c;
                        while ((c = server.accept()) != null) {
                            c.configureBlocking(false);
                            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                            c.write(ByteBuffer.wrap(hello));
                            c.register(selector, SelectionKey.OP_READ);
                        }
                    } else if (key.channel() == udp) {
                        buf.clear();
                        SocketAddress from;
                        while ((from = udp.receive(buf)) != null) {
                            buf.flip();
                            udp.send(buf, from);
                            buf.clear();
                        }
                    } else {
                        echo(key, buf);
                    }
                }
                selector.selectedKeys().clear();
            }
        }
    }

    /** Echoes what a connection sent; a peer that does not read what it sent (none here) is closed. */
    private static void echo(SelectionKey key, ByteBuffer buf) {
        SocketChannel c = (SocketChannel) key.channel();
        try {
            buf.clear();
            int n = c.read(buf);
            if (n < 0) {
                c.close();
                return;
            }
            buf.flip();
            c.write(buf);
            if (buf.hasRemaining()) {
                c.close();
            }
        } catch (IOException e) {
            try {
                c.close();
            } catch (IOException ignored) {
                // Closing a broken connection; nothing more to do.
            }
        }
    }

    private static InetSocketAddress address(String text) {
        int colon = text.lastIndexOf(':');
        return new InetSocketAddress(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
    }

    private String run(Path mark) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < CONNECTORS; i++) {
            threads.add(new Thread(this::connections, "connections-" + i));
        }
        for (int i = 0; i < streams; i++) {
            threads.add(new Thread(this::stream, "stream-" + i));
        }
        for (int i = 0; i < UDP_SOCKETS; i++) {
            threads.add(new Thread(this::udp, "udp-" + i));
        }
        threads.forEach(Thread::start);
        System.out.println("running");
        System.out.flush();
        watchMark(mark);
        for (Thread t : threads) {
            t.join();
        }
        return report();
    }

    /** Polls every millisecond for the mark (the moment the caller switched Junctions) and for the stop file. */
    private void watchMark(Path mark) throws InterruptedException {
        Path stop = mark.resolveSibling(mark.getFileName() + ".stop");
        while (System.nanoTime() < end) {
            if (markNanos == 0 && Files.exists(mark)) {
                udpInFlightAtMark = udpInFlight.get();
                okAtMark = ok.get();
                markNanos = System.nanoTime();
            }
            if (Files.exists(stop)) {
                end = System.nanoTime();
            }
            Thread.sleep(1);
        }
    }

    private void failed(AtomicInteger counter) {
        counter.incrementAndGet();
        synchronized (failures) {
            failures.add(System.nanoTime());
        }
    }

    private void connections() {
        byte[] line = new byte[256];
        while (true) {
            long slot = nextSlot.getAndIncrement();
            long due = start + (long) (slot * 1e9 / rate);
            if (due >= end) {
                return;
            }
            long wait = due - System.nanoTime();
            if (wait > 0) {
                sleepNanos(wait);
            } else if (-wait > LATE_NANOS) {
                skipped.incrementAndGet();
                continue;
            }
            try (Socket s = new Socket()) {
                s.connect(tcp, TIMEOUT_MS);
                s.setSoTimeout(TIMEOUT_MS);
                readLine(s.getInputStream(), line);
                ok.incrementAndGet();
                perSecond.incrementAndGet((int) Math.min(perSecond.length() - 1, (System.nanoTime() - start) / 1_000_000_000L));
            } catch (ConnectException e) {
                failed(e.getMessage() != null && e.getMessage().contains("refused") ? refused : other(e));
            } catch (SocketTimeoutException e) {
                failed(timedOut);
            } catch (SocketException e) {
                failed(e.getMessage() != null && e.getMessage().contains("reset") ? reset : other(e));
            } catch (EndOfStream e) {
                failed(closedEarly);
            } catch (IOException e) {
                failed(other(e));
            }
        }
    }

    private AtomicInteger other(IOException e) {
        if (firstOther.isEmpty()) {
            firstOther = e.toString().replace(' ', '_');
        }
        return other;
    }

    private static void sleepNanos(long nanos) {
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The peer closed before the expected bytes arrived. */
    private static final class EndOfStream extends IOException {
        EndOfStream() {
            super("closed early");
        }
    }

    private static void readLine(InputStream in, byte[] buf) throws IOException {
        int n = 0;
        while (n == 0 || buf[n - 1] != '\n') {
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) {
                throw new EndOfStream();
            }
            n += r;
        }
    }

    private void stream() {
        byte[] chunk = new byte[1024];
        byte[] got = new byte[1024];
        try (Socket s = new Socket()) {
            s.connect(tcp, TIMEOUT_MS);
            s.setSoTimeout(TIMEOUT_MS);
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            readLine(in, new byte[256]);
            while (System.nanoTime() < end) {
                ThreadLocalRandom.current().nextBytes(chunk);
                out.write(chunk);
                int n = 0;
                while (n < got.length) {
                    int r = in.read(got, n, got.length - n);
                    if (r < 0) {
                        throw new EndOfStream();
                    }
                    n += r;
                }
                if (crc(chunk) != crc(got)) {
                    throw new IOException("corrupted chunk");
                }
                Thread.sleep(20);
            }
        } catch (IOException e) {
            failed(streamsBroken);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return c.getValue();
    }

    private void udp() {
        try (DatagramChannel ch = DatagramChannel.open(); Selector selector = Selector.open()) {
            ch.connect(udp);
            ch.configureBlocking(false);
            ch.register(selector, SelectionKey.OP_READ);
            ByteBuffer in = ByteBuffer.allocate(2048);
            long n = 0;
            while (System.nanoTime() < end) {
                byte[] request = ("q" + Thread.currentThread().getName() + "-" + ++n).getBytes(StandardCharsets.US_ASCII);
                udpInFlight.incrementAndGet();
                ch.write(ByteBuffer.wrap(request));
                long deadline = System.nanoTime() + 1_000_000_000L;
                boolean answered = false;
                while (!answered && System.nanoTime() < deadline) {
                    selector.select(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                    selector.selectedKeys().clear();
                    in.clear();
                    while (!answered && safeRead(ch, in) > 0) {
                        in.flip();
                        answered = endsWith(in, request);
                        in.clear();
                    }
                }
                udpInFlight.decrementAndGet();
                if (answered) {
                    udpOk.incrementAndGet();
                } else {
                    failed(udpUnanswered);
                }
                Thread.sleep(2);
            }
        } catch (IOException e) {
            failed(udpUnanswered);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A read on a connected datagram socket; an ICMP error (nothing listening) reads as nothing. */
    private static int safeRead(DatagramChannel ch, ByteBuffer in) {
        try {
            return ch.read(in);
        } catch (IOException e) {
            return 0;
        }
    }

    private static boolean endsWith(ByteBuffer reply, byte[] request) {
        int offset = reply.remaining() - request.length;
        if (offset < 0) {
            return false;
        }
        for (int i = 0; i < request.length; i++) {
            if (reply.get(reply.position() + offset + i) != request[i]) {
                return false;
            }
        }
        return true;
    }

    private String report() {
        double measured = (end - start) / 1e9;
        int seconds = (int) Math.ceil(measured);
        StringBuilder perSecondOk = new StringBuilder();
        for (int i = 0; i < Math.min(seconds, perSecond.length() - 1); i++) {
            perSecondOk.append(i == 0 ? "" : ",").append(perSecond.get(i));
        }
        double beforeMark = markNanos == 0 ? 0 : okAtMark / ((markNanos - start) / 1e9);
        String window = "none";
        synchronized (failures) {
            if (!failures.isEmpty()) {
                long origin = markNanos == 0 ? start : markNanos;
                long first = failures.stream().mapToLong(Long::longValue).min().orElseThrow();
                long last = failures.stream().mapToLong(Long::longValue).max().orElseThrow();
                window = String.format(Locale.ROOT, "%+.2f..%+.2fs", (first - origin) / 1e9, (last - origin) / 1e9);
            }
        }
        return String.format(Locale.ROOT, "rate_target=%.0f/s rate_ok=%.0f/s rate_ok_before_switch=%.0f/s skipped_late=%d ok=%d refused=%d reset=%d "
                        + "timeout=%d closed_early=%d other=%d%s streams_broken=%d/%d udp_ok=%d udp_unanswered=%d "
                        + "udp_in_flight_at_switch=%s failures_from_switch=%s ok_per_second=%s",
                rate, ok.get() / measured, beforeMark, skipped.get(), ok.get(), refused.get(),
                reset.get(), timedOut.get(), closedEarly.get(), other.get(),
                firstOther.isEmpty() ? "" : "(" + firstOther + ")", streamsBroken.get(), streams, udpOk.get(),
                udpUnanswered.get(), udpInFlightAtMark < 0 ? "no-switch" : String.valueOf(udpInFlightAtMark), window, perSecondOk);
    }
}
