"""Names made safe for folders, files, anchors and keys: the one slug rule.

A slug is made of ASCII lower-case letters ``a-z``, digits ``0-9`` and ``-``:

1. the text is normalised to Unicode NFKC first, so compatibility forms become the letters they
   stand for (full-width ``ＡＢＣ`` is ``ABC``, the ligature ``ﬁ`` is ``fi``, ``²`` is ``2``);
2. it is lower-cased;
3. every run of characters other than ``a-z`` and ``0-9`` becomes one ``-``: spaces,
   punctuation, ``_``, and letters outside ASCII (``é``, ``ß``, ``Ж``, ``東``) alike; nothing is
   transliterated, so ``Équipe`` gives ``quipe`` and a name written only in another script
   gives the empty string;
4. leading and trailing ``-`` are dropped.

The result may be empty; callers that need a name refuse an empty slug with their own
message. Submission folders are ``<team-slug>__<model-slug>`` (:data:`FOLDER_RE`).

Examples
--------
>>> slug("  ACME  AI!"), slug("Équipe 3"), slug("ＡＣＭＥ Lab"), slug("東京")
('acme-ai', 'quipe-3', 'acme-lab', '')
>>> entry_slug("demo-lab-a__resnet-50")
'demo-lab-a__resnet-50'
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["FOLDER_RE", "SEPARATOR", "entry_slug", "slug"]

#: Between the team and the model slug of a submission folder.
SEPARATOR = "__"
#: A submission folder name: ``<team>__<model>``, each part a slug (group 1: team, 2: model).
FOLDER_RE = re.compile(r"^([a-z0-9][a-z0-9-]*)__([a-z0-9][a-z0-9-]*)$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """The slug of ``text``: NFKC, lower case, runs of anything but ``a-z0-9`` made one ``-``.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        Possibly empty (a text without any letter or digit that NFKC maps to ASCII).

    Examples
    --------
    >>> slug("Demo Lab A"), slug("a_b--c"), slug("ﬁle²"), slug("---")
    ('demo-lab-a', 'a-b-c', 'file2', '')
    """
    return _NOT_SLUG.sub("-", unicodedata.normalize("NFKC", str(text)).lower()).strip("-")


def entry_slug(name: str) -> str:
    """A submission folder name made safe as a file name: each ``__`` part slugged.

    A valid ``<team>__<model>`` name is returned unchanged; empty parts are dropped, and a name
    with nothing left is ``"entry"``.

    Examples
    --------
    >>> entry_slug("lab-a__net"), entry_slug("Lab A__Net 2"), entry_slug("__")
    ('lab-a__net', 'lab-a__net-2', 'entry')
    """
    return SEPARATOR.join(p for p in (slug(part) for part in str(name).split(SEPARATOR)) if p) or "entry"
