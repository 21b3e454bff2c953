package dev.junction.model;

/** Transport protocol of a frontend or endpoint port. SCTP is not proxied. */
public enum Protocol {
    TCP,
    UDP
}
