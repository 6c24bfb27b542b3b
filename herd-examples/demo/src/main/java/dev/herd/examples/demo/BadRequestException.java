package dev.herd.examples.demo;

/** The request cannot be understood; answered with 400 and the connection is closed. */
final class BadRequestException extends Exception {

    BadRequestException(String message) {
        super(message, null, false, false);
    }
}
