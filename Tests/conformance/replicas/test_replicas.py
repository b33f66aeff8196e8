"""Three `tern serve` replicas on one PostgreSQL database behind nginx (deploy/nginx.conf): limits and budgets hold
across them to the request, and a replica killed in the middle of a load loses no acknowledged ledger row.

Needs TERN_BIN, TERN_TEST_MODEL, TERN_TEST_POSTGRES_URL (a server where it may create a database; scripts/test.sh
starts one) and Debian's nginx and psql."""
import concurrent.futures
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import yaml

BIN = os.environ.get("TERN_BIN", "")
MODEL = os.environ.get("TERN_TEST_MODEL", "")
POSTGRES = os.environ.get("TERN_TEST_POSTGRES_URL", "")
ROOT = Path(__file__).resolve().parents[3]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, tries: int, alive, what: str):
    """Waits until `url`/health answers 200; `alive()` says why not when the process behind it has ended."""
    for _ in range(tries):
        reason = alive()
        assert reason is None, f"{what} exited: {reason}"
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} never answered")


def psql(url: str, sql: str) -> str:
    return subprocess.run(["psql", url, "-Atqc", sql], check=True, capture_output=True, text=True).stdout.strip()


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


class Replica:
    def __init__(self, database: str, log_dir: str, index: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output = open(os.path.join(log_dir, f"replica-{index}.log"), "w+")
        self.process = subprocess.Popen(
            [BIN, "serve", "--model", MODEL, "--database", database, "--host", "127.0.0.1", "--port", str(self.port),
             "--threads", "1", "--max-sequences", "4", "--ctx", "512"],
            stdout=self.output, stderr=subprocess.STDOUT, text=True)

    def text(self) -> str:
        self.output.flush()
        self.output.seek(0)
        return self.output.read()

    def wait_ready(self):
        wait_healthy(self.url, 1200, lambda: self.text() if self.process.poll() is not None else None, "a replica")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


class Cluster:
    """A fresh database, three replicas on it and nginx in front, as deploy/nginx.conf sets them up."""

    def __init__(self):
        self.directory = tempfile.mkdtemp(prefix="tern-replicas-")
        self.name = "tern_replicas_" + uuid.uuid4().hex[:12]
        psql(POSTGRES, f"CREATE DATABASE {self.name}")
        self.database = with_database(POSTGRES, self.name)
        self.replicas = [Replica(self.database, self.directory, index) for index in range(3)]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.nginx = None
        for replica in self.replicas:
            replica.wait_ready()
        self.start_nginx()

    def start_nginx(self):
        config = (ROOT / "deploy" / "nginx.conf").read_text()
        for index, replica in enumerate(self.replicas):
            config = config.replace(f"127.0.0.1:{8081 + index};", f"127.0.0.1:{replica.port};")
        config = config.replace("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{self.port};")
        config = config.replace("proxy_pass http://tern;", "proxy_pass http://tern;\n            add_header X-Tern-Upstream $upstream_addr always;")
        folder = self.directory
        head = f"daemon off;\npid {folder}/nginx.pid;\nerror_log {folder}/nginx-error.log;\n"
        if os.geteuid() == 0:
            head += "user root;\n"
        temp = "".join(f"    {kind}_temp_path {folder}/{kind};\n" for kind in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
        config = head + config.replace("http {\n", "http {\n    access_log off;\n" + temp, 1)
        path = os.path.join(folder, "nginx.conf")
        Path(path).write_text(config)
        self.nginx = subprocess.Popen([NGINX, "-c", path, "-p", folder, "-e", f"{folder}/nginx-error.log"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        log = Path(f"{folder}/nginx-error.log")
        wait_healthy(self.url, 100, lambda: log.read_text() if self.nginx.poll() is not None else None, "nginx")

    def create_key(self, *args) -> tuple[str, str]:
        """A key made with `tern keys create --database`: its secret and its id."""
        name = "k" + uuid.uuid4().hex[:10]
        secret = subprocess.run([BIN, "keys", "create", "--database", self.database, "--name", name, *args],
                                check=True, capture_output=True, text=True).stdout.strip()
        key_id = psql(self.database, f"SELECT id FROM api_keys WHERE name = '{name}'")
        return secret, key_id

    def close(self):
        if self.nginx and self.nginx.poll() is None:
            self.nginx.terminate()
            self.nginx.wait(timeout=30)
        for replica in self.replicas:
            try:
                replica.stop()
            except Exception:
                replica.process.kill()
        psql(POSTGRES, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    if not BIN or not MODEL or not POSTGRES:
        pytest.fail("TERN_BIN, TERN_TEST_MODEL and TERN_TEST_POSTGRES_URL must be set: run scripts/test.sh")
    made = Cluster()
    try:
        yield made
    finally:
        made.close()


def model_id() -> str:
    return Path(MODEL).stem


def test_replicas_starting_together_make_one_first_key(cluster):
    printed = [re.findall(r"tern-[A-Za-z0-9]{40}", replica.text()) for replica in cluster.replicas]
    assert sorted(len(keys) for keys in printed) == [0, 0, 1], printed
    assert psql(cluster.database, "SELECT count(*) FROM api_keys WHERE name = 'default'") == "1"


def test_a_request_limit_holds_exactly_across_replicas(cluster):
    secret, _ = cluster.create_key("--rpm", "10")

    def ask(_):
        response = httpx.get(cluster.url + "/v1/models", headers={"Authorization": f"Bearer {secret}"}, timeout=60)
        return response.status_code, response.headers.get("x-tern-upstream")

    with concurrent.futures.ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(ask, range(40)))
    statuses = [status for status, _ in answers]
    assert statuses.count(200) == 10, statuses
    assert statuses.count(429) == 30, statuses
    assert len({upstream for _, upstream in answers}) == 3, "nginx spread the requests over the three replicas"


def test_racing_requests_never_overrun_a_token_budget(cluster):
    budget = 300
    secret, key_id = cluster.create_key("--budget-tokens", str(budget), "--budget-period", "day")
    body = {"model": model_id(), "prompt": "Once upon a time", "max_tokens": 24, "temperature": 0}

    def ask(_):
        response = httpx.post(cluster.url + "/v1/completions", json=body, headers={"Authorization": f"Bearer {secret}"},
                              timeout=120)
        return response.status_code, response.json()

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(ask, range(32)))
    statuses = [status for status, _ in answers]
    assert 200 in statuses and 429 in statuses, statuses
    refused = [answer for status, answer in answers if status == 429]
    assert all(answer["error"]["code"] == "insufficient_quota" for answer in refused), refused
    used = int(psql(cluster.database, f"SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0) FROM usage WHERE key_id = '{key_id}'"))
    charged = sum(answer["usage"]["total_tokens"] for status, answer in answers if status == 200)
    assert used == charged, "the ledger holds exactly what the answers reported"
    assert used <= budget


def test_a_replica_killed_mid_load_loses_no_acknowledged_ledger_row(cluster):
    secret, key_id = cluster.create_key()
    body = {"model": model_id(), "prompt": "The history of the city", "max_tokens": 24, "temperature": 0}
    victim = cluster.replicas[2]
    done = []

    def ask(_):
        try:
            response = httpx.post(cluster.url + "/v1/completions", json=body, headers={"Authorization": f"Bearer {secret}"},
                                  timeout=120)
        except httpx.HTTPError:
            return None
        if response.status_code == 200:
            done.append(1)
        return response.status_code

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        futures = [pool.submit(ask, index) for index in range(60)]
        while len(done) < 15:
            time.sleep(0.02)
        victim.process.send_signal(signal.SIGKILL)
        statuses = [future.result() for future in futures]
    victim.process.wait(timeout=30)
    acknowledged = statuses.count(200)
    rows = int(psql(cluster.database, f"SELECT count(*) FROM usage WHERE key_id = '{key_id}' AND status = 200"))
    assert acknowledged >= 15
    # Every answer a client received has its row; a row may exist for an answer whose last bytes died with the replica.
    assert acknowledged <= rows <= len(statuses), (acknowledged, rows, statuses)


def test_the_kubernetes_manifest_starts_a_pod_that_serves(cluster):
    """deploy/kubernetes.yaml as a kubelet would run it, without Kubernetes: the container's args and environment (the
    database URL from the Secret the manifest names), its models folder, the probes' path on the port its Service
    targets, and the grace period against `tern serve`'s own."""
    import yaml

    documents = {d["kind"]: d for d in yaml.safe_load_all((ROOT / "deploy" / "kubernetes.yaml").read_text()) if d}
    assert set(documents) == {"Secret", "Deployment", "Service"}
    pod = documents["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    service_port = documents["Service"]["spec"]["ports"][0]["targetPort"]
    assert service_port in ports and documents["Service"]["spec"]["selector"] == documents["Deployment"]["spec"]["selector"]["matchLabels"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] in ports and container[probe]["httpGet"]["path"] == "/health"
    secret = container["env"][0]["valueFrom"]["secretKeyRef"]
    assert secret["name"] == documents["Secret"]["metadata"]["name"] and secret["key"] in documents["Secret"]["stringData"]
    # Running requests get tern serve's grace period (30 s) before the kubelet's SIGKILL.
    assert pod["terminationGracePeriodSeconds"] > 30

    # The pod's command line, with this machine's port, model folder and database.
    models = tempfile.mkdtemp(prefix="tern-pod-models-")
    os.symlink(MODEL, os.path.join(models, os.path.basename(MODEL)))
    port = free_port()
    args = [str(port) if a == str(ports["http"]) else models if a == "/models" else a for a in container["args"]]
    args = [a if a != "0.0.0.0" else "127.0.0.1" for a in args]
    env = {**os.environ, container["env"][0]["name"]: cluster.database}
    output = open(os.path.join(cluster.directory, "pod.log"), "w+")
    process = subprocess.Popen([BIN, *args, "--threads", "1", "--ctx", "512"], stdout=output, stderr=subprocess.STDOUT,
                               env=env, text=True, cwd=models)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, 1200, lambda: (output.seek(0), output.read())[1] if process.poll() is not None else None, "the pod")
        secret_key, _ = cluster.create_key()
        answer = httpx.post(url + "/v1/completions", headers={"Authorization": f"Bearer {secret_key}"}, timeout=120,
                            json={"model": model_id(), "prompt": "Hello", "max_tokens": 2})
        assert answer.status_code == 200, answer.text
        # --log-format json: every line a JSON object.
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        output.seek(0)
        lines = [line for line in output.read().splitlines() if line.strip()]
        assert lines and all(line.startswith("{") for line in lines), lines[:5]
    finally:
        if process.poll() is None:
            process.kill()
        shutil.rmtree(models, ignore_errors=True)
