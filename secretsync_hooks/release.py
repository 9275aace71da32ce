"""The release this installation is, as the git tag it was built from.

setuptools-scm makes the version from git: exactly ``X.Y.Z`` at the tag ``vX.Y.Z``, and a
development version (``X.Y.Z.devN+gSHA``, or with a local part) anywhere else. Only a release
names a tag that exists, so only a release can pin a pre-commit ``rev:``.
"""

from __future__ import annotations

import re

from secretsync_hooks import __version__

# A public PEP 440 version with no epoch, no .dev and no local part (+...), in the normal form
# setuptools-scm writes: 1.2.3, 1.2.3rc1, 1.2.3.post1.
_RELEASE = re.compile(r"\d+(?:\.\d+)*(?:(?:a|b|rc)\d+)?(?:\.post\d+)?")
# pyproject.toml's fallback_version: a build that saw no git metadata, so no tag at all.
_FALLBACK = "0.0.0"


def release_tag(version: str | None = None) -> str | None:
    """The tag of ``version`` (the installed one unless given): ``"v0.3.1"`` for ``"0.3.1"``;
    None for a development version, a local build or one made without git metadata."""
    version = __version__ if version is None else version
    if version == _FALLBACK or not _RELEASE.fullmatch(version):
        return None
    return f"v{version}"
