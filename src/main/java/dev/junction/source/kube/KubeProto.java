package dev.junction.source.kube;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.kubernetes.client.openapi.models.DiscoveryV1EndpointPort;
import io.kubernetes.client.openapi.models.V1ClientIPConfig;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointConditions;
import io.kubernetes.client.openapi.models.V1EndpointHints;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1ForNode;
import io.kubernetes.client.openapi.models.V1ForZone;
import io.kubernetes.client.openapi.models.V1LoadBalancerIngress;
import io.kubernetes.client.openapi.models.V1LoadBalancerStatus;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeSpec;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import io.kubernetes.client.openapi.models.V1ServiceStatus;
import io.kubernetes.client.openapi.models.V1SessionAffinityConfig;
import io.kubernetes.client.openapi.models.V1Taint;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * kube-apiserver's protobuf ({@value #MEDIA_TYPE}) decoded straight into client-java's models, for exactly the
 * fields Junction reads; every other field is skipped unread, whatever its number or wire type, so a field a
 * newer API server adds is ignored as an unknown JSON field is. Field numbers are those of kubernetes'
 * generated.proto (k8s.io/api core/v1 and discovery/v1, k8s.io/apimachinery meta/v1 and runtime).
 *
 * <p>A response body and every object inside a watch event is the 4-byte magic {@code k8s\0} followed by a
 * {@code runtime.Unknown} whose {@code raw} holds the object (apimachinery's
 * runtime/serializer/protobuf.Serializer); a watch is a stream of {@code metav1.WatchEvent}s, each in a frame
 * prefixed by its length in 4 bytes, big-endian, without magic of its own (the raw serializer and
 * LengthDelimitedFramer of the same package).
 *
 * <p>Why not client-java-proto's generated classes: they decode every field into protobuf-java's messages, which
 * would then be copied field by field into the models the rest of Junction reads, and they add 13 MB (plus
 * protobuf-java's 1.8 MB) to the image; this decoder allocates only the models. Stateless.
 */
final class KubeProto {

    static final String MEDIA_TYPE = "application/vnd.kubernetes.protobuf";
    private static final byte[] MAGIC = {'k', '8', 's', 0};

    /** Decodes one object, the whole of {@code message}. */
    interface Decoder<T> {
        T decode(ProtoReader message) throws ProtoException;
    }

    /** A list's metadata ({@code metav1.ListMeta}): where a watch starts, and the next page's token. */
    record ListMeta(String resourceVersion, String continueToken) {
    }

    /** One watch event: its type and a reader of its object (the raw message, envelope removed). */
    record WatchEvent(String type, ProtoReader object) {
    }

    private KubeProto() {
    }

    /** True when {@code contentType} (a response's Content-Type, possibly with parameters) is protobuf. */
    static boolean isProtobuf(String contentType) {
        return contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith(MEDIA_TYPE);
    }

    /** The decoder of a resource's model class. */
    @SuppressWarnings("unchecked")
    static <T> Decoder<T> decoder(Class<T> type) {
        if (type == V1Service.class) {
            return r -> (T) service(r);
        }
        if (type == V1EndpointSlice.class) {
            return r -> (T) endpointSlice(r);
        }
        if (type == V1Node.class) {
            return r -> (T) node(r);
        }
        throw new IllegalArgumentException("no protobuf decoder for " + type.getName());
    }

    /**
     * The object inside an encoded body ({@code k8s\0} + runtime.Unknown): a reader of its raw message.
     *
     * @throws ProtoException when the magic is missing or the object is compressed (contentEncoding), which
     *                        kube-apiserver never does
     */
    static ProtoReader unwrap(ProtoReader body) throws ProtoException {
        if (!body.startsWith(MAGIC)) {
            throw new ProtoException("a protobuf body must begin with the magic k8s\\0");
        }
        body.skipPrefix(MAGIC.length);
        ProtoReader raw = null;
        while (body.next()) {
            switch (body.field()) {
                case 2 -> raw = body.bytes("Unknown.raw");
                case 3 -> {
                    String encoding = body.optionalString("Unknown.contentEncoding");
                    if (encoding != null) {
                        throw new ProtoException("content encoding " + encoding + " is not supported");
                    }
                }
                default -> body.skip();
            }
        }
        return raw != null ? raw : new ProtoReader(new byte[0], 0, 0);
    }

    /** A list's metadata; reads {@code list} (an unwrapped {@code *List}) from its start, skipping its items. */
    static ListMeta listMeta(ProtoReader list) throws ProtoException {
        list.rewind();
        String version = null;
        String next = null;
        while (list.next()) {
            if (list.field() == 1) {
                int outer = list.enter("ListMeta");
                while (list.next()) {
                    switch (list.field()) {
                        case 2 -> version = list.optionalString("ListMeta.resourceVersion");
                        case 3 -> next = list.optionalString("ListMeta.continue");
                        default -> list.skip();
                    }
                }
                list.exit(outer);
            } else {
                list.skip();
            }
        }
        return new ListMeta(version, next);
    }

    /** The items of a list, each a reader of one object's message, in order. */
    static List<ProtoReader> items(ProtoReader list) throws ProtoException {
        list.rewind();
        List<ProtoReader> items = new ArrayList<>();
        while (list.next()) {
            if (list.field() == 2) {
                items.add(list.bytes("items"));
            } else {
                list.skip();
            }
        }
        return items;
    }

    /** One {@code metav1.WatchEvent} frame, its object unwrapped. */
    static WatchEvent watchEvent(ProtoReader frame) throws ProtoException {
        String type = null;
        ProtoReader object = null;
        while (frame.next()) {
            switch (frame.field()) {
                case 1 -> type = frame.string("WatchEvent.type");
                case 2 -> {
                    int outer = frame.enter("WatchEvent.object");
                    while (frame.next()) {
                        if (frame.field() == 1) {
                            object = unwrap(frame.bytes("RawExtension.raw"));
                        } else {
                            frame.skip();
                        }
                    }
                    frame.exit(outer);
                }
                default -> frame.skip();
            }
        }
        if (type == null || object == null) {
            throw new ProtoException("watch event without " + (type == null ? "a type" : "an object"));
        }
        return new WatchEvent(type, object);
    }

    /**
     * A {@code metav1.Status} (an unwrapped failed response or ERROR event's object) as the JSON object
     * {@link ApiStatusException} reads: code, reason, message and the causes' reasons and messages.
     */
    static JsonObject status(ProtoReader status) throws ProtoException {
        JsonObject json = new JsonObject();
        while (status.next()) {
            switch (status.field()) {
                case 3 -> json.addProperty("message", status.string("Status.message"));
                case 4 -> json.addProperty("reason", status.string("Status.reason"));
                case 6 -> json.addProperty("code", status.int32("Status.code"));
                case 5 -> {
                    int outer = status.enter("Status.details");
                    JsonArray causes = new JsonArray();
                    while (status.next()) {
                        if (status.field() == 4) {
                            causes.add(cause(status));
                        } else {
                            status.skip();
                        }
                    }
                    status.exit(outer);
                    JsonObject details = new JsonObject();
                    details.add("causes", causes);
                    json.add("details", details);
                }
                default -> status.skip();
            }
        }
        return json;
    }

    private static JsonObject cause(ProtoReader r) throws ProtoException {
        int outer = r.enter("StatusDetails.causes");
        JsonObject cause = new JsonObject();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> cause.addProperty("reason", r.string("StatusCause.reason"));
                case 2 -> cause.addProperty("message", r.string("StatusCause.message"));
                default -> r.skip();
            }
        }
        r.exit(outer);
        return cause;
    }

    /**
     * The namespace, name and resourceVersion of an object that failed to decode, as far as its metadata
     * decodes (nulls beyond): enough to name it in the line that reports it.
     */
    static V1ObjectMeta identity(ProtoReader object) {
        object.rewind();
        V1ObjectMeta found = new V1ObjectMeta();
        try {
            while (object.next()) {
                if (object.field() != 1) {
                    object.skip();
                    continue;
                }
                int outer = object.enter("metadata");
                while (object.next()) {
                    switch (object.field()) {
                        case 1 -> found.setName(object.optionalString("name"));
                        case 3 -> found.setNamespace(object.optionalString("namespace"));
                        case 6 -> found.setResourceVersion(object.optionalString("resourceVersion"));
                        default -> object.skip();
                    }
                }
                object.exit(outer);
            }
        } catch (ProtoException e) {
            // What decoded so far is all there is to name it by.
        }
        return found;
    }

    static V1Service service(ProtoReader r) throws ProtoException {
        V1Service service = new V1Service();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> service.setMetadata(metadata(r));
                case 2 -> service.setSpec(serviceSpec(r));
                case 3 -> service.setStatus(serviceStatus(r));
                default -> r.skip();
            }
        }
        return service;
    }

    static V1EndpointSlice endpointSlice(ProtoReader r) throws ProtoException {
        V1EndpointSlice slice = new V1EndpointSlice();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> slice.setMetadata(metadata(r));
                case 2 -> slice.setEndpoints(add(slice.getEndpoints(), endpoint(r)));
                case 3 -> slice.setPorts(add(slice.getPorts(), endpointPort(r)));
                case 4 -> slice.setAddressType(r.optionalString("EndpointSlice.addressType"));
                default -> r.skip();
            }
        }
        return slice;
    }

    static V1Node node(ProtoReader r) throws ProtoException {
        V1Node node = new V1Node();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> node.setMetadata(metadata(r));
                case 2 -> node.setSpec(nodeSpec(r));
                default -> r.skip();
            }
        }
        return node;
    }

    private static V1ObjectMeta metadata(ProtoReader r) throws ProtoException {
        int outer = r.enter("metadata");
        V1ObjectMeta m = new V1ObjectMeta();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> m.setName(r.optionalString("metadata.name"));
                case 3 -> m.setNamespace(r.optionalString("metadata.namespace"));
                case 6 -> m.setResourceVersion(r.optionalString("metadata.resourceVersion"));
                case 9 -> m.setDeletionTimestamp(time(r));
                case 11 -> m.setLabels(entry(r, m.getLabels(), "metadata.labels"));
                case 12 -> m.setAnnotations(entry(r, m.getAnnotations(), "metadata.annotations"));
                default -> r.skip();
            }
        }
        r.exit(outer);
        return m;
    }

    /** A {@code metav1.Time}: seconds and nanoseconds since the epoch. */
    private static OffsetDateTime time(ProtoReader r) throws ProtoException {
        int outer = r.enter("metadata.deletionTimestamp");
        long seconds = 0;
        int nanos = 0;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> seconds = r.int64("Time.seconds");
                case 2 -> nanos = r.int32("Time.nanos");
                default -> r.skip();
            }
        }
        r.exit(outer);
        return OffsetDateTime.ofInstant(Instant.ofEpochSecond(seconds, nanos), ZoneOffset.UTC);
    }

    /** One entry of a map field (a message of key 1 and value 2, either "" when absent) added to {@code map}. */
    private static Map<String, String> entry(ProtoReader r, Map<String, String> map, String name)
            throws ProtoException {
        int outer = r.enter(name);
        String key = "";
        String value = "";
        while (r.next()) {
            switch (r.field()) {
                case 1 -> key = r.string(name);
                case 2 -> value = r.string(name);
                default -> r.skip();
            }
        }
        r.exit(outer);
        Map<String, String> to = map != null ? map : new HashMap<>();
        to.put(key, value);
        return to;
    }

    private static V1ServiceSpec serviceSpec(ProtoReader r) throws ProtoException {
        int outer = r.enter("spec");
        V1ServiceSpec spec = new V1ServiceSpec();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> spec.setPorts(add(spec.getPorts(), servicePort(r)));
                case 3 -> spec.setClusterIP(r.optionalString("spec.clusterIP"));
                case 4 -> spec.setType(r.optionalString("spec.type"));
                case 5 -> spec.setExternalIPs(add(spec.getExternalIPs(), r.string("spec.externalIPs")));
                case 7 -> spec.setSessionAffinity(r.optionalString("spec.sessionAffinity"));
                case 9 -> spec.setLoadBalancerSourceRanges(
                        add(spec.getLoadBalancerSourceRanges(), r.string("spec.loadBalancerSourceRanges")));
                case 11 -> spec.setExternalTrafficPolicy(r.optionalString("spec.externalTrafficPolicy"));
                case 12 -> spec.setHealthCheckNodePort(unlessZero(r.int32("spec.healthCheckNodePort")));
                case 14 -> spec.setSessionAffinityConfig(sessionAffinityConfig(r));
                case 17 -> spec.setIpFamilyPolicy(r.optionalString("spec.ipFamilyPolicy"));
                case 18 -> spec.setClusterIPs(add(spec.getClusterIPs(), r.string("spec.clusterIPs")));
                case 19 -> spec.setIpFamilies(add(spec.getIpFamilies(), r.string("spec.ipFamilies")));
                case 22 -> spec.setInternalTrafficPolicy(r.optionalString("spec.internalTrafficPolicy"));
                default -> r.skip();
            }
        }
        r.exit(outer);
        return spec;
    }

    private static V1ServicePort servicePort(ProtoReader r) throws ProtoException {
        int outer = r.enter("spec.ports");
        V1ServicePort port = new V1ServicePort();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> port.setName(r.optionalString("spec.ports.name"));
                case 2 -> port.setProtocol(r.optionalString("spec.ports.protocol"));
                case 3 -> port.setPort(r.int32("spec.ports.port"));
                case 5 -> port.setNodePort(unlessZero(r.int32("spec.ports.nodePort")));
                default -> r.skip();
            }
        }
        r.exit(outer);
        return port;
    }

    private static V1SessionAffinityConfig sessionAffinityConfig(ProtoReader r) throws ProtoException {
        int outer = r.enter("spec.sessionAffinityConfig");
        V1SessionAffinityConfig config = new V1SessionAffinityConfig();
        while (r.next()) {
            if (r.field() == 1) {
                int inner = r.enter("spec.sessionAffinityConfig.clientIP");
                V1ClientIPConfig clientIp = new V1ClientIPConfig();
                while (r.next()) {
                    if (r.field() == 1) {
                        clientIp.setTimeoutSeconds(r.int32("spec.sessionAffinityConfig.clientIP.timeoutSeconds"));
                    } else {
                        r.skip();
                    }
                }
                r.exit(inner);
                config.setClientIP(clientIp);
            } else {
                r.skip();
            }
        }
        r.exit(outer);
        return config;
    }

    private static V1ServiceStatus serviceStatus(ProtoReader r) throws ProtoException {
        int outer = r.enter("status");
        V1ServiceStatus status = new V1ServiceStatus();
        while (r.next()) {
            if (r.field() == 1) {
                int balancer = r.enter("status.loadBalancer");
                V1LoadBalancerStatus loadBalancer = new V1LoadBalancerStatus();
                while (r.next()) {
                    if (r.field() == 1) {
                        loadBalancer.setIngress(add(loadBalancer.getIngress(), ingress(r)));
                    } else {
                        r.skip();
                    }
                }
                r.exit(balancer);
                status.setLoadBalancer(loadBalancer);
            } else {
                r.skip();
            }
        }
        r.exit(outer);
        return status;
    }

    private static V1LoadBalancerIngress ingress(ProtoReader r) throws ProtoException {
        int outer = r.enter("status.loadBalancer.ingress");
        V1LoadBalancerIngress ingress = new V1LoadBalancerIngress();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> ingress.setIp(r.optionalString("status.loadBalancer.ingress.ip"));
                case 3 -> ingress.setIpMode(r.optionalString("status.loadBalancer.ingress.ipMode"));
                default -> r.skip();
            }
        }
        r.exit(outer);
        return ingress;
    }

    private static V1Endpoint endpoint(ProtoReader r) throws ProtoException {
        int outer = r.enter("endpoints");
        V1Endpoint endpoint = new V1Endpoint();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> endpoint.setAddresses(add(endpoint.getAddresses(), r.string("endpoints.addresses")));
                case 2 -> endpoint.setConditions(conditions(r));
                case 6 -> endpoint.setNodeName(r.optionalString("endpoints.nodeName"));
                case 8 -> endpoint.setHints(hints(r));
                default -> r.skip();
            }
        }
        r.exit(outer);
        return endpoint;
    }

    private static V1EndpointConditions conditions(ProtoReader r) throws ProtoException {
        int outer = r.enter("endpoints.conditions");
        V1EndpointConditions conditions = new V1EndpointConditions();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> conditions.setReady(r.bool("endpoints.conditions.ready"));
                case 2 -> conditions.setServing(r.bool("endpoints.conditions.serving"));
                case 3 -> conditions.setTerminating(r.bool("endpoints.conditions.terminating"));
                default -> r.skip();
            }
        }
        r.exit(outer);
        return conditions;
    }

    private static V1EndpointHints hints(ProtoReader r) throws ProtoException {
        int outer = r.enter("endpoints.hints");
        V1EndpointHints hints = new V1EndpointHints();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> hints.setForZones(add(hints.getForZones(),
                        new V1ForZone().name(name(r, "endpoints.hints.forZones"))));
                case 2 -> hints.setForNodes(add(hints.getForNodes(),
                        new V1ForNode().name(name(r, "endpoints.hints.forNodes"))));
                default -> r.skip();
            }
        }
        r.exit(outer);
        return hints;
    }

    /** The {@code name} (field 1) of a ForZone or ForNode. */
    private static String name(ProtoReader r, String field) throws ProtoException {
        int outer = r.enter(field);
        String name = null;
        while (r.next()) {
            if (r.field() == 1) {
                name = r.optionalString(field + ".name");
            } else {
                r.skip();
            }
        }
        r.exit(outer);
        return name;
    }

    private static DiscoveryV1EndpointPort endpointPort(ProtoReader r) throws ProtoException {
        int outer = r.enter("ports");
        DiscoveryV1EndpointPort port = new DiscoveryV1EndpointPort();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> port.setName(r.optionalString("ports.name"));
                case 2 -> port.setProtocol(r.optionalString("ports.protocol"));
                case 3 -> port.setPort(r.int32("ports.port"));
                default -> r.skip();
            }
        }
        r.exit(outer);
        return port;
    }

    private static V1NodeSpec nodeSpec(ProtoReader r) throws ProtoException {
        int outer = r.enter("spec");
        V1NodeSpec spec = new V1NodeSpec();
        while (r.next()) {
            switch (r.field()) {
                case 5 -> {
                    int taint = r.enter("spec.taints");
                    V1Taint t = new V1Taint();
                    while (r.next()) {
                        if (r.field() == 1) {
                            t.setKey(r.optionalString("spec.taints.key"));
                        } else {
                            r.skip();
                        }
                    }
                    r.exit(taint);
                    spec.setTaints(add(spec.getTaints(), t));
                }
                case 7 -> spec.setPodCIDRs(add(spec.getPodCIDRs(), r.string("spec.podCIDRs")));
                default -> r.skip();
            }
        }
        r.exit(outer);
        return spec;
    }

    /** {@code list} (a new one when null) with {@code item} added: a repeated field's elements come one by one. */
    private static <E> List<E> add(List<E> list, E item) {
        List<E> to = list != null ? list : new ArrayList<>();
        to.add(item);
        return to;
    }

    /** A non-nullable Go int32 with {@code omitempty}: kube-apiserver's protobuf writes 0 where JSON omits it. */
    private static Integer unlessZero(int value) {
        return value == 0 ? null : value;
    }
}
