package dev.herd.listen;

import java.io.IOException;

/** nat mode cannot work on this machine or for this user; the message says what to install or change. */
public final class NatUnavailableException extends IOException {
    NatUnavailableException(String message) {
        super(message);
    }
}
