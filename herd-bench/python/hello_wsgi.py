"""A hello WSGI app: the app Gunicorn runs in the request-recycling benchmark (herd-bench/bin/requests-bench),
beside Herd's own demo worker under --max-requests."""
import os

BODY_PREFIX = b'{"app":"hello-wsgi","pid":'


def app(environ, start_response):
    body = BODY_PREFIX + str(os.getpid()).encode() + b'}'
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]
