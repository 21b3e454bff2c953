package dev.junction.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kubernetes.client.openapi.models.DiscoveryV1EndpointPort;
import io.kubernetes.client.openapi.models.V1ClientIPConfig;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Endpoint;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ObjectValidatorTest {

    static final String DNS1035 = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
            + "with an alphabetic character, and end with an alphanumeric character";
    static final String DNS1123_LABEL = "a DNS-1123 label must consist of lower case alphanumeric characters or '-', "
            + "and must start and end with an alphanumeric character";
    static final String DNS1123_SUBDOMAIN = "a DNS-1123 subdomain must consist of lower case alphanumeric characters, "
            + "'-' or '.', and must start and end with an alphanumeric character";
    static final String LABEL_VALUE = "a label value must be empty or consist of alphanumeric characters, '-', '_' or "
            + "'.', and must start and end with an alphanumeric character";
    static final String QUALIFIED_NAME = "name part must consist of alphanumeric characters, '-', '_' or '.', and must "
            + "start and end with an alphanumeric character";
    static final String UNSPECIFIED = "may not be unspecified (0.0.0.0, ::)";
    static final String LOOPBACK = "may not be in the loopback range (127.0.0.0/8, ::1/128)";
    static final String LINK_LOCAL = "may not be in the link-local range (169.254.0.0/16, fe80::/10)";
    static final String LINK_LOCAL_MULTICAST = "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)";

    private final ObjectValidator validator = ObjectValidator.apiServer();

    static Stream<Arguments> services() {
        return Stream.of(
                service("valid", s -> { }),
                service("dual-stack cluster IPs", s -> s.getSpec().clusterIPs(List.of("10.96.0.10", "fd00::10"))),
                service("empty clusterIP", s -> s.getSpec().clusterIP("")),
                service("name missing", s -> s.getMetadata().name(null), "metadata.name: missing"),
                service("name empty", s -> s.getMetadata().name(""), "metadata.name: missing"),
                service("metadata missing", s -> s.metadata(null), "metadata.name: missing"),
                service("spec missing", s -> s.spec(null), "spec: missing"),
                service("clusterIP invalid", s -> s.getSpec().clusterIP("10.0.0.300"),
                        "spec.clusterIP: invalid IP address \"10.0.0.300\""),
                service("clusterIPs invalid", s -> s.getSpec().clusterIPs(List.of("10.96.0.10", "fd00::zz")),
                        "spec.clusterIPs[1]: invalid IP address \"fd00::zz\""),
                service("clusterIPs without clusterIP",
                        s -> s.getSpec().clusterIP(null).clusterIPs(List.of("10.96.0.10", "fd00::10"))),
                service("clusterIPs first differs from clusterIP", s -> s.getSpec().clusterIPs(List.of("10.96.0.11")),
                        "spec.clusterIPs[0]: \"10.96.0.11\" must equal spec.clusterIP \"10.96.0.10\""),
                service("clusterIPs second None", s -> s.getSpec().clusterIPs(List.of("10.96.0.10", "None")),
                        "spec.clusterIPs[1]: invalid IP address \"None\""),
                service("clusterIPs second empty", s -> s.getSpec().clusterIPs(List.of("10.96.0.10", "")),
                        "spec.clusterIPs[1]: invalid IP address \"\""),
                service("headless clusterIPs", s -> s.getSpec().clusterIP("None").clusterIPs(List.of("None"))),
                service("ports empty", s -> s.getSpec().ports(List.of()),
                        "spec.ports: must not be empty (only headless and ExternalName Services may omit ports)"),
                service("headless without ports", s -> s.getSpec().clusterIP("None").ports(List.of())),
                service("headless by clusterIPs without ports",
                        s -> s.getSpec().clusterIP(null).clusterIPs(List.of("None")).ports(null)),
                service("ExternalName without ports",
                        s -> s.getSpec().type("ExternalName").externalName("example.com").clusterIP(null).ports(null)),
                service("port missing", s -> s.getSpec().getPorts().get(0).port(null), "spec.ports[0].port: missing"),
                service("port zero", s -> s.getSpec().getPorts().get(1).port(0),
                        "spec.ports[1].port: 0 is out of range 1-65535"),
                service("port too large", s -> s.getSpec().getPorts().get(1).port(70000),
                        "spec.ports[1].port: 70000 is out of range 1-65535"),
                service("nodePort zero", s -> s.getSpec().getPorts().get(0).nodePort(0)),
                service("nodePort too large", s -> s.getSpec().getPorts().get(0).nodePort(65536),
                        "spec.ports[0].nodePort: 65536 is out of range 0-65535"),
                service("nodePort negative", s -> s.getSpec().getPorts().get(0).nodePort(-1),
                        "spec.ports[0].nodePort: -1 is out of range 0-65535"),
                service("protocol SCTP", s -> s.getSpec().getPorts().get(0).protocol("SCTP")),
                service("one port number for TCP and UDP", s -> s.getSpec().getPorts().get(1).port(80)),
                service("port and protocol twice", s -> s.getSpec().getPorts().get(1).port(80).protocol(null),
                        "spec.ports[1].port: 80/TCP is already used by spec.ports[0]"),
                service("nodePort and protocol twice", s -> {
                    s.getSpec().type("NodePort").getPorts().get(0).nodePort(30080);
                    s.getSpec().getPorts().get(1).nodePort(30080).protocol("TCP");
                }, "spec.ports[1].nodePort: 30080/TCP is already used by spec.ports[0]"),
                service("nodePort zero twice", s -> {
                    s.getSpec().getPorts().get(0).nodePort(0);
                    s.getSpec().getPorts().get(1).nodePort(0).protocol("TCP");
                }),
                service("healthCheckNodePort valid", s -> s.getSpec().healthCheckNodePort(30999)),
                service("healthCheckNodePort zero", s -> s.getSpec().healthCheckNodePort(0)),
                service("healthCheckNodePort too large", s -> s.getSpec().healthCheckNodePort(65536),
                        "spec.healthCheckNodePort: 65536 is out of range 0-65535"),
                service("healthCheckNodePort negative", s -> s.getSpec().healthCheckNodePort(-1),
                        "spec.healthCheckNodePort: -1 is out of range 0-65535"),
                service("protocol lower case", s -> s.getSpec().getPorts().get(0).protocol("tcp"),
                        "spec.ports[0].protocol: unsupported protocol \"tcp\" (TCP, UDP or SCTP)"),
                service("port entry null", s -> s.getSpec().getPorts().set(0, null), "spec.ports[0]: missing"),
                service("externalIPs valid", s -> s.getSpec().externalIPs(List.of("192.0.2.1", "2001:db8::1"))),
                service("loadBalancerSourceRanges valid",
                        s -> s.getSpec().loadBalancerSourceRanges(List.of("192.0.2.0/24", "2001:db8::/32"))),
                service("loadBalancerSourceRanges invalid",
                        s -> s.getSpec().loadBalancerSourceRanges(List.of("192.0.2.0/24", "192.0.2.0/40")),
                        "spec.loadBalancerSourceRanges[1]: invalid CIDR \"192.0.2.0/40\": prefix length must be 0-32"),
                service("externalIPs invalid", s -> s.getSpec().externalIPs(List.of("192.0.2.1", "example.com")),
                        "spec.externalIPs[1]: invalid IP address \"example.com\""),
                service("ingress hostname only", s -> s.status(ingress(new V1LoadBalancerIngress().hostname("lb")))),
                service("ingress ip valid", s -> s.status(ingress(new V1LoadBalancerIngress().ip("203.0.113.7")))),
                service("ingress ip invalid", s -> s.status(ingress(new V1LoadBalancerIngress().ip("203.0.113"))),
                        "status.loadBalancer.ingress[0].ip: invalid IP address \"203.0.113\""),
                service("ingress ip empty is unset",
                        s -> s.status(ingress(new V1LoadBalancerIngress().ip("").hostname("lb")))),
                service("ingress null", s -> s.status(ingress(null)), "status.loadBalancer.ingress[0]: missing"),
                service("ingress ipMode VIP", s -> s.status(ingress(new V1LoadBalancerIngress().ip("203.0.113.7")
                        .ipMode("VIP")))),
                service("ingress ipMode Proxy", s -> s.status(ingress(new V1LoadBalancerIngress().ip("203.0.113.7")
                        .ipMode("Proxy")))),
                service("ingress ipMode unknown", s -> s.status(ingress(new V1LoadBalancerIngress().ip("203.0.113.7")
                        .ipMode("Tunnel"))),
                        "status.loadBalancer.ingress[0].ipMode: unsupported value \"Tunnel\" (VIP or Proxy)"),
                service("ingress ipMode without ip",
                        s -> s.status(ingress(new V1LoadBalancerIngress().hostname("lb").ipMode("VIP"))),
                        "status.loadBalancer.ingress[0].ipMode: may be set only with an ip"),
                service("affinity ClientIP", s -> s.getSpec().sessionAffinity("ClientIP")),
                service("affinity None", s -> s.getSpec().sessionAffinity("None")),
                service("affinity unknown", s -> s.getSpec().sessionAffinity("Cookie"),
                        "spec.sessionAffinity: unsupported value \"Cookie\" (None or ClientIP)"),
                service("affinity timeout max", s -> s.getSpec().sessionAffinityConfig(timeout(86400))),
                service("affinity timeout zero", s -> s.getSpec().sessionAffinityConfig(timeout(0)),
                        "spec.sessionAffinityConfig.clientIP.timeoutSeconds: 0 is out of range 1-86400"),
                service("affinity timeout too long", s -> s.getSpec().sessionAffinityConfig(timeout(86401)),
                        "spec.sessionAffinityConfig.clientIP.timeoutSeconds: 86401 is out of range 1-86400"),
                service("affinity config without clientIP", s -> s.getSpec().sessionAffinityConfig(
                        new V1SessionAffinityConfig())),
                // kube-apiserver's ValidateService on the fields Junction reads (issue 14: "type: Bogus",
                // "internalTrafficPolicy: Sideways" and externalIP 0.0.0.0 were accepted).
                service("type Bogus", s -> s.getSpec().type("Bogus"),
                        "spec.type: unsupported value \"Bogus\" (ClusterIP, NodePort, LoadBalancer or ExternalName)"),
                service("type empty is defaulted", s -> s.getSpec().type("")),
                service("internalTrafficPolicy Sideways", s -> s.getSpec().internalTrafficPolicy("Sideways"),
                        "spec.internalTrafficPolicy: unsupported value \"Sideways\" (Cluster or Local)"),
                service("internalTrafficPolicy empty", s -> s.getSpec().internalTrafficPolicy(""),
                        "spec.internalTrafficPolicy: unsupported value \"\" (Cluster or Local)"),
                service("externalTrafficPolicy lower case", s -> s.getSpec().type("NodePort").externalTrafficPolicy("local"),
                        "spec.externalTrafficPolicy: unsupported value \"local\" (Cluster or Local)"),
                service("externalTrafficPolicy Local", s -> s.getSpec().type("NodePort").externalTrafficPolicy("Local")),
                service("ipFamilyPolicy unknown", s -> s.getSpec().ipFamilyPolicy("DualStack"),
                        "spec.ipFamilyPolicy: unsupported value \"DualStack\" (SingleStack, PreferDualStack or "
                                + "RequireDualStack)"),
                service("ipFamilies dual-stack", s -> s.getSpec().ipFamilyPolicy("RequireDualStack")
                        .ipFamilies(List.of("IPv4", "IPv6")).clusterIPs(List.of("10.96.0.10", "fd00::10"))),
                service("ipFamilies unknown", s -> s.getSpec().ipFamilies(List.of("IPv4", "IPv5")),
                        "spec.ipFamilies[1]: unsupported value \"IPv5\" (IPv4 or IPv6)"),
                service("ipFamilies twice", s -> s.getSpec().ipFamilies(List.of("IPv4", "IPv4")),
                        "spec.ipFamilies[1]: \"IPv4\" is already spec.ipFamilies[0]"),
                service("externalIP unspecified", s -> s.getSpec().externalIPs(List.of("192.0.2.1", "0.0.0.0")),
                        "spec.externalIPs[1]: \"0.0.0.0\" " + UNSPECIFIED),
                service("externalIP IPv6 unspecified", s -> s.getSpec().externalIPs(List.of("::")),
                        "spec.externalIPs[0]: \"::\" " + UNSPECIFIED),
                service("externalIP loopback", s -> s.getSpec().externalIPs(List.of("127.0.0.2", "::1")),
                        "spec.externalIPs[0]: \"127.0.0.2\" " + LOOPBACK, "spec.externalIPs[1]: \"::1\" " + LOOPBACK),
                service("externalIP link-local", s -> s.getSpec().externalIPs(List.of("169.254.169.254", "fe80::1")),
                        "spec.externalIPs[0]: \"169.254.169.254\" " + LINK_LOCAL,
                        "spec.externalIPs[1]: \"fe80::1\" " + LINK_LOCAL),
                service("externalIP link-local multicast", s -> s.getSpec().externalIPs(List.of("224.0.0.251", "ff02::fb")),
                        "spec.externalIPs[0]: \"224.0.0.251\" " + LINK_LOCAL_MULTICAST,
                        "spec.externalIPs[1]: \"ff02::fb\" " + LINK_LOCAL_MULTICAST),
                service("externalIP other multicast, as the API server", s -> s.getSpec().externalIPs(List.of("239.1.2.3"))),
                service("clusterIP unspecified", s -> s.getSpec().clusterIP("0.0.0.0"),
                        "spec.clusterIP: \"0.0.0.0\" " + UNSPECIFIED),
                service("secondary clusterIP unspecified", s -> s.getSpec().clusterIPs(List.of("10.96.0.10", "::")),
                        "spec.clusterIPs[1]: \"::\" " + UNSPECIFIED),
                service("clusterIPs of one family", s -> s.getSpec().clusterIPs(List.of("10.96.0.10", "10.96.0.11")),
                        "spec.clusterIPs: [10.96.0.10, 10.96.0.11] may hold no more than one IP for each IP family"),
                service("three clusterIPs", s -> s.getSpec().clusterIPs(List.of("10.96.0.10", "fd00::10", "fd00::11")),
                        "spec.clusterIPs: [10.96.0.10, fd00::10, fd00::11] may hold no more than one IP for each IP family"),
                service("clusterIPs None and an IP", s -> s.getSpec().clusterIP("None")
                        .clusterIPs(List.of("None", "10.96.0.10")),
                        "spec.clusterIPs: [None, 10.96.0.10] may hold \"None\" or \"\" only as its single value"),
                service("clusterIP loopback, as standalone use has", s -> s.getSpec().clusterIP("127.0.0.10")),
                service("ingress ip unspecified", s -> s.status(ingress(new V1LoadBalancerIngress().ip("0.0.0.0"))),
                        "status.loadBalancer.ingress[0].ip: \"0.0.0.0\" " + UNSPECIFIED),
                service("name upper case", s -> s.getMetadata().name("Web"),
                        "metadata.name: \"Web\" is invalid: " + DNS1035),
                service("name starts with a digit", s -> s.getMetadata().name("1web"),
                        "metadata.name: \"1web\" is invalid: " + DNS1035),
                service("name with a line break", s -> s.getMetadata().name("web\nERROR forged"),
                        "metadata.name: \"web\nERROR forged\" is invalid: " + DNS1035),
                service("name of 63 characters", s -> s.getMetadata().name("w".repeat(63))),
                service("name of 64 characters", s -> s.getMetadata().name("w".repeat(64)),
                        "metadata.name: \"" + "w".repeat(64) + "\" is invalid: must be no more than 63 characters"),
                service("long name shown cut", s -> s.getMetadata().name("w".repeat(300)),
                        "metadata.name: \"" + "w".repeat(100) + "\"... (300 characters) is invalid: must be no more "
                                + "than 63 characters"),
                service("namespace with underscore", s -> s.getMetadata().namespace("my_ns"),
                        "metadata.namespace: \"my_ns\" is invalid: " + DNS1123_LABEL),
                service("labels valid", s -> s.getMetadata().labels(Map.of("service.kubernetes.io/service-proxy-name",
                        "Other_1.x", "app", ""))),
                service("label key with two slashes", s -> s.getMetadata().labels(Map.of("a/b/c", "x")),
                        "metadata.labels: key \"a/b/c\" is invalid: a qualified name is a name with an optional DNS "
                                + "subdomain prefix and '/'"),
                service("label key prefix upper case", s -> s.getMetadata().labels(Map.of("Example.com/x", "y")),
                        "metadata.labels: key \"Example.com/x\" is invalid: prefix part: " + DNS1123_SUBDOMAIN),
                service("label key name with space", s -> s.getMetadata().labels(Map.of("my key", "y")),
                        "metadata.labels: key \"my key\" is invalid: " + QUALIFIED_NAME),
                service("label value with space", s -> s.getMetadata().labels(Map.of("app", "my app")),
                        "metadata.labels[\"app\"]: \"my app\" is invalid: " + LABEL_VALUE),
                service("port name upper case", s -> s.getSpec().getPorts().get(0).name("HTTP"),
                        "spec.ports[0].name: \"HTTP\" is invalid: " + DNS1123_LABEL),
                service("port name missing beside another port", s -> s.getSpec().getPorts().get(1).name(null),
                        "spec.ports[1].name: missing (every port of a Service with more than one port needs a name)"),
                service("single port without a name", s -> {
                    s.getSpec().getPorts().remove(1);
                    s.getSpec().getPorts().get(0).name(null);
                }),
                service("port name twice", s -> s.getSpec().getPorts().get(1).name("http"),
                        "spec.ports[1].name: \"http\" is already used by spec.ports[0]"),
                service("headless NodePort", s -> s.getSpec().type("NodePort").clusterIP("None"),
                        "spec.clusterIP: may not be \"None\" for NodePort Services"),
                service("nodePort on a ClusterIP Service", s -> s.getSpec().getPorts().get(0).nodePort(30080),
                        "spec.ports[0].nodePort: 30080 may not be used when type is ClusterIP"),
                service("every problem listed", s -> {
                    s.getSpec().clusterIP("x");
                    s.getSpec().getPorts().get(0).port(70000);
                }, "spec.clusterIP: invalid IP address \"x\"", "spec.ports[0].port: 70000 is out of range 1-65535"));
    }

    static Stream<Arguments> slices() {
        return Stream.of(
                slice("valid IPv4", s -> { }),
                slice("valid IPv6", s -> s.addressType("IPv6").endpoints(List.of(endpoint("fd00::1", "fd00::2")))),
                slice("FQDN addresses are not IPs",
                        s -> s.addressType("FQDN").endpoints(List.of(endpoint("db.example")))),
                slice("no endpoints", s -> s.endpoints(null)),
                slice("name missing", s -> s.getMetadata().name(null), "metadata.name: missing"),
                slice("addressType missing", s -> s.addressType(null), "addressType: missing"),
                slice("addressType unknown", s -> s.addressType("IPv5"),
                        "addressType: unsupported value \"IPv5\" (IPv4, IPv6 or FQDN)"),
                slice("invalid IP", s -> s.endpoints(List.of(endpoint("x"))),
                        "endpoints[0].addresses[0]: invalid IP address \"x\""),
                slice("IPv6 in IPv4 slice",
                        s -> s.endpoints(List.of(endpoint("10.1.0.1"), endpoint("10.1.0.2", "fd00::1"))),
                        "endpoints[1].addresses[1]: \"fd00::1\" is not an IPv4 address"),
                slice("IPv4 in IPv6 slice", s -> s.addressType("IPv6").endpoints(List.of(endpoint("10.1.0.1"))),
                        "endpoints[0].addresses[0]: \"10.1.0.1\" is not an IPv6 address"),
                slice("IPv4-mapped IPv6 in IPv6 slice", s -> s.addressType("IPv6")
                        .endpoints(List.of(endpoint("::ffff:10.1.0.1"))),
                        "endpoints[0].addresses[0]: \"::ffff:10.1.0.1\" is not an IPv6 address"),
                slice("IPv4-mapped IPv6 in IPv4 slice", s -> s.endpoints(List.of(endpoint("::ffff:10.1.0.1"))),
                        "endpoints[0].addresses[0]: \"::ffff:10.1.0.1\" is not an IPv4 address"),
                slice("hints named", s -> s.endpoints(List.of(endpoint("10.1.0.1").hints(new V1EndpointHints()
                        .addForNodesItem(new V1ForNode().name("node-a")).addForZonesItem(new V1ForZone().name("zone-a")))))),
                slice("zone hint without name", s -> s.endpoints(List.of(endpoint("10.1.0.1").hints(new V1EndpointHints()
                        .addForZonesItem(new V1ForZone().name("zone-a")).addForZonesItem(new V1ForZone())))),
                        "endpoints[0].hints.forZones[1].name: missing"),
                slice("node hint null", s -> s.endpoints(List.of(endpoint("10.1.0.1").hints(new V1EndpointHints()
                        .forNodes(nullList())))),
                        "endpoints[0].hints.forNodes[0]: missing"),
                slice("endpoint without addresses", s -> s.endpoints(List.of(new V1Endpoint())),
                        "endpoints[0].addresses: must not be empty"),
                slice("endpoint null", s -> s.endpoints(nullList()), "endpoints[0]: missing"),
                slice("port null is allowed", s -> s.getPorts().get(0).port(null)),
                slice("port zero", s -> s.getPorts().get(0).port(0), "ports[0].port: 0 is out of range 1-65535"),
                slice("port too large", s -> s.getPorts().get(0).port(65536),
                        "ports[0].port: 65536 is out of range 1-65535"),
                slice("protocol UDP", s -> s.getPorts().get(0).protocol("UDP")),
                slice("protocol unknown", s -> s.getPorts().get(0).protocol("QUIC"),
                        "ports[0].protocol: unsupported protocol \"QUIC\" (TCP, UDP or SCTP)"),
                // kube-apiserver's ValidateEndpointSlice (issue 14: an endpoint 127.0.0.1:10249 from the API made
                // Junction's /debug/routes reachable from a remote client).
                slice("loopback endpoint", s -> s.endpoints(List.of(endpoint("10.1.0.1"), endpoint("127.0.0.1"))),
                        "endpoints[1].addresses[0]: \"127.0.0.1\" " + LOOPBACK),
                slice("IPv6 loopback endpoint", s -> s.addressType("IPv6").endpoints(List.of(endpoint("::1"))),
                        "endpoints[0].addresses[0]: \"::1\" " + LOOPBACK),
                slice("unspecified endpoint", s -> s.endpoints(List.of(endpoint("0.0.0.0"))),
                        "endpoints[0].addresses[0]: \"0.0.0.0\" " + UNSPECIFIED),
                slice("link-local endpoint", s -> s.endpoints(List.of(endpoint("169.254.169.254"))),
                        "endpoints[0].addresses[0]: \"169.254.169.254\" " + LINK_LOCAL),
                slice("link-local multicast endpoint", s -> s.addressType("IPv6").endpoints(List.of(endpoint("ff02::1"))),
                        "endpoints[0].addresses[0]: \"ff02::1\" " + LINK_LOCAL_MULTICAST),
                // The IPv4 ranges' edges, which the validator reads from the parsed bytes (ValidateNonSpecialIP).
                slice("IPv4 link-local multicast endpoint", s -> s.endpoints(List.of(endpoint("224.0.0.251"))),
                        "endpoints[0].addresses[0]: \"224.0.0.251\" " + LINK_LOCAL_MULTICAST),
                slice("IPv4 loopback range endpoint", s -> s.endpoints(List.of(endpoint("127.255.255.254"))),
                        "endpoints[0].addresses[0]: \"127.255.255.254\" " + LOOPBACK),
                slice("IPv4 endpoints beside the special ranges", s -> s.endpoints(List.of(endpoint("224.0.1.1"),
                        endpoint("169.253.255.255"), endpoint("169.255.0.1"), endpoint("126.255.255.255"),
                        endpoint("0.0.0.1"), endpoint("255.255.255.255")))),
                slice("name with dots", s -> s.getMetadata().name("web.abc")),
                slice("name upper case", s -> s.getMetadata().name("Web-abc"),
                        "metadata.name: \"Web-abc\" is invalid: " + DNS1123_SUBDOMAIN),
                slice("service-name label too long", s -> s.getMetadata().labels(Map.of("kubernetes.io/service-name",
                        "w".repeat(64))), "metadata.labels[\"kubernetes.io/service-name\"]: \"" + "w".repeat(64)
                        + "\" is invalid: must be no more than 63 characters"),
                slice("nodeName invalid", s -> s.endpoints(List.of(endpoint("10.1.0.1").nodeName("Node_A"))),
                        "endpoints[0].nodeName: \"Node_A\" is invalid: " + DNS1123_SUBDOMAIN),
                slice("port name invalid", s -> s.getPorts().get(0).name("http_alt"),
                        "ports[0].name: \"http_alt\" is invalid: " + DNS1123_LABEL),
                slice("port name twice", s -> s.getPorts().add(new DiscoveryV1EndpointPort().name("http").port(8443)),
                        "ports[1].name: \"http\" is already used by ports[0]"),
                slice("unnamed ports twice", s -> s.ports(new ArrayList<>(List.of(new DiscoveryV1EndpointPort().port(1),
                        new DiscoveryV1EndpointPort().port(2)))), "ports[1].name: \"\" is already used by ports[0]"),
                slice("zone hint invalid", s -> s.endpoints(List.of(endpoint("10.1.0.1").hints(new V1EndpointHints()
                        .addForZonesItem(new V1ForZone().name("zone a"))))),
                        "endpoints[0].hints.forZones[0].name: \"zone a\" is invalid: " + LABEL_VALUE),
                slice("zone hint twice", s -> s.endpoints(List.of(endpoint("10.1.0.1").hints(new V1EndpointHints()
                        .addForZonesItem(new V1ForZone().name("a")).addForZonesItem(new V1ForZone().name("a"))))),
                        "endpoints[0].hints.forZones[1].name: \"a\" is already endpoints[0].hints.forZones[0].name"),
                slice("node hint invalid", s -> s.endpoints(List.of(endpoint("10.1.0.1").hints(new V1EndpointHints()
                        .addForNodesItem(new V1ForNode().name("-node"))))),
                        "endpoints[0].hints.forNodes[0].name: \"-node\" is invalid: " + DNS1123_SUBDOMAIN));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("services")
    void validatesServices(String rule, V1Service service, List<String> expected) {
        assertEquals(expected, validator.validate(service));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("slices")
    void validatesEndpointSlices(String rule, V1EndpointSlice slice, List<String> expected) {
        assertEquals(expected, validator.validate(slice));
    }

    @Test
    void nodeNeedsOnlyAName() {
        assertEquals(List.of(), validator.validate(new V1Node().metadata(new V1ObjectMeta().name("node-1"))));
        assertEquals(List.of("metadata.name: missing"), validator.validate(new V1Node().metadata(new V1ObjectMeta())));
    }

    @Test
    void nodeNameAndLabelsFollowTheApiServersRules() {
        V1Node node = new V1Node().metadata(new V1ObjectMeta().name("Node_1")
                .labels(Map.of("topology.kubernetes.io/zone", "zone a")));
        assertEquals(List.of("metadata.name: \"Node_1\" is invalid: " + DNS1123_SUBDOMAIN,
                "metadata.labels[\"topology.kubernetes.io/zone\"]: \"zone a\" is invalid: " + LABEL_VALUE),
                validator.validate(node));
    }

    /** Standalone: backends on the proxy's host. Everything else the API server refuses stays refused. */
    @Test
    void manifestsMayHaveLoopbackEndpointsOnly() {
        ObjectValidator manifests = ObjectValidator.allowingLoopbackEndpoints();
        V1EndpointSlice v4 = (V1EndpointSlice) slice("v4", s -> s.endpoints(List.of(endpoint("127.0.0.1"),
                endpoint("127.3.4.5"), endpoint("0.0.0.0"), endpoint("169.254.0.1")))).get()[1];
        assertEquals(List.of("endpoints[2].addresses[0]: \"0.0.0.0\" " + UNSPECIFIED,
                "endpoints[3].addresses[0]: \"169.254.0.1\" " + LINK_LOCAL), manifests.validate(v4));
        V1EndpointSlice v6 = (V1EndpointSlice) slice("v6", s -> s.addressType("IPv6").endpoints(List.of(
                endpoint("::1")))).get()[1];
        assertEquals(List.of(), manifests.validate(v6));
        V1Service service = (V1Service) service("externalIP", s -> s.getSpec().externalIPs(List.of("127.0.0.2")))
                .get()[1];
        assertEquals(List.of("spec.externalIPs[0]: \"127.0.0.2\" " + LOOPBACK), manifests.validate(service));
    }

    static Stream<Arguments> nodePodCidrs() {
        return Stream.of(
                Arguments.of("one", List.of("10.244.3.0/24"), List.of()),
                Arguments.of("dual-stack", List.of("10.244.3.0/24", "fd00:3::/64"), List.of()),
                Arguments.of("not a prefix", List.of("10.244.3.0/24", "fd00::/200"),
                        List.of("spec.podCIDRs[1]: invalid CIDR \"fd00::/200\": prefix length must be 0-128")),
                Arguments.of("two of one family", List.of("10.244.3.0/24", "10.244.4.0/24"),
                        List.of("spec.podCIDRs: at most one CIDR per IP family, got [10.244.3.0/24, 10.244.4.0/24]")),
                Arguments.of("missing", nullList(), List.of("spec.podCIDRs[0]: empty CIDR")));
    }

    /** The pod CIDRs decide which clients are this node's pods (kube-proxy's NodeCIDR local detection). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("nodePodCidrs")
    void validatesTheNodesPodCidrs(String rule, List<String> podCidrs, List<String> expected) {
        V1Node node = new V1Node().metadata(new V1ObjectMeta().name("node-1")).spec(new V1NodeSpec().podCIDRs(podCidrs));
        assertEquals(expected, validator.validate(node));
    }

    @Test
    void refusesOtherKinds() {
        assertThrows(IllegalArgumentException.class,
                () -> validator.validate(new V1ConfigMap().metadata(new V1ObjectMeta().name("c"))));
    }

    private static Arguments service(String rule, Consumer<V1Service> change, String... expected) {
        V1Service service = new V1Service()
                .metadata(new V1ObjectMeta().name("web").namespace("default"))
                .spec(new V1ServiceSpec()
                        .clusterIP("10.96.0.10")
                        .ports(new ArrayList<>(List.of(
                                new V1ServicePort().name("http").port(80),
                                new V1ServicePort().name("dns").port(53).protocol("UDP")))));
        change.accept(service);
        return Arguments.of(rule, service, List.of(expected));
    }

    private static Arguments slice(String rule, Consumer<V1EndpointSlice> change, String... expected) {
        V1EndpointSlice slice = new V1EndpointSlice()
                .metadata(new V1ObjectMeta().name("web-abc").namespace("default"))
                .addressType("IPv4")
                .endpoints(List.of(endpoint("10.1.0.1"), endpoint("10.1.0.2")))
                .ports(new ArrayList<>(List.of(new DiscoveryV1EndpointPort().name("http").port(8080))));
        change.accept(slice);
        return Arguments.of(rule, slice, List.of(expected));
    }

    private static V1Endpoint endpoint(String... addresses) {
        return new V1Endpoint().addresses(List.of(addresses));
    }

    private static V1ServiceStatus ingress(V1LoadBalancerIngress ingress) {
        // Arrays.asList, not List.of: a null ingress entry is one of the cases.
        return new V1ServiceStatus().loadBalancer(new V1LoadBalancerStatus().ingress(Arrays.asList(ingress)));
    }

    private static V1SessionAffinityConfig timeout(int seconds) {
        return new V1SessionAffinityConfig().clientIP(new V1ClientIPConfig().timeoutSeconds(seconds));
    }

    private static <T> List<T> nullList() {
        List<T> list = new ArrayList<>();
        list.add(null);
        return list;
    }
}
