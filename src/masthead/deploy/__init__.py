"""Publishing a built site to its targets: the origin and its mirrors.

A stage after the build, fed by its output folder only. Each target keeps a manifest of
the files it holds (``.masthead-deploy.json``, path -> SHA-256); a deploy uploads only
what differs, in an order that never lets a reader meet a page linking to a file not yet
there: new files and assets first, pages and feeds next, the manifest, deletions last. A
deploy killed half-way leaves the target serving its previous pages with every link
resolving, and the next run completes it. Transports are rclone's (a folder, S3, SFTP,
WebDAV and the rest), with credentials from the environment or rclone's own config.
"""

from masthead.deploy.targets import DeployResult, deploy, rollback

__all__ = ["DeployResult", "deploy", "rollback"]
