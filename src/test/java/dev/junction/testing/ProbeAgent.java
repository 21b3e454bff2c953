package dev.junction.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A client that lives in one network namespace (sockets belong to the namespace of the process that
 * opens them) and answers probes from stdin, one per line: {@code HOST PORT LINES}. It connects, reads
 * {@code LINES} lines and prints one result line: {@code OK line|line} (a CR as {@code \\r}), {@code RESET ms} (accepted, then
 * reset), {@code REFUSED ms} (reset answering the SYN), {@code TIMEOUT ms}, {@code CLOSED ms} or
 * {@code ERROR message}. A line {@code UDP HOST PORT MILLIS} sends one datagram from a fresh socket
 * connected to HOST:PORT, so the kernel takes a reply only from that address, and waits up to
 * {@code MILLIS} for it: {@code OK reply} (newlines as {@code |}), {@code REFUSED ms} (ICMP port
 * unreachable), {@code TIMEOUT ms} or {@code ERROR message}. Prints {@code ready} first.
 */
public final class ProbeAgent {

    private static final int CONNECT_TIMEOUT_MILLIS = 3_000;
    private static final int READ_TIMEOUT_MILLIS = 3_000;

    private ProbeAgent() {
    }

    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        System.out.println("ready");
        System.out.flush();
        String line;
        while ((line = in.readLine()) != null) {
            String[] words = line.trim().split("\\s+");
            System.out.println("UDP".equals(words[0])
                    ? udp(words[1], Integer.parseInt(words[2]), Integer.parseInt(words[3]))
                    : probe(words[0], Integer.parseInt(words[1]), Integer.parseInt(words[2])));
            System.out.flush();
        }
    }

    static String probe(String host, int port, int lines) {
        long start = System.nanoTime();
        boolean connected = false;
        try (Socket s = new Socket()) {
            s.setSoTimeout(READ_TIMEOUT_MILLIS);
            s.connect(new InetSocketAddress(InetAddress.getByName(host), port), CONNECT_TIMEOUT_MILLIS);
            connected = true;
            InputStream stream = s.getInputStream();
            List<String> got = new ArrayList<>();
            for (int i = 0; i < lines; i++) {
                String l = readLine(stream);
                if (l == null) {
                    return "CLOSED " + millis(start);
                }
                got.add(l);
            }
            // A carriage return would end the line for the reader on the other side: spell it out.
            return "OK " + String.join("|", got).replace("\r", "\\r");
        } catch (ConnectException e) {
            return "REFUSED " + millis(start);
        } catch (SocketTimeoutException e) {
            return "TIMEOUT " + millis(start);
        } catch (SocketException e) {
            // An accept followed at once by a reset can surface in connect itself.
            boolean reset = connected || String.valueOf(e.getMessage()).contains("reset");
            return (reset ? "RESET " : "ERROR " + e.getMessage() + ' ') + millis(start);
        } catch (IOException e) {
            return "ERROR " + e;
        }
    }

    static String udp(String host, int port, int timeoutMillis) {
        long start = System.nanoTime();
        try (DatagramSocket s = new DatagramSocket()) {
            s.connect(new InetSocketAddress(InetAddress.getByName(host), port));
            s.setSoTimeout(timeoutMillis);
            byte[] probe = "probe".getBytes(StandardCharsets.US_ASCII);
            s.send(new DatagramPacket(probe, probe.length));
            DatagramPacket reply = new DatagramPacket(new byte[65_535], 65_535);
            s.receive(reply);
            return "OK " + new String(reply.getData(), 0, reply.getLength(), StandardCharsets.US_ASCII)
                    .replace("\r", "\\r").replace('\n', '|');
        } catch (PortUnreachableException e) {
            return "REFUSED " + millis(start);
        } catch (SocketTimeoutException e) {
            return "TIMEOUT " + millis(start);
        } catch (IOException e) {
            return "ERROR " + e;
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            sb.append((char) b);
        }
        return b < 0 && sb.length() == 0 ? null : sb.toString();
    }

    private static long millis(long start) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }
}
