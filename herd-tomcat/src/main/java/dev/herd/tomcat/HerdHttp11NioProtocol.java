package dev.herd.tomcat;

import org.apache.coyote.http11.Http11NioProtocol;

/**
 * The HTTP/1.1 NIO protocol on a {@link HerdNioEndpoint}: what a Herd worker's connector names in server.xml
 * ({@code protocol="dev.herd.tomcat.HerdHttp11NioProtocol"}). Every other attribute of Tomcat's NIO connector
 * applies as usual.
 */
public class HerdHttp11NioProtocol extends Http11NioProtocol {

    public HerdHttp11NioProtocol() {
        super(new HerdNioEndpoint());
    }

    /** The endpoint, for {@link HerdListener}'s drain. */
    public HerdNioEndpoint herdEndpoint() {
        return (HerdNioEndpoint) getEndpoint();
    }

    @Override
    protected String getNamePrefix() {
        return "herd-http-nio";
    }
}
