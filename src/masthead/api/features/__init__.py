"""The API's features, one module each with its routes, its SQL and its background
work: ``views`` (counts of page loads), ``signups`` (the newsletter's subscribers),
``contact`` (messages from the contact form). A new endpoint is a new module here and
a line in ``api/app.py``."""
