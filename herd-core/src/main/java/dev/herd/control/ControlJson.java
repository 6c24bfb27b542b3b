package dev.herd.control;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializationConfig;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.BeanSerializerModifier;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import dev.herd.EnumLabels;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The control plane's JSON, in one place: requests and answers on the local socket and the HTTP API, events,
 * and the CLI reading answers into the result records of {@code dev.herd.command}. Values are plain Java: maps
 * (objects, in order), lists, strings, numbers, booleans, null, and records (written by their components, read
 * from objects). The answers' enums ({@code dev.herd.command}) are written as their lower-case labels
 * ({@link EnumLabels}) and read back from them. The
 * library behind it (jackson-databind now) is known to this class only.
 */
public final class ControlJson {
    private static final String ANSWERS = dev.herd.command.ClusterStatus.class.getPackageName();
    private static final JsonSerializer<Enum<?>> LABEL = new JsonSerializer<>() {
        @Override
        public void serialize(Enum<?> value, JsonGenerator out, SerializerProvider provider) throws IOException {
            out.writeString(EnumLabels.label(value));
        }
    };
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .addModule(new SimpleModule().setSerializerModifier(new BeanSerializerModifier() {
                @Override
                public JsonSerializer<?> modifyEnumSerializer(SerializationConfig config, JavaType type,
                                                              BeanDescription description, JsonSerializer<?> serializer) {
                    // the answers' enums (dev.herd.command) by their labels; any other (a custom command's answer) as
                    // Jackson writes it
                    return type.getRawClass().getPackageName().equals(ANSWERS) ? LABEL : serializer;
                }
            }))
            .build();
    private static final ObjectMapper PRETTY = MAPPER.copy().enable(SerializationFeature.INDENT_OUTPUT);

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

    /** One JSON value as plain Java (trailing text ignored), or {@link #NOTHING}. */
    public static Object parse(String text) {
        return parse(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public static Object parse(byte[] bytes) {
        try (JsonParser parser = MAPPER.createParser(bytes)) {
            return parser.nextToken() == null ? NOTHING : MAPPER.readValue(parser, Object.class);
        } catch (JsonProcessingException e) {
            throw new Malformed(e.getOriginalMessage());
        } catch (IOException e) {
            throw new Malformed(e.getMessage());
        }
    }

    /** The JSON text of a value: a map, list, record, string, number, boolean or null. */
    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The same, indented for people. */
    public static String pretty(Object value) {
        try {
            return PRETTY.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** A parsed value (maps, lists...) as a record or other type, e.g. an answer's result as a {@code ClusterStatus}. */
    public static <T> T convert(Object value, Class<T> type) {
        return MAPPER.convertValue(value, type);
    }

    /** A parsed list as a list of {@code type}. */
    public static <T> List<T> convertList(Object value, Class<T> type) {
        return MAPPER.convertValue(value, MAPPER.getTypeFactory().constructCollectionType(List.class, type));
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
