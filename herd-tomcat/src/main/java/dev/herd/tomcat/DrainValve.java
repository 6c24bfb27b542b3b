package dev.herd.tomcat;

import jakarta.servlet.ServletException;
import java.io.IOException;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;

/**
 * The first valve of each engine of a Herd worker: from {@link #startDraining()} on, every response says
 * {@code Connection: close}, so each keep-alive client's next request goes through a new connection, to another
 * worker. {@link HerdListener} adds it; nothing to configure.
 */
public class DrainValve extends ValveBase {
    private volatile boolean draining;

    public DrainValve() {
        super(true);
    }

    /** From now on every response not yet committed says {@code Connection: close}. */
    public void startDraining() {
        draining = true;
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        if (draining && !response.isCommitted()) {
            response.setHeader("Connection", "close");
        }
        getNext().invoke(request, response);
    }
}
