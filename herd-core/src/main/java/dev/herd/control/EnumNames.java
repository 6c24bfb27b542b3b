package dev.herd.control;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.jr.ob.JSONObjectException;
import com.fasterxml.jackson.jr.ob.api.ReaderWriterModifier;
import com.fasterxml.jackson.jr.ob.api.ValueReader;
import com.fasterxml.jackson.jr.ob.api.ValueWriter;
import com.fasterxml.jackson.jr.ob.impl.JSONReader;
import com.fasterxml.jackson.jr.ob.impl.JSONWriter;
import dev.herd.EnumLabels;

import java.io.IOException;

/**
 * How {@link ControlJson} spells enums: the answers' ({@code dev.herd.command}) by their labels
 * ({@link EnumLabels}: {@code ready}, {@code start-timeout}), any other (a custom command's answer) by its name, as
 * databind wrote it (jackson-jr would write its {@code toString()}). Read back from a name or a label, in any case.
 */
final class EnumNames extends ReaderWriterModifier {
    private static final String ANSWERS = dev.herd.command.ClusterStatus.class.getPackageName();

    private static final ValueWriter WRITER = new ValueWriter() {
        @Override
        public void writeValue(JSONWriter context, JsonGenerator out, Object value) throws IOException {
            Enum<?> constant = (Enum<?>) value;
            out.writeString(constant.getDeclaringClass().getPackageName().equals(ANSWERS)
                    ? EnumLabels.label(constant) : constant.name());
        }

        @Override
        public Class<?> valueType() {
            return Enum.class;
        }
    };

    @Override
    public ValueWriter overrideStandardValueWriter(JSONWriter context, Class<?> type, int standardType) {
        return Enum.class.isAssignableFrom(type) ? WRITER : null;
    }

    @Override
    public ValueReader modifyValueReader(JSONReader context, Class<?> type, ValueReader standard) {
        return type.isEnum() ? new Reader(type) : standard;
    }

    private static final class Reader extends ValueReader {
        Reader(Class<?> type) {
            super(type);
        }

        @Override
        public Object read(JSONReader context, JsonParser in) throws IOException {
            if (in.hasToken(JsonToken.VALUE_NULL)) {
                return null;
            }
            if (!in.hasToken(JsonToken.VALUE_STRING)) {
                throw JSONObjectException.from(in, "cannot read %s from %s", _valueType.getSimpleName(), _tokenDesc(in));
            }
            String text = in.getText().trim();
            for (Object constant : _valueType.getEnumConstants()) {
                Enum<?> candidate = (Enum<?>) constant;
                if (candidate.name().equalsIgnoreCase(text) || EnumLabels.label(candidate).equalsIgnoreCase(text)) {
                    return candidate;
                }
            }
            throw JSONObjectException.from(in, "'%s' is not a %s", text, _valueType.getSimpleName());
        }
    }
}
