"""pytest plugin: run one shard of a shardplan plan, selected by exact node id.

``pip install shardplan`` installs the ``shardplan`` binary and this plugin
(entry point ``pytest11``, name ``shardplan``; ``-p no:shardplan`` turns it
off). With ``--shardplan-shards N --shardplan-index I``, or in a CI job whose
variables give the shard (``SHARDPLAN_INDEX``/``SHARDPLAN_SHARDS``,
``CI_NODE_INDEX``/``CI_NODE_TOTAL``, ...; see ``CI_VARIABLES``), the plugin:

1. writes the node ids of every item pytest collected (after ``-k``, ``-m``
   and other plugins' selection) to a temporary file, so every collected test
   is planned, including tests added since the timings were recorded;
2. runs ``shardplan plan --tests-from FILE --runner pytest`` with the timings
   and any extra shardplan options: the plan ``shardplan --shards N --index I
   --tests-from FILE --runner pytest`` makes from the same inputs;
3. checks that the plan places every collected test on exactly one shard;
4. runs ``shardplan select --list-tests`` for this shard and keeps exactly
   the items whose node id it lists (set membership, never pytest's
   ``--deselect``, which matches node-id *prefixes*); the rest are reported
   as deselected.

shardplan reads the CI's variables itself, exactly as the CLI does: the
plugin passes ``--shards``/``--index`` only when they are given. Without
shard options and without CI variables the plugin does nothing. When
shardplan fails, the pytest session fails with shardplan's message; it never
runs all or none of the tests instead. A shard with nothing to run exits 0.

The binary is ``$SHARDPLAN_BIN`` when set, else the one installed with this
plugin (from the same wheel), else ``shardplan`` on PATH.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

import pytest

try:
    from importlib import metadata as _metadata
except ImportError:  # pragma: no cover - Python < 3.8 is not supported
    _metadata = None  # type: ignore[assignment]

#: The (index, count) variable pairs from which shardplan takes the shard, in
#: its order of precedence: the ``PROVIDERS`` of shardplan's ``src/ci_env.rs``
#: (``tests/pytest_plugin.rs`` checks that the two lists agree).
CI_VARIABLES = (
    ("SHARDPLAN_INDEX", "SHARDPLAN_SHARDS"),
    ("TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS"),
    ("CI_NODE_INDEX", "CI_NODE_TOTAL"),
    ("CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL"),
    ("BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT"),
    ("SEMAPHORE_JOB_INDEX", "SEMAPHORE_JOB_COUNT"),
    ("SYSTEM_JOBPOSITIONINPHASE", "SYSTEM_TOTALJOBSINPHASE"),
    ("BITBUCKET_PARALLEL_STEP", "BITBUCKET_PARALLEL_STEP_COUNT"),
)

#: shardplan options the plugin sets itself, or that would change what
#: shardplan prints; refused in ``--shardplan-args``.
RESERVED_OPTIONS = (
    "--shards",
    "--index",
    "--shard",
    "--tests-from",
    "--runner",
    "--output",
    "-o",
    "--catch-all",
    "--json",
    "--exec",
    "--template",
    "--list-file",
    "--list-tests",
    "--plan",
)

#: shardplan's lines about files and commands that are the plugin's own
#: business (its temporary plan, a runner command it does not run).
_NOT_SHOWN = ("shardplan: wrote plan ", "shardplan: note: shard ")

#: Where the plugin keeps what it did, for the report hooks.
_STATE = pytest.StashKey[Dict[str, object]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declares the ``--shardplan-*`` options."""
    group = parser.getgroup("shardplan", "shardplan: run one shard of the suite")
    group.addoption(
        "--shardplan-shards",
        metavar="N",
        default=None,
        help="Number of shards to plan (default: the CI's job count, e.g. CI_NODE_TOTAL).",
    )
    group.addoption(
        "--shardplan-index",
        metavar="I",
        default=None,
        help="This job's shard, 0-based (default: from the CI's variables, e.g. CI_NODE_INDEX).",
    )
    group.addoption(
        "--shardplan-timings",
        metavar="PATH",
        action="append",
        default=[],
        help="Timing report: a file, a directory or a quoted glob (repeatable). "
        "Default: .shardplan/timings.json if it exists.",
    )
    group.addoption(
        "--shardplan-args",
        "--shardplan-runner-args",
        dest="shardplan_args",
        metavar="ARGS",
        default="",
        help="More options for `shardplan plan`, one shell-quoted string, "
        "e.g. '--by file --shard-overhead 90s'.",
    )


def _ci_shard_variables(environ: Mapping[str, str]) -> List[str]:
    """The CI shard variables set (non-empty) in ``environ``."""
    return [name for pair in CI_VARIABLES for name in pair if environ.get(name, "").strip()]


def _find_binary() -> str:
    """The shardplan binary to run: ``$SHARDPLAN_BIN``, the one installed
    with this plugin, or ``shardplan`` on PATH."""
    override = os.environ.get("SHARDPLAN_BIN", "")
    if override:
        if not Path(override).is_file():
            raise pytest.UsageError(f"shardplan: SHARDPLAN_BIN={override!r} is not a file")
        return override
    executable = "shardplan.exe" if os.name == "nt" else "shardplan"
    if _metadata is not None:
        try:
            dist = _metadata.distribution("shardplan")
        except _metadata.PackageNotFoundError:
            dist = None
        for file in (dist.files or []) if dist is not None else []:
            if file.name == executable:
                path = Path(str(dist.locate_file(file))).resolve()
                if path.is_file():
                    return str(path)
    found = shutil.which("shardplan")
    if found:
        return found
    raise pytest.UsageError(
        "shardplan: the shardplan binary was not found: `pip install shardplan` "
        "installs it with this plugin; or put it on PATH, or set SHARDPLAN_BIN"
    )


def _extra_args(text: str) -> List[str]:
    """``--shardplan-args`` split as a shell would, without the options the
    plugin sets itself."""
    try:
        args = shlex.split(text)
    except ValueError as error:
        raise pytest.UsageError(f"shardplan: --shardplan-args {text!r}: {error}") from None
    for arg in args:
        name = arg.split("=", 1)[0]
        if name in RESERVED_OPTIONS:
            raise pytest.UsageError(
                f"shardplan: {name} cannot be given in --shardplan-args: the plugin "
                "sets it (use --shardplan-shards and --shardplan-index for the shard)"
            )
    return args


def _run(argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess:
    """Runs shardplan; a failure fails the session with its message."""
    try:
        done = subprocess.run(
            list(argv),
            cwd=str(cwd),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as error:
        raise pytest.UsageError(f"shardplan: cannot run {argv[0]}: {error}") from None
    if done.returncode != 0:
        raise pytest.UsageError(
            f"shardplan failed (exit status {done.returncode}): "
            f"{shlex.join(argv)}\n{done.stderr.rstrip()}\n"
            "(the plugin passes --shardplan-shards as --shards, --shardplan-index as "
            "--index, and --shardplan-args as they are)"
        )
    return done


def _check_plan(plan_path: Path, collected: Sequence[str]) -> None:
    """Fails unless the plan places every collected test on exactly one
    shard and plans nothing else."""
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    placed: Dict[str, int] = {}
    for shard in plan["shards"]:
        for member in shard["members"]:
            placed[member["id"]] = placed.get(member["id"], 0) + 1
    wanted = set(collected)
    problems = []
    missing = [test for test in collected if test not in placed]
    if missing:
        problems.append(f"{len(missing)} collected tests are on no shard, e.g. {missing[0]}")
    twice = sorted(test for test, count in placed.items() if count > 1)
    if twice:
        problems.append(f"{len(twice)} tests are on several shards, e.g. {twice[0]}")
    unknown = sorted(test for test in placed if test not in wanted)
    if unknown:
        problems.append(f"{len(unknown)} planned tests were not collected, e.g. {unknown[0]}")
    if problems:
        raise pytest.UsageError(
            "shardplan: the plan does not match the collection: " + "; ".join(problems)
        )


def _select(config: pytest.Config, items: List[pytest.Item]) -> Optional[Dict[str, object]]:
    """Plans the collected ``items`` and keeps this shard's; returns what it
    did, or ``None`` when the plugin is not asked to shard."""
    shards = config.getoption("shardplan_shards")
    index = config.getoption("shardplan_index")
    if shards is None and index is None and not _ci_shard_variables(os.environ):
        return None
    extra = _extra_args(config.getoption("shardplan_args") or "")
    binary = _find_binary()
    cwd = Path(config.invocation_params.dir)
    collected = list(dict.fromkeys(item.nodeid for item in items))
    with tempfile.TemporaryDirectory(prefix="shardplan-pytest-") as temp:
        listed = Path(temp, "tests.txt")
        listed.write_text("".join(f"{test}\n" for test in collected), encoding="utf-8")
        plan_path = Path(temp, "plan.json")
        plan = [binary, "plan", "--tests-from", str(listed), "--runner", "pytest"]
        if shards is not None:
            plan += ["--shards", str(shards)]
        for timings in config.getoption("shardplan_timings"):
            plan += ["--timings", timings]
        if not any(arg.split("=", 1)[0] == "--root" for arg in extra):
            # Node ids are relative to the rootdir; so are report paths then.
            plan += ["--root", str(config.rootpath)]
        plan += extra
        plan += ["--output", str(plan_path)]
        planned = _run(plan, cwd)
        _check_plan(plan_path, collected)
        select = [binary, "select", "--plan", str(plan_path), "--list-tests"]
        if index is not None:
            select += ["--index", str(index)]
        selected = _run(select, cwd)
    chosen = {line for line in selected.stdout.splitlines() if line}
    unknown = sorted(chosen.difference(collected))
    if unknown:
        raise pytest.UsageError(
            f"shardplan: selected {len(unknown)} tests pytest did not collect, e.g. {unknown[0]}"
        )
    keep = [item for item in items if item.nodeid in chosen]
    drop = [item for item in items if item.nodeid not in chosen]
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep
    lines = [f"shardplan: {binary}"]
    lines += [
        line
        for line in planned.stderr.splitlines() + selected.stderr.splitlines()
        if not line.startswith(_NOT_SHOWN)
    ]
    lines.append(f"shardplan: running {len(keep)} of {len(collected)} collected tests")
    return {"lines": lines, "kept": len(keep), "collected": len(collected)}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: List[pytest.Item]
) -> None:
    """Keeps only this shard's items, after every other plugin's selection."""
    if not items:
        return
    state = _select(config, items)
    if state is not None:
        config.stash[_STATE] = state


def pytest_report_collectionfinish(config: pytest.Config) -> List[str]:
    """Shows shardplan's summary under pytest's ``collected N items``."""
    state = config.stash.get(_STATE, None)
    return list(state["lines"]) if state else []  # type: ignore[call-overload]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A shard the plan left empty has run what it should: exit 0, not 5."""
    state = session.config.stash.get(_STATE, None)
    if state and state["kept"] == 0 and session.exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.OK
