"""The channels where readers are: each published story posted once to the outlet's
Telegram channels, with the way back to the site (and its mirror) in every post.

A stage beside the newsletter, fed by what was published: ``post.py`` decides what each
channel is owed, ``telegram.py`` makes the post and speaks the Bot API, ``ledger.py``
keeps what was posted in the API's database so that nothing is posted twice."""

from masthead.channels.post import Channels, ChannelsError, Outcome, post_published, turn_on

__all__ = ["Channels", "ChannelsError", "Outcome", "post_published", "turn_on"]
