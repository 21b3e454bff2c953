package dev.junction.source.kube;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.proto.Meta;
import io.kubernetes.client.proto.Runtime;
import io.kubernetes.client.proto.V1Discovery;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One EndpointSlice watch event (the change path's object, as KubeScaleBench's fake server writes it) decoded three
 * ways: JSON through the source's lenient Gson, protobuf through the source's own decoder ({@link KubeProto}), and
 * protobuf through client-java-proto's generated messages, which would still have to be copied into the models
 * the proxy reads (not counted here: this is that path's lower bound). Run with {@code -prof gc} for bytes per
 * decode. Package {@code source.kube} for the decoder's package-private API.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class WatchDecodeBenchmark {

    @Param({"10", "100"})
    int endpoints;

    private String jsonObject;
    private byte[] jsonLine;
    private byte[] frame;

    @Setup
    public void setUp() {
        LenientJson.install();
        StringBuilder json = new StringBuilder("{\"kind\":\"EndpointSlice\",\"apiVersion\":\"discovery.k8s.io/v1\","
                + "\"metadata\":{\"name\":\"svc-7-1\",\"namespace\":\"bench\",\"resourceVersion\":\"123456\","
                + "\"labels\":{\"kubernetes.io/service-name\":\"svc-7\"},\"annotations\":{"
                + "\"endpoints.kubernetes.io/last-change-trigger-time\":\"2026-12-08T02:00:00.000000000Z\"}},"
                + "\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"http\",\"port\":9000,\"protocol\":\"TCP\"}],"
                + "\"endpoints\":[");
        V1Discovery.EndpointSlice.Builder slice = V1Discovery.EndpointSlice.newBuilder()
                .setMetadata(Meta.ObjectMeta.newBuilder().setName("svc-7-1").setNamespace("bench")
                        .setResourceVersion("123456").putLabels("kubernetes.io/service-name", "svc-7")
                        .putAnnotations("endpoints.kubernetes.io/last-change-trigger-time",
                                "2026-12-08T02:00:00.000000000Z"))
                .setAddressType("IPv4")
                .addPorts(V1Discovery.EndpointPort.newBuilder().setName("http").setPort(9000).setProtocol("TCP"));
        for (int e = 0; e < endpoints; e++) {
            String ip = "10.0." + (e >> 8) + "." + (e & 255);
            json.append(e > 0 ? "," : "").append("{\"addresses\":[\"").append(ip)
                    .append("\"],\"conditions\":{\"ready\":").append(e != 3).append("}}");
            slice.addEndpoints(V1Discovery.Endpoint.newBuilder().addAddresses(ip)
                    .setConditions(V1Discovery.EndpointConditions.newBuilder().setReady(e != 3)));
        }
        jsonObject = "{\"type\":\"MODIFIED\",\"object\":" + json.append("]}") + "}";
        jsonLine = jsonObject.getBytes(StandardCharsets.UTF_8);
        byte[] unknown = Runtime.Unknown.newBuilder()
                .setTypeMeta(Runtime.TypeMeta.newBuilder().setApiVersion("discovery.k8s.io/v1").setKind("EndpointSlice"))
                .setRaw(slice.build().toByteString()).setContentEncoding("").setContentType("").build().toByteArray();
        byte[] object = new byte[4 + unknown.length];
        object[0] = 'k';
        object[1] = '8';
        object[2] = 's';
        System.arraycopy(unknown, 0, object, 4, unknown.length);
        frame = Meta.WatchEvent.newBuilder().setType("MODIFIED")
                .setObject(Runtime.RawExtension.newBuilder().setRaw(ByteString.copyFrom(object))).build().toByteArray();
    }

    /** One watch line as the JSON watch decodes it: straight into the typed object (ResourceWatcher.WatchLine). */
    static final class WatchLine {
        String type;
        V1EndpointSlice object;
    }

    /** What the JSON watch does per event: the line's bytes made a String (readUtf8Line), then decoded. */
    @Benchmark
    public V1EndpointSlice json() {
        String line = new String(jsonLine, StandardCharsets.UTF_8);
        return JSON.getGson().fromJson(line, WatchLine.class).object;
    }

    @Benchmark
    public V1EndpointSlice protobufLean() throws ProtoException {
        byte[] copy = Arrays.copyOf(frame, frame.length);
        KubeProto.WatchEvent event = KubeProto.watchEvent(new ProtoReader(copy, 0, copy.length));
        return KubeProto.endpointSlice(event.object());
    }

    @Benchmark
    public V1Discovery.EndpointSlice protobufGenerated() throws InvalidProtocolBufferException {
        byte[] copy = Arrays.copyOf(frame, frame.length);
        Meta.WatchEvent event = Meta.WatchEvent.parseFrom(copy);
        ByteString raw = event.getObject().getRaw();
        Runtime.Unknown unknown = Runtime.Unknown.parseFrom(raw.substring(4));
        return V1Discovery.EndpointSlice.parseFrom(unknown.getRaw());
    }

    /** Frame sizes, for the report: JSON line and protobuf frame, in bytes. */
    public static void main(String[] args) {
        WatchDecodeBenchmark b = new WatchDecodeBenchmark();
        for (int n : new int[] {10, 100}) {
            b.endpoints = n;
            b.setUp();
            System.out.printf("%d endpoints: JSON line %d B, protobuf frame %d B%n", n,
                    b.jsonObject.getBytes(StandardCharsets.UTF_8).length + 1, b.frame.length + 4);
        }
    }
}
