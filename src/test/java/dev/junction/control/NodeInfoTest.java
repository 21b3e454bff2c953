package dev.junction.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeInfoTest {

    @Test
    void readsZoneFromTheTopologyLabel() {
        V1Node node = new V1Node().metadata(new V1ObjectMeta().name("node-a").putLabelsItem(NodeInfo.ZONE_LABEL, "zone-a"));
        assertEquals(new NodeInfo("node-a", "zone-a", List.of()), NodeInfo.of("node-a", node, List.of()));
    }

    @Test
    void zoneIsUnknownWithoutNodeOrLabel() {
        assertNull(NodeInfo.of("node-a", null, List.of()).zone());
        assertNull(NodeInfo.of("node-a", new V1Node(), List.of()).zone());
        assertNull(NodeInfo.of("node-a", new V1Node().metadata(new V1ObjectMeta().putLabelsItem(NodeInfo.ZONE_LABEL, "")),
                List.of()).zone());
    }
}
