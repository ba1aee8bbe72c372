"""Teams bound to GitHub accounts: ``teams/<slug>.toml``, owned by the maintainers.

A team is its folder slug (the ``<team>`` part of ``submissions/<task>/<team>__<model>/``) and
the GitHub accounts allowed to submit for it::

    # teams/knee-lab.toml
    name = "Knee Lab"                  # display name; its slug must be the file name
    members = ["octocat", "hubot"]     # GitHub logins

A team's first pull request adds its file; the grader flags that file as needing a maintainer's
approval and grades nothing for the team until the file is on the base branch. The trusted
scoring job takes the pull request's author from the GitHub event (never from the pull
request's files) and refuses a submission for a team whose file does not list that author.

>>> t = parse_team('name = "Knee Lab"\\nmembers = ["OctoCat"]\\n', "knee-lab")
>>> t.name, t.is_member("octocat")
('Knee Lab', True)
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Optional

from ..core.errors import Problem, SubmissionInvalid
from ..core.naming import slug
from ..submissions.metadata import MAX_NAME, check_name

__all__ = ["AUTHOR_ENV", "TEAMS_DIR", "MAX_MEMBERS", "Team", "parse_team", "valid_login", "team_file"]

TEAMS_DIR = "teams"
#: Environment variable with the pull request author's login (set by the trusted workflow).
AUTHOR_ENV = "BENCHMARK_PR_AUTHOR"
MAX_MEMBERS = 50
#: Largest team file read.
MAX_TEAM_FILE = 64 * 1024
# GitHub logins: 1-39 letters, digits and single hyphens, not starting or ending with one.
_LOGIN_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")


def valid_login(login: str) -> bool:
    """Whether ``login`` has the form of a GitHub account name.

    Examples
    --------
    >>> valid_login("octo-cat"), valid_login("-x"), valid_login("a--b"), valid_login("octo\\u200b")
    (True, False, False, False)
    """
    return isinstance(login, str) and bool(_LOGIN_RE.match(login))


def team_file(team_slug: str) -> str:
    """Repository path of a team's file."""
    return f"{TEAMS_DIR}/{team_slug}.toml"


@dataclass(frozen=True)
class Team:
    """A team: slug, display name and member logins (lower case)."""

    slug: str
    name: str
    members: tuple[str, ...]

    def is_member(self, login: Optional[str]) -> bool:
        """Whether the GitHub account ``login`` may submit for the team (case-insensitive)."""
        return bool(login) and login.lower() in self.members


def parse_team(text: str, team_slug: str, file: Optional[str] = None) -> Team:
    """Parse and check the text of ``teams/<team_slug>.toml``.

    Raises
    ------
    SubmissionInvalid
        With one problem per mistake (syntax, nesting, name, members).
    """
    file = file or team_file(team_slug)
    problems: list[Problem] = []
    if len(text) > MAX_TEAM_FILE:
        raise SubmissionInvalid([Problem("file-too-large", "the team file is too large", file=file,
                                         expected=f"at most {MAX_TEAM_FILE} characters",
                                         found=f"{len(text)} characters")])
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise SubmissionInvalid([Problem("toml-too-deep", "the team file nests brackets too deeply",
                                         file=file, fix="write name = \"...\" and members = [...]")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise SubmissionInvalid([Problem("toml-syntax", f"the team file is not valid TOML: {str(exc)[:200]}",
                                         file=file, fix='write name = "Team" and members = ["login"]')]) from None
    extra = sorted(set(data) - {"name", "members"})
    if extra:
        problems.append(Problem("unknown-field", "the team file holds only name and members", file=file,
                                found=", ".join(repr(k[:40]) for k in extra[:5]), fix="remove the other fields"))
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        problems.append(Problem("invalid-field", f"field 'name' must be text of 1 to {MAX_NAME} characters",
                                file=file, column="name", fix='name = "Knee Lab"'))
        name = None
    else:
        try:
            name = check_name(name)
        except ValueError as exc:
            problems.append(Problem("invalid-field", f"field 'name' {exc}", file=file, column="name"))
            name = None
    if name is not None and slug(name) != team_slug:
        problems.append(Problem("team-mismatch", "the team file's name must have the file's slug",
                                file=file, column="name", expected=f"a name whose slug is {team_slug!r}",
                                found=f"{name!r} (slug {slug(name)!r})",
                                fix=f"rename the file to {team_file(slug(name))}, or correct the name"))
    members = data.get("members")
    logins: list[str] = []
    if not isinstance(members, list) or not members or len(members) > MAX_MEMBERS:
        problems.append(Problem("invalid-field", f"field 'members' must list 1 to {MAX_MEMBERS} GitHub logins",
                                file=file, column="members", fix='members = ["octocat"]'))
    else:
        for i, m in enumerate(members):
            if not valid_login(m):
                shown = repr(m)[:60] if isinstance(m, str) else type(m).__name__
                problems.append(Problem("invalid-login", f"member {i + 1} is not a GitHub login", file=file,
                                        column="members", expected="1-39 letters, digits and single hyphens",
                                        found=shown))
            else:
                logins.append(m.lower())
    if problems:
        raise SubmissionInvalid(problems)
    return Team(team_slug, name, tuple(sorted(set(logins))))
