"""The push machinery: what other connected users see change, at once.

``dispatch`` hears every committed change and starts the pushes; ``queues``,
``notifications``, ``help_desk``, ``session_end``, ``pq_pages`` and ``banner`` each keep one
kind of page right; ``tabs`` writes deltas straight to tabs' sockets, ``channels`` carries
changes between workers and nodes over Redis, ``scheduler`` runs pushes on the server's loop.
Modules import downwards only (dispatch -> feeds -> tabs/channels/scheduler); the two that
refresh a page state (banner, pq_pages) are handed that state's class by a decorator on it.
"""
