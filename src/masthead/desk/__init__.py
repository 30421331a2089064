"""The desk: writers and editors publish from a browser, with accounts, roles, review and
scheduling, on the outlet's own server.

It runs as a process of its own (``masthead desk``), on its own address and its own
database, not inside ``masthead api``: the API faces every reader of a blocked site and
must not carry accounts, password hashes or an editor for them to attack. This package
holds what the desk enforces on the server, whatever the browser shows: ``roles.py``
(who may do what), ``accounts.py`` (invitations, passwords, second factor, sessions,
login limits, the audit log) and ``schema.py`` (its tables)."""
