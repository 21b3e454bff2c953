package dev.junction.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.junction.model.Cidr;
import dev.junction.model.CidrSet;
import dev.junction.model.Endpoint;
import dev.junction.model.Frontend;
import dev.junction.model.ServicePortName;
import dev.junction.model.ServiceRoute;
import dev.junction.model.ShortCircuit;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The value records of the change path write equals and hashCode out (see {@link ServiceKey}); this checks
 * that each one still tells apart two values differing in any single component, so a component added later
 * cannot be forgotten there without a failure.
 */
class ValueEqualityTest {

    static Stream<Class<? extends Record>> records() {
        return Stream.of(ServiceKey.class, CachedSlice.class, CachedSlice.Port.class, SliceEndpoint.class,
                Endpoint.class, Frontend.class, ServicePortName.class, ServiceRoute.class, ShortCircuit.class);
    }

    @ParameterizedTest
    @MethodSource("records")
    void equalComponentsMakeEqualValuesAndAnyDifferentOneMakesThemDiffer(Class<? extends Record> type)
            throws Exception {
        RecordComponent[] components = type.getRecordComponents();
        Object base = build(type, -1);
        Object same = build(type, -1);
        assertEquals(base, same);
        assertEquals(base.hashCode(), same.hashCode());
        assertNotEquals(base, null);
        assertNotEquals(base, "not a " + type.getSimpleName());
        for (int i = 0; i < components.length; i++) {
            Object other = build(type, i);
            assertNotEquals(base, other, type.getSimpleName() + " ignores " + components[i].getName());
            assertNotEquals(other, base, type.getSimpleName() + " ignores " + components[i].getName());
        }
    }

    /** A value of {@code type} from the first sample of every component, except the second at {@code differing}. */
    private static Object build(Class<?> type, int differing) throws Exception {
        RecordComponent[] components = type.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        Object[] values = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            values[i] = sample(components[i].getGenericType(), i == differing);
        }
        Constructor<?> canonical = type.getDeclaredConstructor(types);
        canonical.setAccessible(true);
        return canonical.newInstance(values);
    }

    private static Object sample(Type type, boolean second) throws Exception {
        if (type instanceof ParameterizedType p) {
            Type element = p.getActualTypeArguments()[0];
            Class<?> raw = (Class<?>) p.getRawType();
            if (raw == List.class) {
                return second ? List.of(sample(element, false)) : List.of();
            }
            if (raw == Set.class) {
                return second ? Set.of(sample(element, false)) : Set.of();
            }
            throw new IllegalArgumentException("no samples of " + type);
        }
        Class<?> c = (Class<?>) type;
        if (c == String.class) {
            return second ? "b" : "a";
        }
        if (c == int.class) {
            return second ? 2 : 1;
        }
        if (c == long.class) {
            return second ? 2L : 1L;
        }
        if (c == boolean.class) {
            return second;
        }
        if (c == InetAddress.class) {
            return InetAddress.getByName(second ? "10.0.0.2" : "10.0.0.1");
        }
        if (c == Duration.class) {
            return second ? Duration.ofSeconds(1) : Duration.ZERO;
        }
        if (c == Cidr.class) {
            return Cidr.parse(second ? "10.0.0.0/16" : "10.0.0.0/8");
        }
        if (c == CidrSet.class) {
            return second ? CidrSet.of(List.of(Cidr.parse("10.0.0.0/8"))) : CidrSet.EMPTY;
        }
        if (c.isEnum()) {
            return c.getEnumConstants()[second ? 1 : 0];
        }
        if (c.isRecord()) {
            return build(c, second ? 0 : -1);
        }
        throw new IllegalArgumentException("no samples of " + type);
    }
}
