"""gunicorn's settings for Lobby: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Flags on the command line override these, e.g. `--bind 127.0.0.1:9000`.
Put a buffering proxy (nginx) in front for TLS: it also takes slow clients
off the app server (docs/deployment.md).
"""

# Threads, not sync workers (issue #15). A sync worker belongs to one
# connection from accept until the response, so four idle TCP connections
# held the four sync workers and /healthz timed out until they closed. A
# gthread worker gives a silent connection a thread for at most 5 seconds,
# then parks it in its poller: a few idle connections cost nothing, a flood
# still stalls it for seconds, which is what the proxy in front is for.
worker_class = "gthread"
workers = 4
threads = 8
bind = "127.0.0.1:8000"
# A year's CSV export streams for minutes; a gthread worker's heartbeat comes
# from its main loop, so this kills only a worker whose loop is stuck.
timeout = 300
graceful_timeout = 30
