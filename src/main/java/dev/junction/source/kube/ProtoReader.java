package dev.junction.source.kube;

import java.nio.charset.StandardCharsets;

/**
 * Reads the protobuf wire format from a byte array, one field at a time, as the fields' owner asks for them:
 * {@link #next()} reads a field's key, then the owner reads the value as the type it expects, enters it when it
 * is a message ({@link #enter()} / {@link #exit(int)}), or {@link #skip()}s it. Fields the owner does not know
 * are skipped whatever their wire type, as protobuf keeps them unknown; a known field whose wire type is not the
 * one its type has, or input that ends inside a field, throws {@link ProtoException} naming the field. Holds no
 * copy of the input; one reader per decode, not thread-safe.
 */
final class ProtoReader {

    private static final int VARINT = 0;
    private static final int FIXED64 = 1;
    private static final int LENGTH_DELIMITED = 2;
    private static final int FIXED32 = 5;

    private final byte[] buffer;
    private final int start;
    private final int end;
    private int position;
    private int limit;
    private int field;
    private int wireType;

    ProtoReader(byte[] buffer, int offset, int length) {
        this.buffer = buffer;
        this.start = offset;
        this.position = offset;
        this.limit = offset + length;
        this.end = limit;
    }

    /** Back to the first field, to read the message again (once it is known to be malformed, for its name). */
    void rewind() {
        position = start;
        limit = end;
    }

    /** Reads the next field's key; false at the end of the current message. */
    boolean next() throws ProtoException {
        if (position >= limit) {
            return false;
        }
        long key = varint();
        field = (int) (key >>> 3);
        wireType = (int) (key & 7);
        if (field <= 0) {
            throw new ProtoException("field number " + (key >>> 3) + " is not valid");
        }
        return true;
    }

    /** The number of the field {@link #next()} read. */
    int field() {
        return field;
    }

    /** A string field; {@code name} names it in the exception when its wire type is not a string's. */
    String string(String name) throws ProtoException {
        int length = length(name);
        String s = new String(buffer, position, length, StandardCharsets.UTF_8);
        position += length;
        return s;
    }

    /**
     * A string field of a Go struct field with {@code omitempty}, which kube-apiserver's encoder (gogo-protobuf,
     * non-nullable fields) writes even when empty: null then, as the JSON encoder's omission decodes.
     */
    String optionalString(String name) throws ProtoException {
        int length = length(name);
        if (length == 0) {
            return null;
        }
        String s = new String(buffer, position, length, StandardCharsets.UTF_8);
        position += length;
        return s;
    }

    /** An int32 field (a varint, two's complement when negative, as protobuf writes them). */
    int int32(String name) throws ProtoException {
        expect(VARINT, name);
        return (int) varint();
    }

    long int64(String name) throws ProtoException {
        expect(VARINT, name);
        return varint();
    }

    boolean bool(String name) throws ProtoException {
        expect(VARINT, name);
        return varint() != 0;
    }

    /** A reader of the bytes field just read (an embedded, separately encoded message). Moves past it. */
    ProtoReader bytes(String name) throws ProtoException {
        int length = length(name);
        ProtoReader inner = new ProtoReader(buffer, position, length);
        position += length;
        return inner;
    }

    /** True when this reader's bytes begin with {@code prefix}; reads nothing. */
    boolean startsWith(byte[] prefix) {
        if (limit - position < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (buffer[position + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Moves past {@code n} bytes that {@link #startsWith} found. */
    void skipPrefix(int n) throws ProtoException {
        advance(n);
    }

    /**
     * Enters the message field just read: {@link #next()} then reads its fields until its end. Returns what
     * {@link #exit(int)} needs to come back out.
     */
    int enter(String name) throws ProtoException {
        int length = length(name);
        int outer = limit;
        limit = position + length;
        return outer;
    }

    /** Leaves the message entered by the {@link #enter} that returned {@code outer}, past its last field. */
    void exit(int outer) {
        position = limit;
        limit = outer;
    }

    /** Skips the value of the field just read, as protobuf skips an unknown field. */
    void skip() throws ProtoException {
        switch (wireType) {
            case VARINT -> varint();
            case FIXED64 -> advance(8);
            case LENGTH_DELIMITED -> advance(length("field " + field));
            case FIXED32 -> advance(4);
            default -> throw new ProtoException("field " + field + " has wire type " + wireType
                    + ", which Kubernetes objects do not use");
        }
    }

    private void advance(int n) throws ProtoException {
        if (n > limit - position) {
            throw new ProtoException("field " + field + " runs past the end of its message");
        }
        position += n;
    }

    private int length(String name) throws ProtoException {
        expect(LENGTH_DELIMITED, name);
        long length = varint();
        if (length < 0 || length > limit - position) {
            throw new ProtoException(name + ": length " + length + " runs past the end of its message");
        }
        return (int) length;
    }

    private void expect(int type, String name) throws ProtoException {
        if (wireType != type) {
            throw new ProtoException(name + ": wire type " + wireType + " where " + wireTypeName(type) + " belongs");
        }
    }

    private static String wireTypeName(int type) {
        return switch (type) {
            case VARINT -> "a varint";
            case LENGTH_DELIMITED -> "a length-delimited value";
            default -> "wire type " + type;
        };
    }

    private long varint() throws ProtoException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (position >= limit) {
                throw new ProtoException("a varint runs past the end of its message");
            }
            byte b = buffer[position++];
            value |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return value;
            }
        }
        throw new ProtoException("a varint is longer than 10 bytes");
    }
}
