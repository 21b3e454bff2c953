package dev.junction.source.kube;

/**
 * The representation the API source asks the API server for. {@link #PROTOBUF} is kube-proxy's default (it cuts
 * both sides' CPU); JSON stays accepted, and any answer is decoded by its Content-Type, so a server that answers
 * JSON is followed as client-go's negotiator follows it.
 */
public enum ApiContentType {
    /** {@code application/vnd.kubernetes.protobuf}, with JSON accepted too and used when protobuf is refused. */
    PROTOBUF,
    /** {@code application/json} only. */
    JSON
}
