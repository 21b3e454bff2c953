package dev.junction.source.kube;

/** Protobuf the API server sent that cannot be decoded: the message names the field and what is wrong with it. */
final class ProtoException extends Exception {

    ProtoException(String message) {
        super(message);
    }
}
