package dev.junction.source.file;

/** A manifest file that cannot be used as a whole; the message is the reason, without the file name. */
final class InvalidManifestException extends Exception {

    InvalidManifestException(String reason) {
        super(reason, null, false, false);
    }
}
