package dev.junction.capture;

import dev.junction.model.Frontend;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --capture none}: binds only addresses this host already has (all of 127.0.0.0/8 and ::1 count),
 * so tests and the demo run without privileges. Runs in the control context.
 */
final class NoCapture implements Capture {

    private static final Logger log = LoggerFactory.getLogger(NoCapture.class);

    private final Set<InetAddress> reported = new HashSet<>();

    @Override
    public boolean claim(Frontend frontend) {
        InetAddress address = frontend.address();
        if (NodeAddresses.isLocal(address)) {
            return true;
        }
        if (reported.add(address)) {
            log.warn("not serving {}: {} is not a local address and --capture none installs no routes",
                    frontend, NetUtil.toAddressString(address));
        }
        return false;
    }

    @Override
    public void release(Frontend frontend) {
    }
}
