package dev.herd.control;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.jr.ob.JSON;
import com.fasterxml.jackson.jr.ob.JacksonJrExtension;
import com.fasterxml.jackson.jr.ob.api.ExtensionContext;
import dev.herd.EnumLabels;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The control plane's JSON, in one place: requests and answers on the local socket and the HTTP API, events,
 * and the CLI reading answers into the result records of {@code dev.herd.command}. Values are plain Java: maps
 * (objects, in order), lists, strings, numbers, booleans, null, and records (written by their components in
 * declaration order, read from objects; unknown properties are ignored). The answers' enums
 * ({@code dev.herd.command}) are written as their lower-case labels ({@link EnumLabels}) and read back from them
 * ({@link EnumNames}). The library behind it (jackson-jr over jackson-core, chosen over jackson-databind for the
 * master's start-up and memory: docs/benchmarks.md) is known to this class only.
 */
public final class ControlJson {
    private static final JSON JR = JSON.builder()
            // as databind wrote them: a record's components in their declaration order (jr sorts them otherwise), and
            // a null component or map value as null (jr leaves it out otherwise)
            .enable(JSON.Feature.WRITE_RECORD_FIELDS_IN_DECLARATION_ORDER, JSON.Feature.WRITE_NULL_PROPERTIES)
            // objects as LinkedHashMaps, not jr's lazily built maps; a key given twice keeps its last value, as
            // databind did, instead of failing
            .disable(JSON.Feature.USE_DEFERRED_MAPS, JSON.Feature.FAIL_ON_DUPLICATE_MAP_KEYS)
            .register(new JacksonJrExtension() {
                @Override
                protected void register(ExtensionContext context) {
                    context.insertModifier(new EnumNames());
                }
            })
            .build();
    private static final JSON PRETTY = JR.with(JSON.Feature.PRETTY_PRINT_OUTPUT);

    /** What {@link #parse} returns for text with no JSON value in it (empty or blank). */
    public static final Object NOTHING = new Object();

    private ControlJson() {
    }

    /** Text that is not JSON; the message says where and why (without the input). */
    public static final class Malformed extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message);
        }
    }

    /**
     * One JSON value as plain Java (trailing text ignored), or {@link #NOTHING}: objects as ordered maps, arrays as
     * lists, whole numbers as Integer (Long, BigInteger when larger), other numbers as Double.
     */
    public static Object parse(String text) {
        return parse(text.getBytes(StandardCharsets.UTF_8));
    }

    public static Object parse(byte[] bytes) {
        try (JsonParser parser = JR.createParser(bytes)) {
            return parser.nextToken() == null ? NOTHING : JR.anyFrom(parser);
        } catch (IOException e) {
            throw new Malformed(message(e));
        }
    }

    /** The JSON text of a value: a map, list, record, string, number, boolean or null. */
    public static String write(Object value) {
        return write(JR, value);
    }

    /** The same, indented for people. */
    public static String pretty(Object value) {
        return write(PRETTY, value);
    }

    private static String write(JSON json, Object value) {
        try {
            return json.asString(value);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON: " + message(e), e);
        }
    }

    /**
     * A parsed value (maps, lists...) as a record or other type, e.g. an answer's result as a {@code ClusterStatus}:
     * written and read back (the CLI, its only user, reads one small answer), or the value itself when it already is
     * one ({@code Map}, {@code Object}).
     */
    public static <T> T convert(Object value, Class<T> type) {
        if (value == null || type.isInstance(value)) {
            return type.cast(value);
        }
        try {
            return JR.beanFrom(type, write(value));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + type.getName() + " from JSON: " + message(e), e);
        }
    }

    /** A parsed list as a list of {@code type}, each item as {@link #convert} makes it. */
    public static <T> List<T> convertList(Object value, Class<T> type) {
        if (!(value instanceof List<?> items)) {
            throw new IllegalArgumentException("cannot read a list of " + type.getName() + " from JSON " + kind(value));
        }
        List<T> list = new ArrayList<>(items.size());
        items.forEach(item -> list.add(convert(item, type)));
        return list;
    }

    /** Jackson's message without the location it appends (which may quote the input). */
    private static String message(IOException e) {
        return e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
    }

    /** The kind of a parsed value, for messages: OBJECT, ARRAY, STRING, NUMBER, BOOLEAN or NULL. */
    public static String kind(Object value) {
        return switch (value) {
            case null -> "NULL";
            case Map<?, ?> m -> "OBJECT";
            case List<?> l -> "ARRAY";
            case String s -> "STRING";
            case Number n -> "NUMBER";
            case Boolean b -> "BOOLEAN";
            default -> value.getClass().getSimpleName();
        };
    }
}
