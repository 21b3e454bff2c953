package dev.junction.bench;

import io.kubernetes.client.proto.Meta;
import io.kubernetes.client.proto.Runtime;
import io.kubernetes.client.proto.V1;
import io.kubernetes.client.proto.V1Discovery;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The fake API server of {@link KubeScaleBench}, run in its own JVM as a real API server would be, so its
 * garbage and its threads are not the proxy's: paged lists of generated Services and EndpointSlices, and a
 * slice watch fed by {@link #changeEndpoint}. Other watches stay open and quiet. The pages of the initial
 * lists are rendered before the URL is announced, as a real API server serves lists from its watch cache:
 * building 15 MB of JSON would otherwise be this JVM's CPU inside the proxy's measured sync, on the same cores.
 * It answers in protobuf, as kube-apiserver does, a request whose Accept header asks for it first.
 *
 * <p>Arguments: SERVICES ENDPOINTS [BACKEND_IP BACKEND_PORT [SERVICE_PORT]]; with a backend, every endpoint is that
 * address and port (ENDPOINTS must then be 1), so connections to the Services' VIPs reach something real
 * (bench/startup); SERVICE_PORT (default 8080) keeps its VIPs apart from another run's.
 *
 * <p>Protocol on standard streams: prints {@code url URL} once listening; on the line
 * {@code changes RATE SECONDS} changes one endpoint's readiness RATE times per second for SECONDS, printing
 * {@code sent N} about every second and {@code done N} at the end. Exits when standard input closes.
 */
public final class ScaleApiServer implements AutoCloseable {
    private final int services;
    private final int endpoints;
    /** Every endpoint's address and port, or null for generated 10.x addresses on port 9000. */
    private final String backendIp;
    private final int backendPort;
    private final int servicePort;
    private final ServerSocket server;
    /** Changes to send: Service index, the endpoint not ready, resourceVersion. */
    private final BlockingQueue<long[]> sliceEvents = new LinkedBlockingQueue<>();
    /** Client-go's page size, which Junction's lists use too. */
    private static final int PAGE = 500;

    /** RFC 3339 with nanoseconds, as Kubernetes writes trigger times, in a fixed width. */
    private static final java.time.format.DateTimeFormatter STAMP =
            java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'").withZone(java.time.ZoneOffset.UTC);
    private static final String STAMP_PLACEHOLDER = "0000-00-00T00:00:00.000000000Z";
    private static final byte[] PLACEHOLDER_BYTES = STAMP_PLACEHOLDER.getBytes(StandardCharsets.US_ASCII);

    private volatile long version = 1_000;
    /** Rendered list pages by resource, offset and limit; valid while {@link #version} is {@code renderedAt}. */
    private final java.util.Map<String, byte[]> pages = new java.util.concurrent.ConcurrentHashMap<>();
    private final long renderedAt = version;

    ScaleApiServer(int services, int endpoints) throws IOException {
        this(services, endpoints, null, 9000, 8080);
    }

    private ScaleApiServer(int services, int endpoints, String backendIp, int backendPort, int servicePort)
            throws IOException {
        if (backendIp != null && endpoints != 1) {
            throw new IllegalArgumentException("a backend address needs exactly 1 endpoint per Service");
        }
        this.services = services;
        this.endpoints = endpoints;
        this.backendIp = backendIp;
        this.backendPort = backendPort;
        this.servicePort = servicePort;
        for (int offset = 0; offset < services; offset += PAGE) {
            for (String resource : new String[] {"services", "endpointslices"}) {
                for (boolean protobuf : new boolean[] {false, true}) {
                    pages.put(resource + ' ' + offset + ' ' + PAGE + ' ' + protobuf, page(resource, offset, PAGE, protobuf));
                }
            }
        }
        this.server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "scale-apiserver");
        t.setDaemon(true);
        t.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    public static void main(String[] args) throws Exception {
        int services = Integer.parseInt(args[0]);
        int endpoints = Integer.parseInt(args[1]);
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String backendIp = args.length > 2 ? args[2] : null;
        int backendPort = args.length > 3 ? Integer.parseInt(args[3]) : 9000;
        int servicePort = args.length > 4 ? Integer.parseInt(args[4]) : 8080;
        try (ScaleApiServer api = new ScaleApiServer(services, endpoints, backendIp, backendPort, servicePort)) {
            System.out.println("url " + api.url());
            String command;
            while ((command = commands.readLine()) != null) {
                String[] words = command.trim().split(" ");
                if (words.length == 3 && words[0].equals("changes")) {
                    api.changes(Integer.parseInt(words[1]), Integer.parseInt(words[2]));
                }
            }
        }
    }

    /** Paced by intended send time, so a stall on this side is caught up rather than lost. */
    private void changes(int rate, int seconds) {
        long sent = 0;
        long period = TimeUnit.SECONDS.toNanos(1) / rate;
        long next = System.nanoTime();
        long end = next + TimeUnit.SECONDS.toNanos(seconds);
        long lastReport = next;
        while (System.nanoTime() < end) {
            changeEndpoint((int) (sent % services), (int) (sent / services));
            sent++;
            next += period;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            if (System.nanoTime() - lastReport >= TimeUnit.SECONDS.toNanos(1)) {
                lastReport = System.nanoTime();
                System.out.println("sent " + sent);
            }
        }
        System.out.println("done " + sent);
    }

    /** Service {@code i}'s slice, with endpoint {@code round % endpoints} not ready. */
    void changeEndpoint(int i, int round) {
        version++;
        sliceEvents.add(new long[] {i, round % endpoints, version});
    }

    private static String ip(int prefix, int i) {
        return prefix + "." + ((i >> 16) & 255) + "." + ((i >> 8) & 255) + "." + (i & 255);
    }

    private String service(int i) {
        String vip = ip(127, i + 256);
        return "{\"metadata\":{\"name\":\"svc-" + i + "\",\"namespace\":\"bench\",\"resourceVersion\":\"" + i
                + "\"},\"spec\":{\"clusterIP\":\"" + vip + "\",\"clusterIPs\":[\"" + vip + "\"],\"type\":\"ClusterIP\","
                + "\"ports\":[{\"name\":\"http\",\"port\":" + servicePort + ",\"protocol\":\"TCP\"}]}}";
    }

    /** Service {@code i}'s slice; {@code trigger}, when given, is its last-change-trigger-time. */
    private String slice(int i, int notReady, long rv, String trigger) {
        String annotations = trigger == null ? ""
                : ",\"annotations\":{\"endpoints.kubernetes.io/last-change-trigger-time\":\"" + trigger + "\"}";
        StringBuilder s = new StringBuilder("{\"kind\":\"EndpointSlice\",\"apiVersion\":\"discovery.k8s.io/v1\","
                + "\"metadata\":{\"name\":\"svc-" + i + "-1\",\"namespace\":\"bench\",\"resourceVersion\":\"" + rv
                + "\",\"labels\":{\"kubernetes.io/service-name\":\"svc-" + i + "\"}" + annotations
                + "},\"addressType\":\"IPv4\","
                + "\"ports\":[{\"name\":\"http\",\"port\":" + backendPort + ",\"protocol\":\"TCP\"}],\"endpoints\":[");
        for (int e = 0; e < endpoints; e++) {
            if (e > 0) {
                s.append(',');
            }
            String address = backendIp != null ? backendIp : ip(10, i * endpoints + e);
            s.append("{\"addresses\":[\"").append(address).append("\"],\"conditions\":{\"ready\":")
                    .append(e != notReady).append("}}");
        }
        return s.append("]}").toString();
    }

    /** kube-apiserver's encoding of an object: the magic {@code k8s\0}, then a runtime.Unknown holding it. */
    private static byte[] envelope(String apiVersion, String kind, com.google.protobuf.MessageLite object) {
        byte[] unknown = Runtime.Unknown.newBuilder()
                .setTypeMeta(Runtime.TypeMeta.newBuilder().setApiVersion(apiVersion).setKind(kind))
                .setRaw(object.toByteString()).setContentEncoding("").setContentType("").build().toByteArray();
        byte[] out = new byte[4 + unknown.length];
        out[0] = 'k';
        out[1] = '8';
        out[2] = 's';
        System.arraycopy(unknown, 0, out, 4, unknown.length);
        return out;
    }

    private V1.Service serviceProto(int i) {
        String vip = ip(127, i + 256);
        return V1.Service.newBuilder()
                .setMetadata(Meta.ObjectMeta.newBuilder().setName("svc-" + i).setNamespace("bench")
                        .setResourceVersion(String.valueOf(i)))
                .setSpec(V1.ServiceSpec.newBuilder().setClusterIP(vip).addClusterIPs(vip).setType("ClusterIP")
                        .addPorts(V1.ServicePort.newBuilder().setName("http").setPort(8080).setProtocol("TCP")))
                .build();
    }

    /** {@link #slice} in protobuf. */
    private V1Discovery.EndpointSlice sliceProto(int i, int notReady, long rv, String trigger) {
        Meta.ObjectMeta.Builder metadata = Meta.ObjectMeta.newBuilder().setName("svc-" + i + "-1").setNamespace("bench")
                .setResourceVersion(String.valueOf(rv)).putLabels("kubernetes.io/service-name", "svc-" + i);
        if (trigger != null) {
            metadata.putAnnotations("endpoints.kubernetes.io/last-change-trigger-time", trigger);
        }
        V1Discovery.EndpointSlice.Builder slice = V1Discovery.EndpointSlice.newBuilder().setMetadata(metadata)
                .setAddressType("IPv4")
                .addPorts(V1Discovery.EndpointPort.newBuilder().setName("http").setPort(9000).setProtocol("TCP"));
        for (int e = 0; e < endpoints; e++) {
            slice.addEndpoints(V1Discovery.Endpoint.newBuilder().addAddresses(ip(10, i * endpoints + e))
                    .setConditions(V1Discovery.EndpointConditions.newBuilder().setReady(e != notReady)));
        }
        return slice.build();
    }

    /** One protobuf watch event as kube-apiserver frames it: 4-byte big-endian length, then the WatchEvent. */
    private byte[] sliceFrame(long[] change) {
        byte[] event = Meta.WatchEvent.newBuilder().setType("MODIFIED")
                .setObject(Runtime.RawExtension.newBuilder().setRaw(com.google.protobuf.ByteString.copyFrom(
                        envelope("discovery.k8s.io/v1", "EndpointSlice",
                                sliceProto((int) change[0], (int) change[1], change[2], STAMP_PLACEHOLDER)))))
                .build().toByteArray();
        return java.nio.ByteBuffer.allocate(4 + event.length).putInt(event.length).put(event).array();
    }

    private static int indexOf(byte[] data, byte[] part) {
        outer:
        for (int i = 0; i <= data.length - part.length; i++) {
            for (int j = 0; j < part.length; j++) {
                if (data[i + j] != part[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread t = new Thread(() -> serve(s), "scale-apiserver-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String request = readHead(in);
            boolean protobuf = request.toLowerCase(java.util.Locale.ROOT)
                    .contains("\naccept: application/vnd.kubernetes.protobuf");
            String target = request.split(" ")[1];
            String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
            String query = target.contains("?") ? URLDecoder.decode(target.substring(target.indexOf('?') + 1),
                    StandardCharsets.UTF_8) : "";
            OutputStream out = socket.getOutputStream();
            if (query.contains("watch=true")) {
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: "
                        + (protobuf ? "application/vnd.kubernetes.protobuf;stream=watch" : "application/json")
                        + "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                while (true) {
                    long[] change = path.endsWith("endpointslices") ? sliceEvents.poll(1, TimeUnit.SECONDS) : null;
                    if (change == null) {
                        if (!path.endsWith("endpointslices")) {
                            Thread.sleep(1_000);
                        }
                        continue;
                    }
                    byte[] data = protobuf ? sliceFrame(change) : ("{\"type\":\"MODIFIED\",\"object\":"
                            + slice((int) change[0], (int) change[1], change[2], STAMP_PLACEHOLDER) + "}\n")
                            .getBytes(StandardCharsets.US_ASCII);
                    // Stamped last, just before the write, as the EndpointSlice controller stamps its change: the
                    // proxy's network programming latency then covers the socket, decoding and applying, and
                    // nothing of this server's own rendering. (Same length in both encodings: it replaces the
                    // placeholder's bytes in place.)
                    byte[] stamp = STAMP.format(Instant.now()).getBytes(StandardCharsets.US_ASCII);
                    System.arraycopy(stamp, 0, data, indexOf(data, PLACEHOLDER_BYTES), stamp.length);
                    // One chunk in one write: with Nagle's algorithm three small writes could wait for an ACK.
                    byte[] head = (Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                    byte[] chunk = new byte[head.length + data.length + 2];
                    System.arraycopy(head, 0, chunk, 0, head.length);
                    System.arraycopy(data, 0, chunk, head.length, data.length);
                    chunk[chunk.length - 2] = '\r';
                    chunk[chunk.length - 1] = '\n';
                    out.write(chunk);
                    out.flush();
                }
            }
            int offset = 0;
            int limit = Integer.MAX_VALUE;
            for (String param : query.split("&")) {
                if (param.startsWith("continue=")) {
                    offset = Integer.parseInt(param.substring("continue=".length()));
                } else if (param.startsWith("limit=")) {
                    limit = Integer.parseInt(param.substring("limit=".length()));
                }
            }
            String resource = path.substring(path.lastIndexOf('/') + 1);
            byte[] data = version == renderedAt ? pages.get(resource + ' ' + offset + ' ' + limit + ' ' + protobuf) : null;
            if (data == null) {
                data = page(resource, offset, limit, protobuf);
            }
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: "
                    + (protobuf ? "application/vnd.kubernetes.protobuf" : "application/json")
                    + "\r\nContent-Length: " + data.length
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(data);
            out.flush();
        } catch (IOException | InterruptedException e) {
            // Client gone or server closing.
        }
    }

    private byte[] page(String resource, int offset, int limit, boolean protobuf) {
        int total = resource.equals("nodes") ? 0 : services;
        int to = (int) Math.min(total, (long) offset + limit);
        if (protobuf) {
            Meta.ListMeta.Builder metadata = Meta.ListMeta.newBuilder().setResourceVersion(String.valueOf(version));
            if (to < total) {
                metadata.setContinue(String.valueOf(to));
            }
            if (resource.equals("services")) {
                V1.ServiceList.Builder list = V1.ServiceList.newBuilder().setMetadata(metadata);
                for (int i = offset; i < to; i++) {
                    list.addItems(serviceProto(i));
                }
                return envelope("v1", "ServiceList", list.build());
            }
            if (resource.equals("endpointslices")) {
                V1Discovery.EndpointSliceList.Builder list = V1Discovery.EndpointSliceList.newBuilder()
                        .setMetadata(metadata);
                for (int i = offset; i < to; i++) {
                    list.addItems(sliceProto(i, -1, i, null));
                }
                return envelope("discovery.k8s.io/v1", "EndpointSliceList", list.build());
            }
            return envelope("v1", "NodeList", V1.NodeList.newBuilder().setMetadata(metadata).build());
        }
        StringBuilder body = new StringBuilder("{\"metadata\":{\"resourceVersion\":\"" + version + "\"");
        if (to < total) {
            body.append(",\"continue\":\"").append(to).append('"');
        }
        body.append("},\"items\":[");
        for (int i = offset; i < to; i++) {
            if (i > offset) {
                body.append(',');
            }
            body.append(resource.equals("services") ? service(i) : slice(i, -1, i, null));
        }
        return body.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            head.append((char) b);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        return head.toString();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
