#!/usr/bin/env python3
"""The real-suite benchmark of issue 11 (standard library only).

Installs real open-source test suites from the registries (pinned), records
a full run of each as the round-0 history, then for N = 2, 4, 8 plans with
no tuning flags, runs every shard for real one after another
(`shardplan select --record DIR --exec`), merges and plans again, and
prints per suite x N x round: wall max/mean, mean |predicted - actual| /
actual, and whether every test of the full run ran exactly once (from the
runners' own reports).

Run it through bench/real-suites.sh, which builds the release binary.
Everything downloaded or written goes under $SHARDPLAN_BENCH_DIR
(default /tmp/shardplan-bench), never into the repository.
"""

import argparse
import collections
import glob
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.abspath(os.environ.get("SHARDPLAN_BENCH_DIR", "/tmp/shardplan-bench"))
SHARDPLAN = os.environ.get("SHARDPLAN", os.path.join(REPO, "target/release/shardplan"))

# Pinned versions.
PYTEST = "pytest==9.2.0"
PY_DEPS = ["numpy==2.1.3", "scipy==1.14.1"]
NETWORKX = "3.4.2"
# networkx's test directories planned (about 3,800 tests, ~40 s in one job):
# the slowest directories (connectivity, approximation, flow: long single
# tests) are left out to keep the benchmark near 25 minutes.
NETWORKX_PATHS = [
    "networkx/classes",
    "networkx/generators",
    "networkx/readwrite",
    "networkx/algorithms/tests",
    "networkx/algorithms/centrality",
    "networkx/algorithms/bipartite",
    "networkx/algorithms/shortest_paths",
    "networkx/linalg",
    "networkx/utils",
    "networkx/tests",
]
GO_DEBS = [
    "golang-golang-x-text-dev=0.7.0-1",
    "golang-github-google-go-cmp-dev=0.5.9-1",
    "golang-github-pelletier-go-toml.v2-dev=2.0.6-1",
    "golang-github-stretchr-testify-dev=1.8.1-1",
]
GO_PACKAGES = [
    "golang.org/x/text/...",
    "github.com/google/go-cmp/...",
    "github.com/pelletier/go-toml/v2/...",
    "github.com/stretchr/testify/...",
]
# A go suite of a realistic size (1,959 top-level tests in 180 packages,
# about a minute in one job on two cores), where a shard of eight runs
# for several seconds rather than two: x/net, x/crypto, x/exp,
# klauspost/compress, brotli, the tidwall packages and others, from Debian
# bookworm. Left out:
# tests that need the network or an sshd skip themselves; packages whose
# time is one timing-dependent test or minutes long are not listed
# (x/net/http2's TestTransportReturnsUnusedFlowControlMultipleWrites
# hung until go's 10-minute timeout in one shard, h2c's 65 s of backoff,
# x/net/internal/socket's 16 s race test, tidwall/rtree/base's 75 s
# benchmark test, klauspost's flate, s2, zip and zstd, 43 s to over 300 s
# each).
GO_LARGE_DEBS = [
    "golang-golang-x-net-dev=1:0.7.0+dfsg-1",
    "golang-golang-x-crypto-dev=1:0.4.0-1",
    "golang-github-tidwall-buntdb-dev=1.1.7-1",
    "golang-github-tidwall-gjson-dev=1.14.4-2",
    "golang-github-tidwall-btree-dev=0.3.0-2",
    "golang-github-tidwall-grect-dev=0.1.0-1",
    "golang-github-tidwall-match-dev=1.1.1-2",
    "golang-github-tidwall-pretty-dev=1.0.5-1",
    "golang-github-tidwall-rtree-dev=0.0~git20180113.6cd4270-3",
    "golang-github-tidwall-tinyqueue-dev=0.1.1-2",
    "golang-github-klauspost-compress-dev=1.15.12+ds1-3",
    "golang-github-andybalholm-brotli-dev=1.0.4-3",
    "golang-github-shopspring-decimal-dev=1.2.0-2",
    "golang-github-cockroachdb-apd-dev=2.0.1-1",
    "golang-github-alecthomas-chroma-v2-dev=2.5.0-1",
    "golang-github-yuin-goldmark-dev=1.5.4-1",
    "golang-github-itchyny-gojq-dev=0.12.11-1",
    "golang-golang-x-exp-dev=0.0~git20221028.83b7d23-2",
    "golang-github-hashicorp-hcl-v2-dev=2.14.1-2",
    "golang-github-zclconf-go-cty-dev=1.12.1-1",
]
GO_LARGE_PACKAGES = [
    "golang.org/x/net/bpf/...",
    "golang.org/x/net/context/...",
    "golang.org/x/net/dict/...",
    "golang.org/x/net/dns/...",
    "golang.org/x/net/html/...",
    "golang.org/x/net/http/...",
    "golang.org/x/net/http2/hpack",
    "golang.org/x/net/icmp/...",
    "golang.org/x/net/idna/...",
    "golang.org/x/net/internal/iana",
    "golang.org/x/net/internal/socks",
    "golang.org/x/net/internal/sockstest",
    "golang.org/x/net/internal/timeseries",
    "golang.org/x/net/ipv4/...",
    "golang.org/x/net/ipv6/...",
    "golang.org/x/net/nettest/...",
    "golang.org/x/net/netutil/...",
    "golang.org/x/net/proxy/...",
    "golang.org/x/net/publicsuffix/...",
    "golang.org/x/net/trace/...",
    "golang.org/x/net/webdav/...",
    "golang.org/x/net/websocket/...",
    "golang.org/x/net/xsrftoken/...",
    "golang.org/x/crypto/...",
    "github.com/tidwall/btree",
    "github.com/tidwall/buntdb",
    "github.com/tidwall/gjson",
    "github.com/tidwall/grect",
    "github.com/tidwall/match",
    "github.com/tidwall/pretty",
    "github.com/tidwall/rtree",
    "github.com/tidwall/tinyqueue",
    "github.com/klauspost/compress",
    "github.com/klauspost/compress/fse",
    "github.com/klauspost/compress/gzhttp/...",
    "github.com/klauspost/compress/gzip",
    "github.com/klauspost/compress/huff0",
    "github.com/klauspost/compress/internal/...",
    "github.com/klauspost/compress/snappy",
    "github.com/klauspost/compress/zlib",
    "github.com/andybalholm/brotli/...",
    "github.com/shopspring/decimal/...",
    "github.com/cockroachdb/apd/...",
    "github.com/alecthomas/chroma/v2/...",
    "github.com/yuin/goldmark/...",
    "github.com/itchyny/gojq/...",
    "golang.org/x/exp/...",
    "github.com/hashicorp/hcl/v2/...",
    "github.com/zclconf/go-cty/...",
]
CRATE = ("typenum", "1.20.1")
# zod publishes its sources with its vitest suite (src/**/tests/*.test.ts);
# the runner comes from npm at the versions of fixtures/suites/vitest.
ZOD = "4.6.7"
NPM_DEV = ["vitest@3.2.4", "vite@7.3.8"]
# zod 4's own suite (about 2,100 tests in 134 files, 45-60 s in one job on
# two cores, mostly vitest's per-file import of zod's sources): the v3
# compatibility tests are left out, and so are the three files that import
# packages zod's tarball does not name.
ZOD_VITEST_CONFIG = """export default {
  resolve: { conditions: ['@zod/source'] },
  ssr: { resolve: { conditions: ['@zod/source'] } },
  test: {
    include: ['src/v4/**/*.test.ts'],
    exclude: [
      'src/v4/classic/tests/file.test.ts',
      'src/v4/classic/tests/redos.test.ts',
      'src/v4/classic/tests/to-json-schema.test.ts',
    ],
    watch: false,
  },
};
"""
NEXTEST_CONFIG = '[profile.bench]\nfail-fast = false\n[profile.bench.junit]\npath = "junit.xml"\n'

SHARD_COUNTS = [2, 4, 8]


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(cmd, cwd=None, env=None, stdout=None, check=True):
    result = subprocess.run(
        cmd, cwd=cwd, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True
    )
    if check and result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(cmd)}\n{result.stderr[-3000:]}")
    return result


# ---------------------------------------------------------------- suites


class Suite:
    """One real suite: how to install, list, run whole and run a shard."""

    name = ""
    key = ""  # its runs' directory, when not the runner's name
    runner = ""
    cwd = ""
    report = ""  # the report's file name inside a run's directory

    def env(self):
        return dict(os.environ)

    def install(self):
        raise NotImplementedError

    def list_tests(self, path):
        """Writes the runner's own listing, for --tests-from."""
        raise NotImplementedError

    def full_run(self, out):
        """One job running the whole suite, its report into `out`."""
        raise NotImplementedError

    def extra_args(self, out):
        """What `select --exec --` adds to each shard command."""
        return []

    def collect(self, out, stdout_path):
        """After a shard: move its report into `out` (not timed)."""

    def tests_in(self, out):
        """The tests the runner's report in `out` says ran (a Counter)."""
        raise NotImplementedError


def junit_keys(path):
    ran = collections.Counter()
    for case in ET.parse(path).getroot().iter("testcase"):
        classname = case.get("classname") or ""
        if not classname and case.find("skipped") is not None:
            # pytest's entry for a module skipped at collection
            # (`importorskip`): no test of it was listed or planned.
            continue
        ran[(classname, case.get("name") or "")] += 1
    return ran


class Pytest(Suite):
    name = "pytest:networkx"
    runner = "pytest"
    report = "junit.xml"

    def __init__(self):
        self.venv = os.path.join(BENCH, "py")
        self.cwd = os.path.join(BENCH, f"networkx-{NETWORKX}")

    def env(self):
        env = dict(os.environ)
        env["PATH"] = os.path.join(self.venv, "bin") + os.pathsep + env["PATH"]
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        # pytest runs tests one at a time: numpy's BLAS threads would only
        # make some tests' times depend on what else the machine runs.
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = "1"
        env.pop("PYTHONPATH", None)
        return env

    def install(self):
        python = os.path.join(self.venv, "bin", "python")
        if not os.path.exists(python):
            run([sys.executable, "-m", "venv", self.venv])
        run([python, "-m", "pip", "install", "-q", PYTEST, *PY_DEPS])
        if not os.path.isdir(self.cwd):
            dl = os.path.join(BENCH, "dl")
            run([python, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                 f"networkx=={NETWORKX}", "-d", dl])
            with tarfile.open(os.path.join(dl, f"networkx-{NETWORKX}.tar.gz")) as tar:
                tar.extractall(BENCH)

    def pytest(self, *args):
        return ["python", "-m", "pytest", "-p", "no:cacheprovider", "-q", *args]

    def list_tests(self, path):
        with open(path, "w") as f:
            run(self.pytest("--collect-only", *NETWORKX_PATHS), self.cwd, self.env(), f)

    def full_run(self, out):
        run(self.pytest(f"--junitxml={out}/junit.xml", *NETWORKX_PATHS),
            self.cwd, self.env(), subprocess.DEVNULL, check=False)

    def extra_args(self, out):
        return ["-p", "no:cacheprovider", "-q", f"--junitxml={out}/junit.xml"]

    def tests_in(self, out):
        return junit_keys(os.path.join(out, "junit.xml"))


class GoTest(Suite):
    name = "go:x/text+cmp+toml+testify"
    key = "go"
    runner = "go"
    report = "go-test.json"
    debs = GO_DEBS
    packages = GO_PACKAGES

    def __init__(self, gopath="gopath"):
        # Each go suite copies the source tree into a GOPATH of its own
        # once, after its packages are installed.
        self.gopath = os.path.join(BENCH, gopath)
        self.cwd = os.path.join(self.gopath, "src")

    def env(self):
        env = dict(os.environ)
        env.update(GOPATH=self.gopath, GO111MODULE="off", GOFLAGS="-count=1",
                   GOCACHE=os.path.join(BENCH, "gocache"), GOPROXY="off")
        return env

    def install(self):
        missing = [d for d in self.debs
                   if run(["dpkg-query", "-W", "-f=${Version}", d.split("=")[0]],
                          check=False, stdout=subprocess.PIPE).stdout != d.split("=")[1]]
        if missing:
            run(["apt-get", "install", "-y", "-q", *missing],
                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), stdout=subprocess.DEVNULL)
        if not os.path.isdir(self.cwd):
            # A writable copy (symlinks resolved) of Debian's Go source tree.
            shutil.copytree("/usr/share/gocode/src", self.cwd, symlinks=False)
        # Warm the build cache so that every shard links, as a CI job with
        # a cached build would, rather than compiling the world once.
        run(["go", "test", "-count=1", "-run", "^$", *self.packages], self.cwd, self.env(),
            subprocess.DEVNULL)

    def list_tests(self, path):
        with open(path, "w") as f:
            run(["go", "test", "-list", ".", *self.packages], self.cwd, self.env(), f)

    def full_run(self, out):
        with open(os.path.join(out, self.report), "w") as f:
            run(["go", "test", "-json", *self.packages], self.cwd, self.env(), f, check=False)

    def extra_args(self, out):
        return ["-json"]

    def tests_in(self, out):
        ran = collections.Counter()
        with open(os.path.join(out, self.report)) as f:
            for line in f:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                test = event.get("Test")
                if test and "/" not in test and event.get("Action") in ("pass", "fail", "skip"):
                    ran[(event["Package"], test)] += 1
        return ran


class GoTestLarge(GoTest):
    name = "go:x/net+x/crypto+x/exp+compress+16 more"
    key = "go-large"
    debs = GO_LARGE_DEBS
    packages = GO_LARGE_PACKAGES

    def __init__(self):
        super().__init__("gopath-large")


class Nextest(Suite):
    name = "nextest:typenum"
    runner = "nextest"
    report = "junit.xml"

    def __init__(self):
        self.cwd = os.path.join(BENCH, "crates", f"{CRATE[0]}-{CRATE[1]}")

    def env(self):
        env = dict(os.environ)
        env["CARGO_TERM_COLOR"] = "never"
        return env

    def install(self):
        if not os.path.isdir(self.cwd):
            # cargo fetches the pinned crate from crates.io into a private
            # CARGO_HOME; the package (its tests included) is copied out.
            probe = os.path.join(BENCH, "crates", "probe")
            home = os.path.join(BENCH, "cargo-home")
            os.makedirs(os.path.join(probe, "src"), exist_ok=True)
            with open(os.path.join(probe, "Cargo.toml"), "w") as f:
                f.write('[package]\nname = "probe"\nversion = "0.0.0"\nedition = "2021"\n'
                        f'[dependencies]\n{CRATE[0]} = "={CRATE[1]}"\n')
            open(os.path.join(probe, "src", "lib.rs"), "w").close()
            run(["cargo", "fetch", "-q"], probe, dict(os.environ, CARGO_HOME=home))
            src = glob.glob(os.path.join(home, "registry", "src", "*", f"{CRATE[0]}-{CRATE[1]}"))
            shutil.copytree(src[0], self.cwd)
        os.makedirs(os.path.join(self.cwd, ".config"), exist_ok=True)
        with open(os.path.join(self.cwd, ".config", "nextest.toml"), "w") as f:
            f.write(NEXTEST_CONFIG)
        run(["cargo", "nextest", "run", "--profile", "bench", "--no-run"], self.cwd, self.env(),
            subprocess.DEVNULL)

    def list_tests(self, path):
        with open(path, "w") as f:
            run(["cargo", "nextest", "list", "--message-format", "oneline"], self.cwd, self.env(), f)

    def junit(self):
        return os.path.join(self.cwd, "target", "nextest", "bench", "junit.xml")

    def full_run(self, out):
        run(["cargo", "nextest", "run", "--profile", "bench"], self.cwd, self.env(),
            subprocess.DEVNULL, check=False)
        self.collect(out, None)

    def extra_args(self, out):
        return ["--profile", "bench"]

    def collect(self, out, stdout_path):
        shutil.move(self.junit(), os.path.join(out, self.report))

    def tests_in(self, out):
        return junit_keys(os.path.join(out, self.report))


class Vitest(Suite):
    name = "vitest:zod"
    runner = "vitest"
    report = "junit.xml"

    def __init__(self):
        self.cwd = os.path.join(BENCH, f"zod-{ZOD}")

    def env(self):
        env = dict(os.environ)
        env["NO_COLOR"] = "1"
        return env

    def install(self):
        if not os.path.isdir(self.cwd):
            # The published tarball, sources and tests, unpacked as a
            # writable copy.
            dl = os.path.join(BENCH, "dl")
            os.makedirs(dl, exist_ok=True)
            run(["npm", "pack", "-q", f"zod@{ZOD}", "--pack-destination", dl], dl,
                stdout=subprocess.DEVNULL)
            unpacked = os.path.join(BENCH, "dl", f"zod-{ZOD}")
            shutil.rmtree(unpacked, ignore_errors=True)
            with tarfile.open(os.path.join(dl, f"zod-{ZOD}.tgz")) as tar:
                tar.extractall(unpacked)
            shutil.move(os.path.join(unpacked, "package"), self.cwd)
            shutil.rmtree(unpacked)
        with open(os.path.join(self.cwd, "vitest.config.mjs"), "w") as f:
            f.write(ZOD_VITEST_CONFIG)
        if not os.path.exists(os.path.join(self.cwd, "node_modules", ".bin", "vitest")):
            run(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--ignore-scripts",
                 *NPM_DEV], self.cwd, self.env(), subprocess.DEVNULL)

    def vitest(self, *args):
        return ["npx", "--no", "--", "vitest", *args]

    def list_tests(self, path):
        with open(path, "w") as f:
            run(self.vitest("list", "--filesOnly"), self.cwd, self.env(), f)

    def full_run(self, out):
        run(self.vitest("run", *self.extra_args(out)), self.cwd, self.env(),
            subprocess.DEVNULL, check=False)

    def extra_args(self, out):
        return ["--reporter=junit", f"--outputFile={out}/junit.xml"]

    def tests_in(self, out):
        return junit_keys(os.path.join(out, self.report))


SUITES = {"pytest": Pytest, "go": GoTest, "go-large": GoTestLarge, "nextest": Nextest,
          "vitest": Vitest}


# ---------------------------------------------------------------- rounds


def shardplan(args, cwd, env, stdout=None):
    return run([SHARDPLAN, *args], cwd, env, stdout)


def plan(suite, work, shards, history, tests, name):
    path = os.path.join(work, f"{name}-plan.json")
    result = shardplan(["plan", "--shards", str(shards), "--timings", history,
                        "--tests-from", tests, "--runner", suite.runner, "-o", path],
                       suite.cwd, suite.env())
    with open(os.path.join(work, f"{name}-plan.log"), "w") as f:
        f.write(result.stderr)
    with open(path) as f:
        doc = json.load(f)
    return path, doc


def run_round(suite, work, shards, history, tests, name, everyone, replay=None):
    """Plans from `history`, runs every shard, merges into `history`.
    With `replay` (a plan path), runs that plan's shards again instead and
    merges nothing: what the same shards measure twice."""
    if replay:
        plan_path = replay
        with open(plan_path) as f:
            doc = json.load(f)
    else:
        plan_path, doc = plan(suite, work, shards, history, tests, name)
    predicted = [s["predicted_seconds"] for s in doc["shards"]]
    walls = []
    ran = collections.Counter()
    for index in range(shards):
        out = os.path.join(work, name, f"shard-{index}")
        os.makedirs(out)
        stdout_path = os.path.join(work, f"{name}-shard-{index}.out")
        stdout = os.path.join(out, suite.report) if suite.runner == "go" else stdout_path
        with open(stdout, "w") as f:
            started = time.monotonic()
            # The whole shard as a CI job runs it: select, then the runner
            # (interpreter or toolchain start-up included).
            result = run([SHARDPLAN, "select", "--plan", plan_path, "--index", str(index),
                          "--record", out, "-q", "--exec", "--", *suite.extra_args(out)],
                         suite.cwd, suite.env(), f, check=False)
            walls.append(time.monotonic() - started)
        with open(stdout_path + ".err", "w") as f:
            f.write(result.stderr)
        suite.collect(out, stdout_path)
        # In how many shards each test ran (a test that runs its own
        # suite as a subprocess, as testify's do, shows up twice in one
        # shard's stream and in the full run's alike).
        ran.update(set(suite.tests_in(out)))
    if replay:
        return {"predicted": predicted, "walls": walls, "check": exactly_once(everyone, ran),
                "cost_model": doc.get("cost_model"), "plan": plan_path}
    merge = shardplan(["merge", "--into", history, os.path.join(work, name)],
                      suite.cwd, suite.env())
    with open(os.path.join(work, f"{name}-merge.log"), "w") as f:
        f.write(merge.stderr)
    return {
        "predicted": predicted,
        "walls": walls,
        "check": exactly_once(everyone, ran),
        "cost_model": doc.get("cost_model"),
        "merge": merge.stderr,
        "plan": plan_path,
    }


def exactly_once(everyone, ran):
    missing = sum(1 for t in everyone if ran[t] == 0)
    twice = sum(1 for t, n in ran.items() if n > 1)
    extra = sum(1 for t in ran if t not in everyone)
    ok = missing == 0 and twice == 0 and extra == 0
    return ok, f"{len(everyone) - missing}/{len(everyone)}, {missing} missing, {twice} twice, {extra} unknown"


def describe_costs(cost_model):
    if not cost_model:
        return ""
    s, g = cost_model["shard_startup"], cost_model["group_cost"]
    text = f"startup {s['seconds']:.2f}s {s['source']}, group {g['seconds']:.3f}s {g['source']}"
    k = cost_model.get("concurrency")
    if k:
        text += f", concurrency {k['factor']:.2f} {k['source']}"
    return text


def bench_suite(suite, shard_counts, rows, noise=False):
    log(f"{suite.name}: install")
    suite.install()
    root = os.path.join(BENCH, "runs", suite.key or suite.runner)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    tests = os.path.join(root, "tests.txt")
    log(f"{suite.name}: list tests")
    suite.list_tests(tests)
    log(f"{suite.name}: round 0, the full run in one job")
    full = os.path.join(root, "full")
    os.makedirs(full)
    started = time.monotonic()
    suite.full_run(full)
    full_wall = time.monotonic() - started
    everyone = set(suite.tests_in(full))
    history0 = os.path.join(root, "history0.json")
    shardplan(["merge", "--into", history0, full], suite.cwd, suite.env())
    rows.append((suite.name, 1, 0, [full_wall], None, (True, f"{len(everyone)} tests"), ""))
    log(f"{suite.name}: full run {full_wall:.1f}s, {len(everyone)} tests")
    for shards in shard_counts:
        work = os.path.join(root, f"n{shards}")
        os.makedirs(work)
        history = os.path.join(work, "timings.json")
        shutil.copy(history0, history)
        for number in (1, 2):
            log(f"{suite.name}: N={shards} round {number}")
            r = run_round(suite, work, shards, history, tests, f"round{number}", everyone)
            rows.append((suite.name, shards, number, r["walls"], r["predicted"], r["check"],
                         describe_costs(r["cost_model"])))
            print_row(rows[-1], sys.stderr)
            # What every user's merge says of the same shards (walls from
            # the records: select's start to the runner's exit).
            for line in r["merge"].splitlines():
                if "predictions missed" in line:
                    log(f"{suite.name}: N={shards} round {number}, merge: {line.split(': ', 1)[1]}")
        if noise:
            # Round 2's plan once more, unchanged: how much the same shards'
            # walls move between two runs on this machine.
            log(f"{suite.name}: N={shards} round 2 again (--noise)")
            again = run_round(suite, work, shards, history, tests, "round2-again", everyone,
                              replay=r["plan"])
            moved = [abs(b - a) / a for a, b in zip(r["walls"], again["walls"])]
            rows.append((suite.name, shards, "2 again", again["walls"], again["predicted"],
                         again["check"], f"same plan; shard walls moved {sum(moved) / len(moved) * 100:.1f}% "
                         f"on average, at most {max(moved) * 100:.1f}%"))
            print_row(rows[-1], sys.stderr)


def ratios(walls, predicted):
    mean = sum(walls) / len(walls)
    balance = max(walls) / mean
    error = None
    if predicted is not None:
        error = sum(abs(p - a) / a for p, a in zip(predicted, walls)) / len(walls)
    return balance, error


def print_row(row, out):
    name, shards, number, walls, predicted, (ok, counts), costs = row
    balance, error = ratios(walls, predicted)
    err = "-" if error is None else f"{error * 100:.1f}%"
    goal = ""
    if number in (2, "2 again") and shards >= 4:
        goal = "ok" if balance <= 1.10 and error <= 0.10 and ok else "MISS"
    print(f"| {name} | {shards} | {number} | {max(walls):.1f}s / {sum(walls) / len(walls):.1f}s "
          f"= {balance:.3f} | {err} | {'yes' if ok else 'NO'} ({counts}) | {goal} | {costs} |",
          file=out, flush=True)


def print_details(rows, out):
    print("\nper shard, predicted / actual seconds:", file=out)
    for name, shards, number, walls, predicted, _, _ in rows:
        if predicted is None:
            continue
        pairs = " ".join(f"{p:.1f}/{a:.1f}" for p, a in zip(predicted, walls))
        print(f"  {name} N={shards} round {number}: {pairs}", file=out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", default="pytest,go,go-large,nextest,vitest",
                        help="comma-separated, of: " + ", ".join(SUITES))
    parser.add_argument("--shards", default=",".join(map(str, SHARD_COUNTS)))
    parser.add_argument("--noise", action="store_true",
                        help="also run round 2's plan a second time (no merge) and show how "
                        "much the same shards' walls move")
    args = parser.parse_args()
    if not os.access(SHARDPLAN, os.X_OK):
        sys.exit(f"no shardplan binary at {SHARDPLAN}: run `cargo build --release`")
    os.makedirs(BENCH, exist_ok=True)
    shard_counts = [int(n) for n in args.shards.split(",")]
    rows = []
    started = time.monotonic()
    for key in args.suites.split(","):
        bench_suite(SUITES[key](), shard_counts, rows, args.noise)
    table = [
        "| suite | N | round | wall max / mean | mean abs(pred-actual)/actual | exactly once | "
        "goal (round 2, N>=4) | cost model planned with |",
        "|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(table))
    for row in rows:
        print_row(row, sys.stdout)
    print_details(rows, sys.stdout)
    print(f"\nshardplan {run([SHARDPLAN, '--version'], stdout=subprocess.PIPE).stdout.strip()}; "
          f"{os.cpu_count()} cores; benchmark took {(time.monotonic() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
