"""Words for people: plurals, and one readable line for any error (no Streamlit needed).

The run worker and the pages both turn errors into text with
:func:`readable_error`, so a failed run says the same thing in the log, the
page and the results history.
"""

from __future__ import annotations

import re

__all__ = ["plural", "readable_error", "without_paths"]

#: An absolute path on the server: a slash-separated run of names ending in a file or folder name.
_PATH = re.compile(r"(?<![\w.])(?:/[\w.@+-]+)+/([\w.@+-]+)")


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` and ``word``, in the plural unless ``n`` is one.

    >>> plural(1, "level"), plural(4, "level"), plural(2, "bed", "beds")
    ('1 level', '4 levels', '2 beds')
    """
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def readable_error(exc: BaseException) -> str:
    """One line for a person: the message of an expected error, or a plain defect notice.

    Expected errors (facility, scenario and scan errors) carry messages that
    name the file and the field; anything else is a defect of medtwin, shown
    by its type and message only, never as a traceback.

    >>> readable_error(TypeError("'int' object is not iterable"))  # doctest: +ELLIPSIS
    "medtwin could not handle this (TypeError: 'int' object is not iterable). This is a defect: ..."
    >>> from scenarios.errors import ScenarioFileError
    >>> readable_error(ScenarioFileError("/srv/medtwin/scenarios/library/week.yaml", "seed", "bad"))
    'week.yaml: seed: bad'
    """
    from facility import FacilityError
    from lidar import LidarError
    from scenarios.errors import ScenarioError

    # Either names the file it read, which may lie in the server's folders (the library, a job's
    # folder): the page says which file, never where the server keeps it.
    if isinstance(exc, FacilityError | ScenarioError | LidarError):
        return without_paths(str(exc))
    return without_paths(f"medtwin could not handle this ({type(exc).__name__}: {exc}). "
                         "This is a defect: please report it with the file you used.")


def without_paths(text: str) -> str:
    """``text`` with every absolute path on the server cut to its last name.

    A failed run's message names the file it read, which on the server lies in the app's
    working folders: the page says which file, never where the server keeps it.

    >>> without_paths("/srv/results/_app_jobs/night-1a/scenario.yaml: population.groups[0]: selects no space")
    'scenario.yaml: population.groups[0]: selects no space'
    >>> without_paths("needs 1.1 m doors and/or a lift")
    'needs 1.1 m doors and/or a lift'
    """
    return _PATH.sub(r"\1", text)
