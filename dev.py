#!/usr/bin/env python3
"""Set up and run Zcheap Studio, or its tests, on a fresh machine with only Python >= 3.11.

    python3 dev.py [--port N] set up, then run the app (web + worker, SQLite, demo mode);
                              the port is 8000, or $PORT, or N
    python3 dev.py test       set up, then run every test (browser tests included) in a random
                              order; the seed is printed (TEST_SEED=N repeats an order)
    python3 dev.py mutate     mutation-test the security- and money-critical code, print the
                              kill rate per area (MUTATE_KEEP=1 reuses the last run's results)
    python3 dev.py setup      only create/refresh the virtualenv

Both stop cleanly with one Ctrl-C. Extra arguments after `test` go to pytest.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".installed"
DATA = Path(os.environ.get("ZCHEAP_DATA_DIR", ROOT / "data"))
CHROMIUM = "/usr/bin/chromium"


def say(message: str) -> None:
    print(f"\033[1;35m==>\033[0m {message}", flush=True)


def setup() -> None:
    """Create .venv and install the project when pyproject.toml changed since last time."""
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py runs on the system Python)
        sys.exit("Zcheap Studio needs Python 3.11 or newer.")
    if not PY.exists():
        say("creating virtualenv in .venv")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    say("installing dependencies (first run takes a minute)")
    pip = [str(PY), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", ".[dev]"], check=True, cwd=ROOT)
    STAMP.write_text(wanted)


def manage(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(PY), "manage.py", *args], cwd=ROOT, check=True, **kwargs)


def demo_password() -> str:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / "demo-password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(9))
        path.chmod(0o600)
    return path.read_text().strip()


def run(port: int) -> int:
    setup()
    say("applying database migrations")
    manage("migrate", "--no-input", "-v", "0")
    email, password = "demo@example.com", demo_password()
    manage(
        "createteam",
        "Demo team",
        "--owner",
        email,
        "--password",
        password,
        stdout=subprocess.DEVNULL,
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # Only the development run command turns demo mode (the built-in simulator) on.
    env.setdefault("ZCHEAP_DEMO_MODE", "1")
    # The simulator fetches reference images from our signed links on this server.
    env.setdefault("ZCHEAP_PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    # Each child gets its own process group, so stopping reaches runserver's autoreloader
    # child too, and a Ctrl-C is handled once, here, instead of racing in every process.
    commands = [["runserver", f"127.0.0.1:{port}"], ["run_worker", "--interval", "0.5"]]
    procs = [
        subprocess.Popen([str(PY), "manage.py", *cmd], cwd=ROOT, env=env, start_new_session=True)
        for cmd in commands
    ]
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    time.sleep(1.5)
    bar = "-" * 60
    print(
        f"\n{bar}\n  Zcheap Studio is running (demo mode, built-in simulator)\n"
        f"  open      http://127.0.0.1:{port}/\n  e-mail    {email}\n  password  {password}\n"
        f"  stop      Ctrl-C\n{bar}\n",
        flush=True,
    )
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        say("a process exited; stopping the others")
    except KeyboardInterrupt:
        say("stopping")
    stop(procs)
    return 0


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def stop(procs: list[subprocess.Popen]) -> None:
    """Terminate each child's whole process group; kill what is still there after 10 s."""
    for p in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for p in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)


def ensure_system_tools() -> None:
    """Browser tests drive the system Chromium, and the catalogue test runs gettext's xgettext:
    install the Debian packages when they are missing and we are allowed to."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append("chromium")
    if not shutil.which("xgettext"):
        missing.append("gettext")
    if not missing:
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        say(f"installing from Debian: apt-get install {' '.join(missing)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=False, env=env)
    if not Path(CHROMIUM).exists():
        say("Chromium not found: browser tests will be skipped (they fail when CI=true)")
    if not shutil.which("xgettext"):
        say("gettext not found: the catalogue test will be skipped (it fails when CI=true)")


def ensure_nginx() -> None:
    """The topology test (tests/topology) runs the Debian nginx in front of gunicorn: install it
    when it is missing and we are allowed to (without enabling its own service)."""
    if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing from Debian: apt-get install nginx")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        # policy-rc.d 101: the package must not start nginx on port 80 (the test runs its own).
        policy = Path("/usr/sbin/policy-rc.d")
        had_policy = policy.exists()
        if not had_policy:
            policy.write_text("#!/bin/sh\nexit 101\n")
            policy.chmod(0o755)
        try:
            subprocess.run(["apt-get", "install", "-y", "-qq", "nginx"], check=False, env=env)
        finally:
            if not had_policy:
                policy.unlink()
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        say("nginx not found: the topology test will be skipped (it fails when CI=true)")


def test(args: list[str]) -> int:
    setup()
    ensure_system_tools()
    order = []
    if not any(a.startswith(("--randomly-seed", "-p")) for a in args):
        # pytest-randomly shuffles the order (and reseeds random) with this seed on every worker.
        seed = os.environ.get("TEST_SEED") or str(secrets.randbelow(2**32))
        order = ["-p", "randomly", f"--randomly-seed={seed}"]
        say(f"test order seed {seed} (repeat this order: TEST_SEED={seed} python3 dev.py test)")
    cmd = [
        str(PY),
        "-m",
        "pytest",
        "-n",
        os.environ.get("TEST_WORKERS", "2"),
        "--dist",
        "loadgroup",
        *order,
        *args,
    ]
    say("running tests: " + " ".join(cmd[2:]))
    code = subprocess.call(cmd, cwd=ROOT)
    if code and order:
        say(f"failed with test order seed {order[-1].split('=')[1]}")
    return code


# Mutation testing: what is mutated (mutmut name patterns, by area) and the tests that may kill
# those mutants (mutmut runs, for each mutant, only the tests that called the mutated function).
MUTATE_AREAS = {
    "permissions": ["accounts.permissions.*", "accounts.models.xǁMembershipǁhas_role*"],
    "crypto (API key at rest)": ["accounts.crypto.*", "accounts.models.xǁTeamǁset_api_key*"],
    "invitations": ["accounts.models.xǁInvitationǁ*", "accounts.models.x__invitation_token*"],
    "media access": ["gallery.browse.media_views.*"],
    "downloads / SSRF": ["gallery.generation.downloads.*"],
    "worker transitions and claims": [
        "gallery.models.xǁGenerationǁtransition*",
        "gallery.generation.worker.x_claim_due*",
        "gallery.generation.worker.x__due*",
        "gallery.generation.worker.x_cancel*",
        "gallery.generation.worker.x_ready_for_ingest*",
        "gallery.generation.worker.x__lease*",
    ],
}
MUTATE_GOAL = 90.0


def mutate() -> int:
    """Run mutmut on MUTATE_AREAS from a clean slate, then print the kill rate per area."""
    import fnmatch

    setup()
    started = time.monotonic()
    if not os.environ.get("MUTATE_KEEP"):
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    patterns = [p for area in MUTATE_AREAS.values() for p in area]
    mutmut = str(BIN / "mutmut")
    say("mutmut run (about 10 minutes on 2 cores)")
    run = subprocess.run([mutmut, "run", *patterns], cwd=ROOT, capture_output=True, text=True)
    if run.returncode:
        print(run.stdout[-3000:], run.stderr[-3000:])
        say("mutmut failed")
        return run.returncode
    listing = subprocess.run(
        [mutmut, "results", "--all", "true"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    results = {}
    for line in listing.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            results[name] = status
    minutes = (time.monotonic() - started) / 60
    print(f"\n{'area':32} {'killed':>7} {'of':>5} {'rate':>7}")
    all_killed = all_total = 0
    survivors = []
    for area, globs in MUTATE_AREAS.items():
        mine = {n: s for n, s in results.items() if any(fnmatch.fnmatch(n, g) for g in globs)}
        killed = sum(s in {"killed", "timeout"} for s in mine.values())
        survivors += [
            f"{n}: {s}" for n, s in sorted(mine.items()) if s not in {"killed", "timeout"}
        ]
        all_killed, all_total = all_killed + killed, all_total + len(mine)
        print(f"{area:32} {killed:>7} {len(mine):>5} {100 * killed / max(len(mine), 1):>6.1f}%")
    rate = 100 * all_killed / max(all_total, 1)
    print(f"{'all':32} {all_killed:>7} {all_total:>5} {rate:>6.1f}%   ({minutes:.1f} min)")
    if survivors:
        print("\nsurvivors (`.venv/bin/mutmut show NAME` shows the change):")
        print("\n".join("  " + s for s in survivors))
    say(f"kill rate {rate:.1f}% (goal {MUTATE_GOAL:.0f}%) in {minutes:.1f} minutes")
    return 0 if rate >= MUTATE_GOAL else 1


def main(argv: list[str]) -> int:
    port = os.environ.get("PORT", "8000")
    if argv[:1] == ["--port"] or (argv[:1] == ["run"] and argv[1:2] == ["--port"]):
        argv = argv[argv.index("--port") :]
        if len(argv) < 2 or not argv[1].isdigit():
            print("--port needs a number, e.g. python3 dev.py --port 8123")
            return 2
        port, argv = argv[1], ["run", *argv[2:]]
    command = argv[0] if argv else "run"
    if command == "run" and len(argv) <= 1:
        return run(int(port))
    if command == "test":
        return test(argv[1:])
    if command == "mutate":
        return mutate()
    if command == "setup":
        setup()
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
