package dev.herd;

/** A cluster setting is invalid. The message names the setting, the bad value and what to do instead. */
public final class ConfigException extends IllegalArgumentException {
    public ConfigException(String message) {
        super(message);
    }
}
