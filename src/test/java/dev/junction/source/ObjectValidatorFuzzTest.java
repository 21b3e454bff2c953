package dev.junction.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.models.DiscoveryV1EndpointPort;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointHints;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1ForZone;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Bounded fuzzing of the validator (issue 14: of 572 fuzzed manifests, 179 that kube-apiserver's validation
 * refuses were accepted). Each case takes a valid Service, EndpointSlice or Node and sets one field Junction
 * reads to a random value built either to keep or to break one of the API server's rules (a name's syntax, a
 * label, an enum, a special address); the validator must refuse exactly the broken ones and name the field.
 * Seeded: a failure replays.
 */
class ObjectValidatorFuzzTest {

    private static final long SEED = 14;
    private static final int CASES = 3_000;

    private static final String LOWER = "abcdefghijklmnopqrstuvwxyz";
    private static final String DIGITS = "0123456789";
    private static final String ALNUM = LOWER + LOWER.toUpperCase() + DIGITS;
    /** Characters no name or label rule allows anywhere (the object names the issue saw forge log lines). */
    private static final String NEVER = " \n\r\t\u0000\u001b\u0085\u2028:@%\"'\\\u00e9";

    /** One rule of apimachinery's: which characters, where, how long. */
    private record Rule(String first, String middle, String last, int max, String forbiddenFirst,
            String forbiddenAnywhere) {
    }

    private static final Rule DNS1035 = new Rule(LOWER, LOWER + DIGITS + "-", LOWER + DIGITS, 63, "-0",
            NEVER + "ABZ_./");
    private static final Rule DNS1123_LABEL = new Rule(LOWER + DIGITS, LOWER + DIGITS + "-", LOWER + DIGITS, 63, "-",
            NEVER + "ABZ_./");
    private static final Rule LABEL_VALUE = new Rule(ALNUM, ALNUM + "-_.", ALNUM, 63, "-_.", NEVER + "/");
    /** A label key's name part: as a label value, but a '/' would only move the prefix boundary. */
    private static final Rule KEY_NAME = new Rule(ALNUM, ALNUM + "-_.", ALNUM, 63, "-_.", NEVER);

    /** A field Junction reads, how to set it, and the path its problem starts with. */
    private record Target(String path, Function<Random, Value> values, Function<String, KubernetesObject> object) {
    }

    /** A value and whether the API server refuses it. */
    private record Value(String text, boolean refused) {
    }

    private final Random random = new Random(SEED);

    @Test
    void refusesExactlyWhatTheApiServerRefuses() {
        List<Target> targets = targets();
        ObjectValidator validator = ObjectValidator.apiServer();
        int refused = 0;
        for (int i = 0; i < CASES; i++) {
            Target target = targets.get(random.nextInt(targets.size()));
            Value value = target.values().apply(random);
            List<String> problems = validator.validate(target.object().apply(value.text()));
            String what = "case " + i + ": " + target.path() + " = " + printable(value.text()) + " -> " + problems;
            if (value.refused()) {
                refused++;
                assertTrue(problems.stream().anyMatch(p -> p.startsWith(target.path())), what);
            } else {
                assertEquals(List.of(), problems, what);
            }
        }
        assertTrue(refused > CASES / 2, refused + " of " + CASES + " refused");
    }

    /** As kube-apiserver's ValidateEndpointIP for the API source; manifests may name loopback backends. */
    @Test
    void endpointAddressesAreRefusedAsTheApiServerDoesExceptLoopbackInManifests() {
        ObjectValidator api = ObjectValidator.apiServer();
        ObjectValidator manifests = ObjectValidator.allowingLoopbackEndpoints();
        for (int i = 0; i < CASES; i++) {
            boolean special = random.nextBoolean();
            InetAddress address = special ? specialAddress(random) : ordinaryAddress(random);
            String text = address.getHostAddress();
            V1EndpointSlice slice = slice(text.indexOf(':') >= 0 ? "IPv6" : "IPv4", text);
            String what = "case " + i + ": " + text;
            assertEquals(special, !api.validate(slice).isEmpty(), what + " " + api.validate(slice));
            assertEquals(special && !address.isLoopbackAddress(), !manifests.validate(slice).isEmpty(),
                    what + " " + manifests.validate(slice));
        }
    }

    private static List<Target> targets() {
        List<Target> targets = new ArrayList<>();
        targets.add(new Target("metadata.name", r -> name(r, DNS1035), text -> service(s -> s.getMetadata().name(text))));
        targets.add(new Target("metadata.namespace", r -> name(r, DNS1123_LABEL),
                text -> service(s -> s.getMetadata().namespace(text))));
        targets.add(new Target("metadata.labels", ObjectValidatorFuzzTest::labelKey,
                text -> service(s -> s.getMetadata().labels(Map.of(text, "x")))));
        targets.add(new Target("metadata.labels[", r -> name(r, LABEL_VALUE),
                text -> service(s -> s.getMetadata().labels(Map.of("service.kubernetes.io/service-proxy-name", text)))));
        targets.add(new Target("spec.ports[0].name", r -> name(r, DNS1123_LABEL),
                text -> service(s -> s.getSpec().getPorts().get(0).name(text))));
        // ExternalName is valid too, but not with the cluster IP and ports these Services have.
        targets.add(enumTarget("spec.type", List.of("ClusterIP", "NodePort", "LoadBalancer"), true,
                (s, text) -> s.type(text)));
        targets.add(enumTarget("spec.internalTrafficPolicy", List.of("Cluster", "Local"), false,
                (s, text) -> s.internalTrafficPolicy(text)));
        targets.add(enumTarget("spec.externalTrafficPolicy", List.of("Cluster", "Local"), true,
                (s, text) -> s.type("NodePort").externalTrafficPolicy(text)));
        targets.add(enumTarget("spec.sessionAffinity", List.of("None", "ClientIP"), true,
                (s, text) -> s.sessionAffinity(text)));
        targets.add(enumTarget("spec.ipFamilyPolicy", List.of("SingleStack", "PreferDualStack", "RequireDualStack"),
                false, (s, text) -> s.ipFamilyPolicy(text)));
        targets.add(enumTarget("spec.ipFamilies[0]", List.of("IPv4"), false,
                (s, text) -> s.ipFamilies(List.of(text))));
        targets.add(new Target("spec.externalIPs[0]", ObjectValidatorFuzzTest::address,
                text -> service(s -> s.getSpec().externalIPs(List.of(text)))));
        targets.add(new Target("spec.clusterIP", r -> r.nextBoolean()
                ? new Value(r.nextBoolean() ? "0.0.0.0" : "::", true)
                : new Value(ordinaryAddress(r).getHostAddress(), false),
                text -> service(s -> s.getSpec().clusterIP(text))));
        targets.add(new Target("metadata.name", ObjectValidatorFuzzTest::subdomain,
                text -> slice(s -> s.getMetadata().name(text))));
        targets.add(new Target("metadata.labels[", r -> name(r, LABEL_VALUE),
                text -> slice(s -> s.getMetadata().labels(Map.of("kubernetes.io/service-name", text)))));
        targets.add(new Target("endpoints[0].nodeName", ObjectValidatorFuzzTest::subdomain,
                text -> slice(s -> s.getEndpoints().get(0).nodeName(text))));
        targets.add(new Target("ports[0].name", r -> name(r, DNS1123_LABEL),
                text -> slice(s -> s.getPorts().get(0).name(text))));
        targets.add(new Target("endpoints[0].hints.forZones[0].name", r -> name(r, LABEL_VALUE),
                text -> slice(s -> s.getEndpoints().get(0).hints(new V1EndpointHints()
                        .addForZonesItem(new V1ForZone().name(text))))));
        targets.add(new Target("metadata.name", ObjectValidatorFuzzTest::subdomain, ObjectValidatorFuzzTest::node));
        targets.add(new Target("metadata.labels[", r -> name(r, LABEL_VALUE), text -> new V1Node()
                .metadata(new V1ObjectMeta().name("node-a").labels(Map.of("topology.kubernetes.io/zone", text)))));
        return targets;
    }

    private static Target enumTarget(String path, List<String> allowed, boolean emptyIsDefaulted,
            BiFunction<V1ServiceSpec, String, V1ServiceSpec> set) {
        return new Target(path, r -> {
            String valid = allowed.get(r.nextInt(allowed.size()));
            if (r.nextInt(3) == 0) {
                return new Value(valid, false);
            }
            String broken = switch (r.nextInt(6)) {
                case 0 -> valid.toLowerCase();
                case 1 -> valid.toUpperCase();
                case 2 -> valid + ' ';
                case 3 -> valid + '\n';
                case 4 -> emptyIsDefaulted ? "Bogus" : "";
                default -> "Sideways";
            };
            return new Value(broken, true);
        }, text -> service(s -> set.apply(s.getSpec(), text)));
    }

    /** A value that keeps {@code rule}, or one broken in one of the ways a rule can be. */
    private static Value name(Random r, Rule rule) {
        String valid = valid(r, rule, 1 + r.nextInt(rule.max()));
        if (r.nextInt(3) == 0) {
            return new Value(valid, false);
        }
        int at = r.nextInt(valid.length() + 1);
        String broken = switch (r.nextInt(4)) {
            case 0 -> valid.substring(0, at) + pick(r, rule.forbiddenAnywhere()) + valid.substring(at);
            case 1 -> pick(r, rule.forbiddenFirst()) + valid;
            case 2 -> valid + '-';
            default -> valid(r, rule, rule.max() + 1 + r.nextInt(200));
        };
        return new Value(broken, true);
    }

    private static String valid(Random r, Rule rule, int length) {
        StringBuilder b = new StringBuilder(length).append(pick(r, rule.first()));
        while (b.length() < length - 1) {
            b.append(pick(r, rule.middle()));
        }
        if (length > 1) {
            b.append(pick(r, rule.last()));
        }
        return b.toString();
    }

    /** DNS-1123 labels joined by dots, up to 253 characters; broken by an empty label or a bad label. */
    private static Value subdomain(Random r) {
        int labels = 1 + r.nextInt(4);
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < labels; i++) {
            parts.add(valid(r, DNS1123_LABEL, 1 + r.nextInt(20)));
        }
        if (r.nextInt(3) == 0) {
            return new Value(String.join(".", parts), false);
        }
        int at = r.nextInt(labels);
        switch (r.nextInt(4)) {
            case 0 -> parts.set(at, "");
            case 1 -> parts.set(at, parts.get(at) + pick(r, DNS1123_LABEL.forbiddenAnywhere().replace(".", "")));
            case 2 -> parts.set(at, "-" + parts.get(at));
            default -> parts.add(valid(r, DNS1123_LABEL, 63) + '.' + valid(r, DNS1123_LABEL, 63) + '.'
                    + valid(r, DNS1123_LABEL, 63) + '.' + valid(r, DNS1123_LABEL, 63));
        }
        return new Value(String.join(".", parts), true);
    }

    /** A label key: an optional DNS subdomain prefix and '/', then a name of up to 63 characters. */
    private static Value labelKey(Random r) {
        Value name = name(r, KEY_NAME);
        if (r.nextBoolean()) {
            return name;
        }
        Value prefix = subdomain(r);
        return new Value(prefix.text() + '/' + name.text(), name.refused() || prefix.refused());
    }

    private static Value address(Random r) {
        return r.nextBoolean()
                ? new Value(specialAddress(r).getHostAddress(), true)
                : new Value(ordinaryAddress(r).getHostAddress(), false);
    }

    /** Unspecified, loopback, link-local, or link-local multicast: what ValidateNonSpecialIP refuses. */
    private static InetAddress specialAddress(Random r) {
        byte[] v6 = new byte[16];
        r.nextBytes(v6);
        return switch (r.nextInt(9)) {
            case 0 -> bytes(0, 0, 0, 0);
            case 1 -> bytes(new byte[16]);
            case 2 -> bytes(127, r.nextInt(256), r.nextInt(256), r.nextInt(256));
            case 3 -> {
                byte[] one = new byte[16];
                one[15] = 1;
                yield bytes(one);
            }
            case 4 -> bytes(169, 254, r.nextInt(256), r.nextInt(256));
            case 5 -> {
                v6[0] = (byte) 0xfe;
                v6[1] = (byte) (0x80 | r.nextInt(0x40));
                yield bytes(v6);
            }
            case 6 -> bytes(224, 0, 0, r.nextInt(256));
            default -> {
                v6[0] = (byte) 0xff;
                v6[1] = (byte) (r.nextInt(16) << 4 | 0x02);
                yield bytes(v6);
            }
        };
    }

    /** Addresses of the kinds pods and load balancers have. */
    private static InetAddress ordinaryAddress(Random r) {
        byte[] v6 = new byte[16];
        r.nextBytes(v6);
        return switch (r.nextInt(3)) {
            case 0 -> bytes(10, r.nextInt(256), r.nextInt(256), 1 + r.nextInt(254));
            case 1 -> bytes(203, 0, 113, 1 + r.nextInt(254));
            default -> {
                v6[0] = (byte) 0xfd;
                yield bytes(v6);
            }
        };
    }

    private static InetAddress bytes(int a, int b, int c, int d) {
        return bytes(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
    }

    private static InetAddress bytes(byte[] address) {
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static char pick(Random r, String chars) {
        return chars.charAt(r.nextInt(chars.length()));
    }

    private static V1Service service(Consumer<V1Service> change) {
        V1Service service = new V1Service()
                .metadata(new V1ObjectMeta().name("web").namespace("default"))
                .spec(new V1ServiceSpec().clusterIP("10.96.0.10").ports(new ArrayList<>(List.of(
                        new V1ServicePort().name("http").port(80),
                        new V1ServicePort().name("dns").port(53).protocol("UDP")))));
        change.accept(service);
        return service;
    }

    private static V1EndpointSlice slice(Consumer<V1EndpointSlice> change) {
        V1EndpointSlice slice = slice("IPv4", "10.1.0.1");
        change.accept(slice);
        return slice;
    }

    private static V1EndpointSlice slice(String addressType, String address) {
        return new V1EndpointSlice()
                .metadata(new V1ObjectMeta().name("web-abc").namespace("default"))
                .addressType(addressType)
                .endpoints(List.of(new V1Endpoint().addresses(List.of(address))))
                .ports(new ArrayList<>(List.of(new DiscoveryV1EndpointPort().name("http").port(8080))));
    }

    private static V1Node node(String name) {
        return new V1Node().metadata(new V1ObjectMeta().name(name));
    }

    private static String printable(String text) {
        StringBuilder b = new StringBuilder("\"");
        text.chars().forEach(c -> b.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c)
                : String.format("\\u%04x", c)));
        return b.append('"').toString();
    }
}
