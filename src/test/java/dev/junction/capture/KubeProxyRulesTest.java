package dev.junction.capture;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KubeProxyRulesTest {

    @Test
    void findsKubeProxysIptablesChain() {
        String save = """
                *nat
                :PREROUTING ACCEPT [0:0]
                :KUBE-SERVICES - [0:0]
                -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
                COMMIT
                """;
        assertTrue(KubeProxyRules.mentionsKubeServices(save));
        assertFalse(KubeProxyRules.mentionsKubeServices("*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n"));
    }

    @Test
    void findsKubeProxysNftablesTables() {
        assertTrue(KubeProxyRules.hasKubeProxyTable("table inet filter\ntable ip kube-proxy\n"));
        assertTrue(KubeProxyRules.hasKubeProxyTable("table ip6 kube-proxy\n"));
        assertFalse(KubeProxyRules.hasKubeProxyTable("table inet filter\ntable ip kube-proxy-other\n"));
    }
}
