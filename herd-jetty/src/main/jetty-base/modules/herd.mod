# Herd: run this Jetty as a worker of the Herd process supervisor (see Herd's README, "Jetty distribution").

[description]
Runs Jetty as a worker of Herd, the process supervisor: the HTTP connector serves on the listening socket Herd hands
over (fd 0) instead of binding jetty.http.port, and binds as usual when Jetty is not started by Herd. On SIGTERM it
drains without losing a request: it stops accepting, every response says "Connection: close" so clients move to the
other workers, and it stops once they left. Do not enable Jetty's "graceful" module with it (that one answers 503
during a drain).

[tags]
connector
herd

[depend]
server
http

[after]
http2c
proxy-protocol
http-forwarded
graceful

[lib]
lib/herd/*.jar

[xml]
etc/herd.xml

[ini-template]
## How long a drain waits for clients to leave (each busy connection closes after its next response) before
## Jetty's graceful stop, in milliseconds: the grace an idle keep-alive connection gets for a request on its way.
# herd.drainIdleTimeout=3000

## The longest Jetty's graceful stop waits for requests in flight, in milliseconds. Keep it below Herd's
## --drain-timeout (30s by default), after which Herd kills the worker.
# herd.stopTimeout=25000
