"""Who may do what at the desk. Checked by the server on every action: a contributor's
direct protocol call for something the role forbids is refused, whatever the editor's
interface shows.

- contributor: writes and edits their own drafts, submits them for review; never
  publishes, never touches another's story, settings, templates or accounts;
- author: a contributor who also publishes and unpublishes their own stories;
- editor: any story: edit, review, schedule, publish, unpublish, delete;
- admin: an editor who also manages accounts."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CONTRIBUTOR = "contributor"
    AUTHOR = "author"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    @property
    def needs_second_factor(self) -> bool:
        """Editors and admins can publish anything: a stolen password is not enough."""
        return self.rank >= Role.EDITOR.rank


class Action(StrEnum):
    WRITE = "write"  # create a story or save a draft
    SUBMIT = "submit"  # ask for review
    UPLOAD = "upload"  # add a picture or a file
    REVIEW = "review"  # move a story between draft, in review and ready
    PUBLISH = "publish"  # make it live now, or schedule it
    UNPUBLISH = "unpublish"
    DELETE = "delete"
    SETTINGS = "settings"  # masthead.toml, templates, the site's pages
    ACCOUNTS = "accounts"  # invite, change roles, disable


# The least role that may do each action on its own story, and on another's.
_OWN = {Action.WRITE: Role.CONTRIBUTOR, Action.SUBMIT: Role.CONTRIBUTOR,
        Action.UPLOAD: Role.CONTRIBUTOR, Action.DELETE: Role.CONTRIBUTOR,
        Action.PUBLISH: Role.AUTHOR, Action.UNPUBLISH: Role.AUTHOR,
        Action.REVIEW: Role.EDITOR, Action.SETTINGS: Role.EDITOR,
        Action.ACCOUNTS: Role.ADMIN}
_OTHERS = {**_OWN, Action.WRITE: Role.EDITOR, Action.SUBMIT: Role.EDITOR,
           Action.UPLOAD: Role.EDITOR, Action.DELETE: Role.EDITOR, Action.PUBLISH: Role.EDITOR,
           Action.UNPUBLISH: Role.EDITOR}


def may(role: Role, action: Action, own: bool = True, published: bool = False) -> bool:
    """Whether ``role`` may do ``action`` on a story that is its own (or not). A
    contributor's own story, once published, is no longer theirs to change or delete:
    what readers see changes only through someone who may publish."""
    if own and published and role is Role.CONTRIBUTOR and action in (Action.WRITE,
                                                                     Action.DELETE):
        return False
    least = (_OWN if own else _OTHERS)[action]
    return role.rank >= least.rank
