package dev.junction.handover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.model.Protocol;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The handover protocol between two ends in this JVM over a real UNIX socket, passing real listening sockets on
 * loopback; and each way it can fail, against fake peers written with the JDK's UNIX sockets.
 */
class HandoverTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String HELLO = Wire.HELLO + " " + Wire.VERSION + "\n";

    @TempDir
    Path dir;
    private Path path;
    private EventLoopGroup group;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeEach
    void setUp() {
        assertTrue(Epoll.isAvailable(), "epoll: " + Epoll.unavailabilityCause());
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        path = dir.resolve("handover.sock");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** An offer of fixed sockets that counts down when taken. */
    private static final class FixedOffer implements HandoverServer.Offer {
        final List<HandoverServer.Offered> sockets;
        final CountDownLatch taken = new CountDownLatch(1);

        FixedOffer(List<HandoverServer.Offered> sockets) {
            this.sockets = sockets;
        }

        @Override
        public List<HandoverServer.Offered> sockets() {
            return sockets;
        }

        @Override
        public void taken() {
            taken.countDown();
        }
    }

    private Socket listeningTcp() throws IOException {
        Socket s = Socket.newSocketStream();
        closing.add(s::close);
        s.bind(new InetSocketAddress(LOOPBACK, 0));
        s.listen(128);
        return s;
    }

    private Socket boundUdp() throws IOException {
        Socket s = Socket.newSocketDgram();
        closing.add(s::close);
        s.bind(new InetSocketAddress(LOOPBACK, 0));
        return s;
    }

    private HandoverServer serve(HandoverServer.Offer offer) throws IOException {
        HandoverServer server = HandoverServer.listen(path, group, offer);
        closing.add(server);
        return server;
    }

    @Test
    void theNewSideAdoptsAListenerAndAcceptsTheConnectionWaitingInItsQueueAndAUdpSocketWithItsDatagram()
            throws Exception {
        Socket tcp = listeningTcp();
        Socket udp = boundUdp();
        InetSocketAddress tcpAddress = tcp.localAddress();
        InetSocketAddress udpAddress = udp.localAddress();
        FixedOffer offer = new FixedOffer(List.of(
                new HandoverServer.Offered(new HandedSocket(HandedSocket.Role.FRONTEND, Protocol.TCP, tcpAddress), tcp),
                new HandoverServer.Offered(new HandedSocket(HandedSocket.Role.FRONTEND, Protocol.UDP, udpAddress), udp)));
        serve(offer);
        // Waiting in the old socket's accept queue and receive buffer: both must reach the new process.
        java.net.Socket queued = new java.net.Socket(LOOPBACK, tcpAddress.getPort());
        closing.add(queued);
        queued.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
        DatagramSocket client = new DatagramSocket();
        closing.add(client);
        byte[] ping = "ping".getBytes(StandardCharsets.US_ASCII);
        client.send(new java.net.DatagramPacket(ping, ping.length, udpAddress));

        HandoverClient.Outcome outcome = HandoverClient.take(path, group, TIMEOUT);
        HandoverClient.Outcome.Taken taken = assertInstanceOf(HandoverClient.Outcome.Taken.class, outcome);
        assertEquals(List.of(offer.sockets.get(0).socket(), offer.sockets.get(1).socket()),
                taken.sockets().stream().map(HandoverClient.Received::socket).toList());
        assertEquals(1, offer.taken.getCount(), "not taken before the new side confirms");

        BlockingQueue<String> accepted = new ArrayBlockingQueue<>(4);
        EpollServerSocketChannel adopted = new EpollServerSocketChannel(taken.sockets().get(0).fd().intValue());
        adopted.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                Channel child = (Channel) msg;
                child.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object data) {
                        accepted.add(((io.netty.buffer.ByteBuf) data).toString(StandardCharsets.US_ASCII));
                        ((io.netty.buffer.ByteBuf) data).release();
                        ctx.writeAndFlush(ctx.alloc().buffer().writeBytes("served by the new side\n".getBytes()));
                    }
                });
                group.next().register(child);
            }
        });
        group.next().register(adopted).sync();
        closing.add(() -> adopted.close().sync());
        EpollDatagramChannel adoptedUdp = new EpollDatagramChannel(taken.sockets().get(1).fd().intValue());
        BlockingQueue<String> datagrams = new ArrayBlockingQueue<>(4);
        adoptedUdp.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                DatagramPacket p = (DatagramPacket) msg;
                datagrams.add(p.content().toString(StandardCharsets.US_ASCII));
                p.release();
            }
        });
        group.next().register(adoptedUdp).sync();
        closing.add(() -> adoptedUdp.close().sync());
        taken.confirm(TIMEOUT);

        assertTrue(offer.taken.await(5, TimeUnit.SECONDS), "the old side is told");
        assertEquals("hello\n", accepted.poll(5, TimeUnit.SECONDS));
        queued.setSoTimeout(5000);
        InputStream in = queued.getInputStream();
        assertEquals("served by the new side\n", new String(in.readNBytes(23), StandardCharsets.US_ASCII));
        assertEquals("ping", datagrams.poll(5, TimeUnit.SECONDS));
        assertEquals(tcpAddress, adopted.localAddress(), "the same kernel socket");
        assertFalse(Files.exists(path), "the old side stopped listening on the handover socket");
    }

    @Test
    void withoutASocketFileTheNewSideSaysSo() {
        HandoverClient.Outcome.Failed failed = assertInstanceOf(HandoverClient.Outcome.Failed.class,
                HandoverClient.take(path, group, TIMEOUT));
        assertTrue(failed.reason().startsWith("no handover socket at " + path), failed.reason());
    }

    @Test
    void aStaleSocketFileFromACrashedJunctionIsConnectionRefused() throws IOException {
        try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            crashed.bind(UnixDomainSocketAddress.of(path));
        }
        assertTrue(Files.exists(path), "the JDK leaves the file behind, as a crash does");
        HandoverClient.Outcome.Failed failed = assertInstanceOf(HandoverClient.Outcome.Failed.class,
                HandoverClient.take(path, group, TIMEOUT));
        assertEquals("stale handover socket " + path + ": nobody listening (connection refused)", failed.reason());
    }

    /** The new side confirms, the old side is told, and the descriptors received are closed. */
    private static void confirmAndClose(HandoverClient.Outcome.Taken taken, FixedOffer offer) throws InterruptedException {
        taken.confirm(TIMEOUT);
        assertTrue(offer.taken.await(5, TimeUnit.SECONDS), "the old side is told");
        taken.sockets().forEach(r -> HandoverClient.closeQuietly(r.fd()));
    }

    /** Serves an offer of one listening TCP socket. */
    private FixedOffer serveOneListener(Socket tcp) throws IOException {
        FixedOffer offer = new FixedOffer(List.of(new HandoverServer.Offered(
                new HandedSocket(HandedSocket.Role.FRONTEND, Protocol.TCP, tcp.localAddress()), tcp)));
        serve(offer);
        return offer;
    }

    @Test
    void theOldSideRefusesAnotherProtocolVersionAndStillHandsOverToTheRightOne() throws Exception {
        serveOneListener(listeningTcp());
        try (SocketChannel future = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            // Version 1 included: it passed every descriptor at once, which fails past ~280 sockets.
            write(future, "JUNCTION-HANDOVER 1\n");
            assertEquals("REFUSED " + Wire.VERSION + " unknown version\n", readUntilClosed(future));
        }
        HandoverClient.Outcome.Taken taken = assertInstanceOf(HandoverClient.Outcome.Taken.class,
                HandoverClient.take(path, group, TIMEOUT));
        taken.sockets().forEach(r -> HandoverClient.closeQuietly(r.fd()));
    }

    @Test
    void theNewSideFailsClearlyOnAPeerThatSpeaksAnotherVersion() throws Exception {
        fakePeer(peer -> {
            readLine(peer);
            write(peer, "REFUSED 9 unknown version\n");
        });
        HandoverClient.Outcome.Failed failed = assertInstanceOf(HandoverClient.Outcome.Failed.class,
                HandoverClient.take(path, group, TIMEOUT));
        assertEquals("the running Junction refused the handover: it speaks protocol version 9, this one "
                + Wire.VERSION + " (unknown version)", failed.reason());
    }

    /**
     * A node with thousands of Services: version 1 sent every descriptor at once, and past the ~280 a UNIX
     * socket's send buffer holds in flight Netty shut the connection's output, so the handover failed at 278 of
     * 10,002 sockets. Each descriptor here must arrive, and in its line's place.
     */
    @Test
    void aThousandSocketsPassInBatchesEachInItsPlace() throws Exception {
        List<HandoverServer.Offered> sockets = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            Socket udp = boundUdp();
            sockets.add(new HandoverServer.Offered(
                    new HandedSocket(HandedSocket.Role.FRONTEND, Protocol.UDP, udp.localAddress()), udp));
        }
        FixedOffer offer = new FixedOffer(sockets);
        serve(offer);
        HandoverClient.Outcome.Taken taken = assertInstanceOf(HandoverClient.Outcome.Taken.class,
                HandoverClient.take(path, group, TIMEOUT));
        assertEquals(1000, taken.sockets().size());
        for (HandoverClient.Received r : taken.sockets()) {
            // A view of the descriptor, not a second owner: confirmAndClose closes it once.
            assertEquals(r.socket().address(), new Socket(r.fd().intValue()).localAddress(),
                    "the descriptor of its own line");
        }
        confirmAndClose(taken, offer);
    }

    @Test
    void anOldSideThatDiesMidWayLeavesTheNewSideToBindForItself() throws Exception {
        fakePeer(peer -> {
            readLine(peer);
            write(peer, "SOCKETS 2\nfrontend tcp 127.0.0.1 80\nfrontend udp 127.0.0.1 53\n");
            assertEquals("SEND 2", readLine(peer));
        });
        HandoverClient.Outcome.Failed failed = assertInstanceOf(HandoverClient.Outcome.Failed.class,
                HandoverClient.take(path, group, TIMEOUT));
        assertEquals("the running Junction closed the connection mid-way (0 of 2 sockets received)", failed.reason());
    }

    @Test
    void anOldSideThatNeverAnswersTimesOut() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        fakePeer(peer -> release.await());
        try {
            HandoverClient.Outcome.Failed failed = assertInstanceOf(HandoverClient.Outcome.Failed.class,
                    HandoverClient.take(path, group, Duration.ofMillis(300)));
            assertEquals("the running Junction did not hand over within PT0.3S", failed.reason());
        } finally {
            release.countDown();
        }
    }

    @Test
    void aNewSideThatGoesAwayBeforeTakingLeavesTheOldOneServingAndReadyForTheNext() throws Exception {
        Socket tcp = listeningTcp();
        FixedOffer offer = serveOneListener(tcp);
        try (SocketChannel crashing = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            write(crashing, HELLO);
            assertEquals("SOCKETS 1", readLine(crashing));
        }
        HandoverClient.Outcome.Taken taken = assertInstanceOf(HandoverClient.Outcome.Taken.class,
                HandoverClient.take(path, group, TIMEOUT));
        assertEquals(1, offer.taken.getCount(), "the first one never confirmed");
        assertTrue(tcp.isOpen(), "the old side's own socket is untouched");
        confirmAndClose(taken, offer);
    }

    /** A peer that asks and then stalls must not hold the one-at-a-time handover from the next Junction. */
    @Test
    void aPeerThatStallsMidWayIsClosedAtTheDeadlineAndTheNextNewSideTakesOver() throws Exception {
        Socket tcp = listeningTcp();
        FixedOffer offer = new FixedOffer(List.of(new HandoverServer.Offered(
                new HandedSocket(HandedSocket.Role.FRONTEND, Protocol.TCP, tcp.localAddress()), tcp)));
        closing.add(HandoverServer.listen(path, group, offer, Duration.ofMillis(300)));
        try (SocketChannel stalled = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            write(stalled, HELLO);
            assertEquals("SOCKETS 1", readLine(stalled));
            readLine(stalled);
            // Bounded: without the deadline the old side waits for SEND forever.
            assertEquals("", restWithin5s(stalled), "closed by the old side at the deadline");
        }
        HandoverClient.Outcome.Taken taken = assertInstanceOf(HandoverClient.Outcome.Taken.class,
                HandoverClient.take(path, group, TIMEOUT));
        confirmAndClose(taken, offer);
    }

    @Test
    void aSocketClosedBetweenTheOfferAndTheSendingEndsTheHandoverRatherThanPassAnotherDescriptor() throws Exception {
        Socket tcp = listeningTcp();
        FixedOffer offer = serveOneListener(tcp);
        try (SocketChannel peer = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            write(peer, HELLO);
            assertEquals("SOCKETS 1", readLine(peer));
            readLine(peer);
            tcp.close();
            // Most likely given the closed socket's number: what would have been passed without the check.
            listeningTcp();
            write(peer, "SEND 1\n");
            // Bounded: without the check the old side sends a descriptor and waits for TAKEN.
            assertEquals("", restWithin5s(peer), "closed without a descriptor");
        }
        assertEquals(1, offer.taken.getCount());
    }

    @Test
    void aNewServerReplacesTheFileAndClosingTheOldOneLeavesTheNewOnesFile() throws Exception {
        HandoverServer old = serve(new FixedOffer(List.of()));
        FixedOffer nothing = new FixedOffer(List.of());
        serve(nothing);
        old.close();
        assertTrue(Files.exists(path), "the successor's socket is still there");
        HandoverClient.Outcome.Taken taken = assertInstanceOf(HandoverClient.Outcome.Taken.class,
                HandoverClient.take(path, group, TIMEOUT));
        assertEquals(List.of(), taken.sockets());
        taken.confirm(TIMEOUT);
        assertTrue(nothing.taken.await(5, TimeUnit.SECONDS), "a Junction with no sockets hands over too");
        assertFalse(Files.exists(path), "and stops listening on the handover socket");
    }

    private interface PeerScript {
        void run(SocketChannel peer) throws Exception;
    }

    /** A peer on the handover socket that runs {@code script} on its first connection, then closes. */
    private void fakePeer(PeerScript script) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        Thread t = new Thread(() -> {
            try (server; SocketChannel peer = server.accept()) {
                script.run(peer);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }, "fake-handover-peer");
        t.setDaemon(true);
        t.start();
        closing.add(() -> t.join(5000));
    }

    private static void write(SocketChannel ch, String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** What {@code ch} reads until the peer closes it, failing after 5 s rather than hanging the test. */
    private static String restWithin5s(SocketChannel ch) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return readUntilClosed(ch);
            } catch (IOException e) {
                return e.toString();
            }
        }).get(5, TimeUnit.SECONDS);
    }

    private static String readLine(SocketChannel ch) throws IOException {
        StringBuilder line = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (true) {
            one.clear();
            if (ch.read(one) < 0) {
                return line.toString();
            }
            char c = (char) one.get(0);
            if (c == '\n') {
                return line.toString();
            }
            line.append(c);
        }
    }

    private static String readUntilClosed(SocketChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1024);
        while (ch.read(b) >= 0) {
            if (!b.hasRemaining()) {
                break;
            }
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }
}
