"""Sending the newsletter: a story, or a digest, to every confirmed subscriber, in the
language they signed up in, through any SMTP server, exactly once.

A stage beside the build, fed by the site's model and the API's database. Each
(newsletter, subscriber) delivery is a row in the API's database (SQLite or PostgreSQL);
a row becomes ``accepted`` in the moment before the message's last line goes to the
server, so a sender that is killed and started again mails only those not yet accepted,
and sending the same story again sends nothing. Temporary refusals (4xx) are retried with
backoff; a permanent one (5xx) marks the address bounced, never mailed again.
"""
