"""Errors of scenario files, runs and the results store.

Messages name the file, the field (as a dotted path such as
``pathways.ed.steps[2].duration.mean``) and what was expected.
"""

from __future__ import annotations

__all__ = [
    "ArgumentError",
    "BackendError",
    "CorruptResultsError",
    "PlacementError",
    "ResultsStoreError",
    "RunCancelled",
    "RunError",
    "ScenarioError",
    "ScenarioFileError",
]


class ScenarioError(Exception):
    """Base class of every scenario error."""


class ScenarioFileError(ScenarioError, ValueError):
    """A scenario file is unreadable or invalid.

    Attributes:
        path: The file (or ``"<scenario>"`` for one built in code).
        field: Dotted path of the offending key, or ``""`` for the whole file.
        problem: What is wrong and what was expected.
    """

    def __init__(self, path: str, field: str, problem: str) -> None:
        self.path = path
        self.field = field
        self.problem = problem
        # The fields are the arguments, so that ``type(exc)(*exc.args)`` rebuilds it: SimPy does
        # exactly that to an exception raised in a process (a model check found mid-run), and a
        # message as the only argument made the copy fail as a TypeError and the run a crash.
        super().__init__(path, field, problem)

    def __str__(self) -> str:
        where = f"{self.path}: {self.field}" if self.field else self.path
        return f"{where}: {self.problem}"

    def __reduce__(self) -> tuple[type[ScenarioFileError], tuple[str, str, str]]:
        # Rebuilt from its fields, so it crosses to and from worker processes intact.
        return (type(self), (self.path, self.field, self.problem))


class RunError(ScenarioError, RuntimeError):
    """A run could not be carried out (e.g. its facility lacks what it needs)."""


class PlacementError(RunError):
    """An occupant cannot be put on the floor where the scenario places them (a position in a
    wall, a room too full for its people).

    Attributes:
        who: The occupant's id, from which a scenario's runner names the field that placed them.
        problem: What is wrong.
    """

    def __init__(self, who: str, problem: str) -> None:
        self.who = who
        self.problem = problem
        super().__init__(who, problem)

    def __str__(self) -> str:
        return f"occupant {self.who}: {self.problem}"

    def __reduce__(self) -> tuple[type[PlacementError], tuple[str, str]]:
        return (type(self), (self.who, self.problem))


class ResultsStoreError(ScenarioError, OSError):
    """Results could not be stored without risking results already there."""


class ArgumentError(ScenarioError, ValueError):
    """A run or sweep argument (a command-line flag or keyword) has a bad value; the message names it."""


class CorruptResultsError(ResultsStoreError):
    """A stored run folder or one of its files is unreadable (the message names the file)."""


class BackendError(RunError):
    """A backend cannot run replications (e.g. a Dask scheduler that cannot be reached)."""


class RunCancelled(RunError):
    """A run was cancelled; its finished replications are kept for ``resume``."""
