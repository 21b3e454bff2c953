package dev.junction.source.file;

import com.google.gson.annotations.SerializedName;
import io.kubernetes.client.custom.IntOrString;
import io.kubernetes.client.custom.Quantity;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a document's YAML tree against the JSON types of its client-java model class, field by field, as
 * kube-apiserver's decoding does before any validation: a string, a number or a list where a boolean is
 * expected ({@code ready: abc}, {@code ready: 70000}), a number where a string is expected, an integer out of
 * the field's range, a mapping where a list is expected, are each refused with the field's path. Without
 * this the bean loader reads {@code ready: abc} as unset, which means ready, and {@code name: 123} as "123".
 * Unknown fields are left to the bean loader, which names them.
 *
 * <p>Stateless and thread-safe; the field types of each model class are looked up once.
 */
final class FieldTypes {

    private static final ClassValue<Map<String, Type>> FIELDS = new ClassValue<>() {
        @Override
        protected Map<String, Type> computeValue(Class<?> type) {
            Map<String, Type> fields = new HashMap<>();
            for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
                for (Field field : c.getDeclaredFields()) {
                    SerializedName name = field.getAnnotation(SerializedName.class);
                    if (name != null && !Modifier.isStatic(field.getModifiers())) {
                        fields.putIfAbsent(name.value(), field.getGenericType());
                    }
                }
            }
            return fields;
        }
    };

    private FieldTypes() {
    }

    /** The first wrong-typed field of {@code tree} read as {@code type}, as "path: reason", or null. */
    static String problem(Object tree, Class<?> type) {
        return check(tree, type, "");
    }

    private static String check(Object value, Type type, String path) {
        if (value == null) {
            // JSON null: the field is unset, as the API server reads it.
            return null;
        }
        if (type instanceof ParameterizedType generic) {
            Type raw = generic.getRawType();
            Type element = generic.getActualTypeArguments()[generic.getActualTypeArguments().length - 1];
            if (raw == List.class) {
                if (!(value instanceof List<?> list)) {
                    return wrong(path, "a list", value);
                }
                for (int i = 0; i < list.size(); i++) {
                    String problem = check(list.get(i), element, path + '[' + i + ']');
                    if (problem != null) {
                        return problem;
                    }
                }
                return null;
            }
            if (raw == Map.class) {
                if (!(value instanceof Map<?, ?> map)) {
                    return wrong(path, "a mapping", value);
                }
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    if (!(entry.getKey() instanceof String key)) {
                        return wrong(join(path, String.valueOf(entry.getKey())), "a string key", entry.getKey());
                    }
                    String problem = check(entry.getValue(), element, join(path, key));
                    if (problem != null) {
                        return problem;
                    }
                }
                return null;
            }
            return null;
        }
        if (!(type instanceof Class<?> c)) {
            return null;
        }
        if (c == Boolean.class) {
            return value instanceof Boolean ? null : wrong(path, "a boolean (true or false)", value);
        }
        if (c == Integer.class) {
            return integer(path, value, Integer.MIN_VALUE, Integer.MAX_VALUE, "a 32-bit integer");
        }
        if (c == Long.class) {
            return integer(path, value, Long.MIN_VALUE, Long.MAX_VALUE, "a 64-bit integer");
        }
        if (c == Double.class || c == Float.class) {
            return value instanceof Number ? null : wrong(path, "a number", value);
        }
        if (c == String.class || c.isEnum()) {
            return value instanceof String ? null : wrong(path, "a string", value);
        }
        if (c == IntOrString.class) {
            return value instanceof String ? null
                    : integer(path, value, Integer.MIN_VALUE, Integer.MAX_VALUE, "a string or a 32-bit integer");
        }
        if (c == Quantity.class) {
            return value instanceof String || value instanceof Number ? null : wrong(path, "a quantity", value);
        }
        Map<String, Type> fields = FIELDS.get(c);
        if (fields.isEmpty()) {
            // Not a model class (a timestamp, free-form JSON): its own loader decides.
            return null;
        }
        if (!(value instanceof Map<?, ?> map)) {
            return wrong(path, "a mapping", value);
        }
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            Type fieldType = fields.get(entry.getKey());
            if (fieldType != null) {
                String problem = check(entry.getValue(), fieldType, join(path, (String) entry.getKey()));
                if (problem != null) {
                    return problem;
                }
            }
        }
        return null;
    }

    private static String integer(String path, Object value, long min, long max, String expected) {
        if (value instanceof Integer || value instanceof Long) {
            long n = ((Number) value).longValue();
            return n >= min && n <= max ? null : path + ": " + n + " is out of range for " + expected;
        }
        if (value instanceof BigInteger) {
            return path + ": " + value + " is out of range for " + expected;
        }
        return wrong(path, expected, value);
    }

    private static String wrong(String path, String expected, Object value) {
        return path + ": must be " + expected + ", got " + describe(value);
    }

    /** What the YAML held, in YAML's words; text is quoted and escaped, as it may hold anything. */
    private static String describe(Object value) {
        if (value instanceof String s) {
            return "the string " + quote(s.length() > 40 ? s.substring(0, 40) + "..." : s);
        }
        if (value instanceof Boolean || value instanceof Integer || value instanceof Long
                || value instanceof BigInteger) {
            return (value instanceof Boolean ? "the boolean " : "the integer ") + value;
        }
        if (value instanceof Number) {
            return "the number " + value;
        }
        if (value instanceof List<?>) {
            return "a list";
        }
        if (value instanceof Map<?, ?>) {
            return "a mapping";
        }
        return "a " + value.getClass().getSimpleName();
    }

    private static String quote(String text) {
        StringBuilder quoted = new StringBuilder("\"");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                quoted.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                quoted.append(String.format("\\u%04x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }

    private static String join(String path, String field) {
        return path.isEmpty() ? field : path + '.' + field;
    }
}
