package dev.junction.model;

import java.util.Locale;

/**
 * Whether the backend connection starts with a PROXY protocol header (HAProxy's proxy-protocol.txt),
 * so the backend learns the client's address: {@link #NONE}, text {@link #V1}, binary {@link #V2}.
 */
public enum ProxyProtocol {
    NONE,
    V1,
    V2;

    /** Parses {@code v1} or {@code v2} (any case); throws naming the accepted values otherwise. */
    public static ProxyProtocol parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "v1" -> V1;
            case "v2" -> V2;
            default -> throw new IllegalArgumentException("unknown PROXY protocol version \"" + text
                    + "\" (expected: v1 or v2)");
        };
    }
}
