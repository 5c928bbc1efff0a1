"""The production topology on one machine, on loopback addresses and free ports only.

nginx (the shipped deploy/nginx files, TLS with a throw-away certificate) in front of gunicorn
(deploy/gunicorn.conf.py), two `run_worker` processes on RQ (Redis 127.0.0.1:6379, a database
number of its own), PostgreSQL (127.0.0.1:5432, a database of its own) and an S3 server (moto's
server mode). `Stack.stop()` ends every process it started and drops what it created.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PG = "postgres://postgres@127.0.0.1:5432"
REDIS = ("127.0.0.1", 6379)
BUCKET = "zcheap-topology"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (the client trusts exactly it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def parse_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile reads them (comments, quotes)."""
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def _replace(text: str, old: str, new: str) -> str:
    """Replace OLD in a shipped file; fail loudly when the file no longer has it."""
    assert old in text, f"deploy file changed: {old!r} not found"
    return text.replace(old, new)


class Stack:
    def __init__(self, work: Path):
        self.work = work
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self.ports = {name: free_port() for name in ("https", "http", "gunicorn", "s3")}
        self.database = f"zc_topology_{os.getpid()}_{secrets.token_hex(3)}"
        self.redis_db = random.randint(1, 15)
        self.cache_db = self.redis_db % 15 + 1
        self.base = f"https://127.0.0.1:{self.ports['https']}"
        self.data = work / "data"
        self.static = work / "static"
        self.env = self._env()

    # --- environment: deploy/zcheap-studio.env with this machine's values --------------------
    def _env(self) -> dict[str, str]:
        """Write the shipped environment template with our values filled in (what an operator
        does to /etc/zcheap-studio/zcheap-studio.env) and return what systemd would pass on."""
        values = {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "CSRF_TRUSTED_ORIGINS": self.base,
            "ZCHEAP_PUBLIC_BASE_URL": self.base,
            "DATABASE_URL": f"{PG}/{self.database}",
            "ZCHEAP_DATA_DIR": str(self.data),
            "STATIC_ROOT": str(self.static),
            "REDIS_URL": f"redis://{REDIS[0]}:{REDIS[1]}/{self.redis_db}",
            "CACHE_URL": f"redis://{REDIS[0]}:{REDIS[1]}/{self.cache_db}",
            "STORAGE_BACKEND": "s3",
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{self.ports['s3']}",
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": "topology",
            "AWS_SECRET_ACCESS_KEY": "topology-secret",
            "EMAIL_HOST": "",  # console: nothing here sends mail
            "LANGUAGE_CODE": "en",
            "GUNICORN_BIND": f"127.0.0.1:{self.ports['gunicorn']}",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_THREADS": "4",
            # Demo mode (teams without a key run on the simulator), at the speed people see.
            # Off unless enabled (issue 11): this stack turns it on to run without a real key.
            "ZCHEAP_DEMO_MODE": "1",
            "ZCHEAP_DEMO_SPEED": "demo",
            "RECONCILE_SECONDS": "5",
        }
        lines, seen = [], set()
        for line in (DEPLOY / "zcheap-studio.env").read_text().splitlines():
            key = line.lstrip("# ").split("=", 1)[0] if "=" in line else ""
            if key in values and key not in seen:
                line = f"{key}={values[key]}"
                seen.add(key)
            lines.append(line)
        lines += [f"{k}={v}" for k, v in values.items() if k not in seen]
        self.env_file = self.work / "zcheap-studio.env"
        self.env_file.write_text("\n".join(lines) + "\n")
        keep = {
            k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO", "AWS_"))
        }
        return {**keep, "PYTHONUNBUFFERED": "1", **parse_env_file(self.env_file)}

    # --- processes ----------------------------------------------------------------------------
    def spawn(self, name: str, cmd: list[str], **kwargs) -> subprocess.Popen:
        log = self.work / f"{name}.log"
        self.logs[name] = log
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **kwargs,
            )
        self.procs[name] = proc
        return proc

    def manage(self, *args: str) -> str:
        """deploy/manage, as the runbook has it (the venv is this test's interpreter's)."""
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO"))},
            "ZCHEAP_ENV_FILE": str(self.env_file),
            "ZCHEAP_HOME": str(ROOT),
            "ZCHEAP_USER": "root",
            "ZCHEAP_PYTHON": sys.executable,
        }
        result = subprocess.run(
            ["sh", str(DEPLOY / "manage"), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr[-3000:]}"
        return result.stdout

    def wait_for_port(self, name: str, port: int, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if listening(port):
                return
            if self.procs[name].poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{name} did not listen on {port}:\n{self.tail(name)}")

    def tail(self, name: str, chars: int = 3000) -> str:
        log = self.logs.get(name)
        return log.read_text(errors="replace")[-chars:] if log and log.exists() else ""

    # --- bring-up, in the README's order --------------------------------------------------------
    def start(self) -> None:
        self._start_s3()
        self._create_database()
        self._flush_redis()
        self.manage("migrate", "--no-input")
        self.manage("collectstatic", "--no-input", "-v", "0")
        out = self.manage("check", "--deploy", "--fail-level", "WARNING")
        assert "no issues" in out, out
        self.start_web()
        self.start_worker("worker-1")
        self.start_worker("worker-2")
        self._start_nginx()

    def _start_s3(self) -> None:
        port = self.ports["s3"]
        self.spawn("s3", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)])
        self.wait_for_port("s3", port)
        import boto3

        boto3.client(
            "s3",
            endpoint_url=self.env["AWS_S3_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id="topology",
            aws_secret_access_key="topology-secret",
        ).create_bucket(Bucket=BUCKET)

    def _create_database(self) -> None:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')

    def _drop_database(self) -> None:
        import psycopg

        with (
            contextlib.suppress(Exception),
            psycopg.connect(f"{PG}/postgres", autocommit=True) as conn,
        ):
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def redis(self, db: int | None = None):
        import redis

        return redis.Redis(host=REDIS[0], port=REDIS[1], db=self.redis_db if db is None else db)

    def _flush_redis(self) -> None:
        for db in (self.redis_db, self.cache_db):
            with contextlib.suppress(Exception):
                self.redis(db).flushdb()

    def start_web(self) -> None:
        self.spawn(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(DEPLOY / "gunicorn.conf.py"),
                "zcheap_site.wsgi",
            ],
        )
        self.wait_for_port("gunicorn", self.ports["gunicorn"])

    def start_worker(self, name: str) -> subprocess.Popen:
        return self.spawn(name, [sys.executable, "manage.py", "run_worker"])

    def stop_gracefully(self, name: str, seconds: float = 90) -> int:
        """What systemd does with KillMode=mixed: SIGTERM to the main process only, then wait."""
        proc = self.procs[name]
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{name} did not stop within {seconds} s:\n{self.tail(name)}")

    def _start_nginx(self) -> None:
        nginx = nginx_binary()
        assert nginx, "nginx is not installed (python3 -c 'import dev; dev.ensure_nginx()')"
        conf = self.work / "nginx"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
            (conf / sub).mkdir(parents=True, exist_ok=True)
        cert, key = make_certificate(conf)
        media = (DEPLOY / "nginx" / "media-s3.conf").read_text()
        media = _replace(media, "https://s3.example.com/", f"http://127.0.0.1:{self.ports['s3']}/")
        (conf / "zcheap-media.conf").write_text(media)
        site = (DEPLOY / "nginx" / "zcheap-studio.conf").read_text()
        for old, new in [
            ("server 127.0.0.1:8000;", f"server 127.0.0.1:{self.ports['gunicorn']};"),
            ("    listen [::]:80;\n", ""),
            ("    listen [::]:443 ssl http2;\n", ""),
            ("listen 80;", f"listen 127.0.0.1:{self.ports['http']};"),
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{self.ports['https']} ssl http2;"),
            ("/etc/letsencrypt/live/studio.example.com/fullchain.pem", str(cert)),
            ("/etc/letsencrypt/live/studio.example.com/privkey.pem", str(key)),
            ("/var/log/nginx/", f"{conf}/logs/"),
            ("/srv/zcheap-studio/staticfiles/", f"{self.static}/"),
            ("/etc/nginx/snippets/zcheap-media.conf", str(conf / "zcheap-media.conf")),
            ("/etc/nginx/snippets/zcheap-proxy.conf", str(DEPLOY / "nginx" / "zcheap-proxy.conf")),
        ]:
            site = _replace(site, old, new)
        (conf / "site.conf").write_text(site)
        user = "user root;\n" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
        temp = "\n".join(
            f"    {kind}_temp_path {conf / sub};"
            for kind, sub in [
                ("client_body", "body"),
                ("proxy", "proxy"),
                ("fastcgi", "fastcgi"),
                ("uwsgi", "uwsgi"),
                ("scgi", "scgi"),
            ]
        )
        mime = "/etc/nginx/mime.types"
        (conf / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {conf / 'nginx.pid'};\n"
            f"error_log {conf / 'logs' / 'main-error.log'} warn;\n"
            "events { worker_connections 256; }\n"
            f"http {{\n    include {mime};\n    default_type application/octet-stream;\n"
            f"{temp}\n    include {DEPLOY / 'nginx' / 'log-format.conf'};\n"
            f"    include {conf / 'site.conf'};\n}}\n"
        )
        check = subprocess.run(
            [nginx, "-t", "-p", str(conf), "-c", str(conf / "nginx.conf")],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stderr
        self.spawn("nginx", [nginx, "-p", str(conf), "-c", str(conf / "nginx.conf")])
        self.wait_for_port("nginx", self.ports["https"])
        self.cert = cert
        self.nginx_logs = conf / "logs"

    # --- tear-down --------------------------------------------------------------------------------
    def stop(self) -> None:
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        self._drop_database()
        self._flush_redis()
