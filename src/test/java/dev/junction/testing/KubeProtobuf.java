package dev.junction.testing;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;
import io.kubernetes.client.proto.Meta;
import io.kubernetes.client.proto.Runtime;
import io.kubernetes.client.proto.V1;
import io.kubernetes.client.proto.V1Discovery;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.function.Supplier;

/**
 * kube-apiserver's protobuf encoding of the objects a {@link FakeApiServer} holds as JSON, through kubernetes'
 * own generated messages (client-java-proto, compiled from generated.proto), so field numbers and types are the
 * API's and not this project's decoder's. What the JSON says that the schema does not know is written as an
 * unknown field (a field a newer API server added), and a value of the wrong JSON type under its field's number
 * with the other wire type (a field whose type this client's schema has wrong): both are what a lenient decoder
 * must survive. Stateless.
 */
public final class KubeProtobuf {

    /** apimachinery runtime/serializer/protobuf: every encoded object begins with these four bytes. */
    private static final byte[] MAGIC = {'k', '8', 's', 0};
    /** Where the fields a newer API server added are numbered: above any field of today's schema. */
    private static final int UNKNOWN_FIELDS_FROM = 10_000;

    private static final Map<String, Supplier<Message.Builder>> BUILDERS = Map.of(
            "Service", V1.Service::newBuilder,
            "ServiceList", V1.ServiceList::newBuilder,
            "EndpointSlice", V1Discovery.EndpointSlice::newBuilder,
            "EndpointSliceList", V1Discovery.EndpointSliceList::newBuilder,
            "Node", V1.Node::newBuilder,
            "NodeList", V1.NodeList::newBuilder,
            "Status", Meta.Status::newBuilder);

    private KubeProtobuf() {
    }

    /**
     * {@code json} as kube-apiserver's protobuf serializer writes an object or list: the magic, then a
     * runtime.Unknown with the type (apiVersion, kind), the object's own encoding as {@code raw}, and empty
     * contentEncoding and contentType (non-nullable strings, which gogo-protobuf writes even when empty).
     */
    public static byte[] encode(String apiVersion, String kind, JsonObject json) {
        Message.Builder builder = BUILDERS.get(kind).get();
        JsonObject fields = json.deepCopy();
        fields.remove("kind");
        fields.remove("apiVersion");
        merge(fields, builder);
        Runtime.Unknown unknown = Runtime.Unknown.newBuilder()
                .setTypeMeta(Runtime.TypeMeta.newBuilder().setApiVersion(apiVersion).setKind(kind))
                .setRaw(builder.build().toByteString())
                .setContentEncoding("")
                .setContentType("")
                .build();
        byte[] body = unknown.toByteArray();
        byte[] out = new byte[MAGIC.length + body.length];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        System.arraycopy(body, 0, out, MAGIC.length, body.length);
        return out;
    }

    /**
     * One watch event as kube-apiserver streams it under {@code application/vnd.kubernetes.protobuf;stream=watch}:
     * a metav1.WatchEvent encoded without magic (the raw serializer), its object a RawExtension holding the
     * object's full encoding (magic included), prefixed with its length in 4 bytes, big-endian
     * (apimachinery's LengthDelimitedFramer).
     */
    public static byte[] watchFrame(String type, String apiVersion, String kind, JsonObject object) {
        byte[] event = Meta.WatchEvent.newBuilder()
                .setType(type)
                .setObject(Runtime.RawExtension.newBuilder().setRaw(ByteString.copyFrom(encode(apiVersion, kind, object))))
                .build().toByteArray();
        return ByteBuffer.allocate(4 + event.length).putInt(event.length).put(event).array();
    }

    private static void merge(JsonObject json, Message.Builder builder) {
        Descriptor type = builder.getDescriptorForType();
        UnknownFieldSet.Builder unknown = UnknownFieldSet.newBuilder();
        for (Map.Entry<String, JsonElement> entry : json.entrySet()) {
            JsonElement value = entry.getValue();
            if (value.isJsonNull()) {
                continue;
            }
            FieldDescriptor field = type.findFieldByName(entry.getKey());
            if (field == null) {
                unknown.mergeField(UNKNOWN_FIELDS_FROM + (entry.getKey().hashCode() & 0xFFFF), asUnknown(value));
                continue;
            }
            try {
                if (field.isMapField()) {
                    for (Map.Entry<String, JsonElement> e : value.getAsJsonObject().entrySet()) {
                        Message.Builder pair = builder.newBuilderForField(field);
                        Descriptor pairType = pair.getDescriptorForType();
                        pair.setField(pairType.findFieldByName("key"), e.getKey());
                        pair.setField(pairType.findFieldByName("value"), e.getValue().getAsString());
                        builder.addRepeatedField(field, pair.build());
                    }
                } else if (field.isRepeated()) {
                    for (JsonElement element : value.getAsJsonArray()) {
                        builder.addRepeatedField(field, value(builder, field, element));
                    }
                } else {
                    builder.setField(field, value(builder, field, element(value)));
                }
            } catch (RuntimeException e) {
                // The JSON type does not fit the field: the value goes under the field's number with the other
                // wire type, as from a server whose schema differs from this client's for that field.
                unknown.mergeField(field.getNumber(), field.getJavaType() == FieldDescriptor.JavaType.MESSAGE
                        || field.getJavaType() == FieldDescriptor.JavaType.STRING
                        ? UnknownFieldSet.Field.newBuilder().addVarint(1).build() : asUnknown(value));
            }
        }
        builder.setUnknownFields(unknown.build());
    }

    private static JsonElement element(JsonElement value) {
        if (value.isJsonArray()) {
            throw new IllegalArgumentException("an array where one value belongs");
        }
        return value;
    }

    private static Object value(Message.Builder parent, FieldDescriptor field, JsonElement value) {
        switch (field.getJavaType()) {
            case STRING -> {
                if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
                    throw new IllegalArgumentException("not a string");
                }
                return value.getAsString();
            }
            case INT -> {
                return number(value).intValue();
            }
            case LONG -> {
                return number(value).longValue();
            }
            case BOOLEAN -> {
                if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isBoolean()) {
                    throw new IllegalArgumentException("not a boolean");
                }
                return value.getAsBoolean();
            }
            case MESSAGE -> {
                Message.Builder builder = parent.newBuilderForField(field);
                String name = field.getMessageType().getName();
                if (name.equals("Time")) {
                    builder.setField(field.getMessageType().findFieldByName("seconds"),
                            OffsetDateTime.parse(value.getAsString()).toEpochSecond());
                } else if (name.equals("IntOrString")) {
                    Descriptor d = field.getMessageType();
                    boolean text = value.getAsJsonPrimitive().isString();
                    builder.setField(d.findFieldByName("type"), text ? 1L : 0L);
                    builder.setField(d.findFieldByName(text ? "strVal" : "intVal"),
                            text ? value.getAsString() : value.getAsInt());
                } else {
                    merge(value.getAsJsonObject(), builder);
                }
                return builder.build();
            }
            default -> throw new IllegalArgumentException("field type " + field.getJavaType() + " not encoded");
        }
    }

    private static Number number(JsonElement value) {
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException("not a number");
        }
        return value.getAsNumber();
    }

    /** A value for a field number the schema does not have: a varint for numbers and booleans, else bytes. */
    private static UnknownFieldSet.Field asUnknown(JsonElement value) {
        UnknownFieldSet.Field.Builder field = UnknownFieldSet.Field.newBuilder();
        if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isNumber()) {
            field.addVarint(value.getAsLong());
        } else if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isBoolean()) {
            field.addVarint(value.getAsBoolean() ? 1 : 0);
        } else {
            String text = value.isJsonPrimitive() ? value.getAsString() : value.toString();
            field.addLengthDelimited(ByteString.copyFrom(text, StandardCharsets.UTF_8));
        }
        return field.build();
    }
}
