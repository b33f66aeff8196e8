"""`tern serve` as an operator starts it: the first key, refusals at start, one server per data folder, private
files, and a process that runs out of file descriptors without spinning."""
import http.client
import json
import os
import re
import resource
import socket
import stat
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

BIN = os.environ.get("TERN_BIN", "")
MODEL = os.environ.get("TERN_TEST_MODEL", "")


@pytest.fixture(autouse=True)
def needs_binary():
    if not BIN or not MODEL:
        pytest.fail("TERN_BIN and TERN_TEST_MODEL must be set: run Tests/conformance/run.sh")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, key=None):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class Server:
    """A `tern serve` on a free port with its output in a file; stopped with SIGTERM."""

    def __init__(self, data_dir, *args, preexec_fn=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            [BIN, "serve", "--model", MODEL, "--port", str(self.port), "--data-dir", data_dir, "--threads", "1", *args],
            stdout=self.output, stderr=subprocess.STDOUT, text=True, preexec_fn=preexec_fn,
        )

    def wait_ready(self):
        for _ in range(600):
            assert self.process.poll() is None, f"tern serve exited: {self.text()}"
            try:
                if get(self.url + "/health") == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"tern serve never became ready: {self.text()}")

    def text(self) -> str:
        self.output.seek(0)
        return self.output.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


def test_first_start_prints_one_admin_key_that_works(tmp_path):
    data = str(tmp_path / "data")
    server = Server(data).wait_ready()
    try:
        keys = re.findall(r"tern-[A-Za-z0-9]{40}", server.text())
        assert len(keys) == 1, server.text()
        assert get(server.url + "/v1/models") == 401
        assert get(server.url + "/v1/models", keys[0]) == 200
        assert get(server.url + "/admin/keys", keys[0]) == 200  # an admin key
    finally:
        server.stop()
    # A second start finds the key and prints none.
    again = Server(data).wait_ready()
    try:
        assert not re.findall(r"tern-[A-Za-z0-9]{40}", again.text())
        assert get(again.url + "/v1/models", keys[0]) == 200
    finally:
        again.stop()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "::"])
def test_no_auth_is_refused_on_a_public_address(tmp_path, host):
    result = subprocess.run(
        [BIN, "serve", "--no-auth", "--host", host, "--model", MODEL, "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "--no-auth" in result.stderr and "refused" in result.stderr


def test_a_second_server_on_the_same_data_folder_is_refused_and_keys_still_work(tmp_path):
    data = str(tmp_path / "data")
    first = Server(data).wait_ready()
    try:
        second = subprocess.run(
            [BIN, "serve", "--model", MODEL, "--port", str(free_port()), "--data-dir", data],
            capture_output=True, text=True, timeout=60,
        )
        assert second.returncode != 0
        assert f"process {first.process.pid}" in second.stderr and "--data-dir" in second.stderr, second.stderr
        # `tern keys` works beside the running server, and the server sees its key at once.
        made = subprocess.run([BIN, "keys", "create", "--name", "beside", "--data-dir", data], capture_output=True, text=True, check=True)
        assert get(first.url + "/v1/models", made.stdout.strip()) == 200
    finally:
        first.stop()
    # Once the first has stopped, the folder is free.
    Server(data).wait_ready().stop()


def test_files_are_private_from_the_first_start_and_an_open_folder_is_warned_about(tmp_path):
    data = tmp_path / "shared"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    server = Server(str(data)).wait_ready()
    try:
        assert "other users can open the data folder" in server.text()
        for name in ["tern.sqlite", "tern.sqlite-wal", "tern.sqlite-shm", "tern.lock"]:
            mode = stat.S_IMODE(os.stat(data / name).st_mode)
            assert mode == 0o600, f"{name}: {oct(mode)}"
    finally:
        server.stop()
    private = tmp_path / "private"
    server = Server(str(private)).wait_ready()
    try:
        assert stat.S_IMODE(os.stat(private).st_mode) == 0o700
        assert "other users can open" not in server.text()
    finally:
        server.stop()


def test_a_past_expiry_is_refused(tmp_path):
    result = subprocess.run(
        [BIN, "keys", "create", "--expires", "2020-01-01", "--data-dir", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode != 0 and "has passed" in result.stderr


def test_max_connections_beyond_the_open_file_limit_is_refused(tmp_path):
    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    result = subprocess.run(
        [BIN, "serve", "--model", MODEL, "--port", str(free_port()), "--data-dir", str(tmp_path), "--max-connections", "1000"],
        capture_output=True, text=True, timeout=60, preexec_fn=low_limit,
    )
    assert result.returncode != 0
    assert "--max-connections 128 or less" in result.stderr, result.stderr


def test_the_open_file_limit_is_raised_as_far_as_allowed(tmp_path):
    """Started with a soft limit far under the hard one, the server raises it to the hard one (at most 2^20), not just
    to what its client connections need: upstream and database connections come on top."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    unlimited = hard == resource.RLIM_INFINITY
    soft = 256 if unlimited else min(256, hard)

    def low_soft_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    server = Server(str(tmp_path / "data"), "--no-auth", "--max-connections", "100", preexec_fn=low_soft_limit).wait_ready()
    try:
        raised, _ = resource.prlimit(server.process.pid, resource.RLIMIT_NOFILE)
        assert raised == (1 << 20 if unlimited else min(hard, 1 << 20)), (raised, hard)
    finally:
        server.stop()


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat_file:
        fields = stat_file.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_out_of_file_descriptors_the_server_waits_instead_of_spinning(tmp_path):
    """With more clients than descriptors, accepting pauses (no busy loop) before the last descriptors are taken,
    and resumes once clients leave."""
    server = Server(str(tmp_path / "data"), "--no-auth").wait_ready()
    clients = []
    try:
        # Lower the running server's limit (it checks the limit against --max-connections at start) so that it
        # runs out of descriptors long before it reaches its connection limit.
        resource.prlimit(server.process.pid, resource.RLIMIT_NOFILE, (64, 64))
        for _ in range(120):
            clients.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
        time.sleep(1)
        before = cpu_seconds(server.process.pid)
        time.sleep(3)
        used = cpu_seconds(server.process.pid) - before
        # A spinning accept loop burns a whole core (about 3 s here); a waiting server almost nothing.
        assert used < 1.0, f"the server used {used:.2f} s of CPU in 3 s while out of descriptors"
        assert "out of file descriptors" in server.text()
        # Descriptors are left for everything else the process opens (libdispatch ends a process that cannot open
        # a file under /proc).
        assert server.process.poll() is None
        open_now = len(os.listdir(f"/proc/{server.process.pid}/fd"))
        assert open_now <= 48, f"{open_now} of 64 descriptors open while clients wait"
        for client in clients:
            client.close()
        clients = []
        status = None
        for _ in range(100):
            try:
                status = get(server.url + "/health")
                break
            except OSError:
                time.sleep(0.1)
        assert status == 200
    finally:
        for client in clients:
            client.close()
        server.stop()


def test_a_server_whose_output_nobody_reads_keeps_answering_and_loses_no_line_unsaid(tmp_path):
    """Standard error is a pipe the test does not read while 5,000 requests go through (each logs a line, far more than
    the pipe holds): they are all answered, and once the pipe is read every request's line is there or counted in
    the server's note of dropped lines."""
    port = free_port()
    process = subprocess.Popen(
        [BIN, "serve", "--model", MODEL, "--port", str(port), "--data-dir", str(tmp_path / "data"), "--no-auth"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(600):
            assert process.poll() is None, "tern serve exited at start"
            try:
                connection.request("GET", "/health")
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    break
            except (OSError, http.client.HTTPException):
                connection.close()
            time.sleep(0.1)
        for _ in range(5000):
            connection.request("GET", "/health")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
        connection.close()
        process.terminate()
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)
    text = output.decode()
    # The 5,000 and the start's last probe, the first to get 200.
    logged = len(re.findall(r"http\.route=/health http\.status=200", text))
    dropped = sum(int(count) for count in re.findall(r"tern: (\d+) log lines dropped", text))
    assert logged + dropped >= 5001, (logged, dropped)
    assert logged > 0


def chat(server, key, **fields):
    body = {"model": os.path.basename(MODEL).removesuffix(".gguf"), "messages": [{"role": "user", "content": "Tell me about the sea."}], **fields}
    request = urllib.request.Request(
        server.url + "/v1/chat/completions", data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)


def test_server_sampling_options_fill_what_requests_leave_out_and_requests_win(tmp_path):
    # Temperature 0 for requests without one: two such requests, unseeded, give the same answer; the cap ends them.
    server = Server(str(tmp_path / "data"), "--no-auth", "--temperature", "0", "--max-tokens-default", "12").wait_ready()
    try:
        first, second = chat(server, "none"), chat(server, "none")
        assert first["choices"][0]["message"]["content"] == second["choices"][0]["message"]["content"]
        for answer in (first, second):
            assert answer["usage"]["completion_tokens"] <= 12
            assert answer["choices"][0]["finish_reason"] == ("length" if answer["usage"]["completion_tokens"] == 12 else "stop")
        assert "temperature=0.0" in server.text()  # the values in force are logged
        # A request's own temperature wins: hot, unfiltered sampling with different seeds gives different answers.
        hot = {"temperature": 1.5, "top_k": 0, "top_p": 1, "min_p": 0, "max_tokens": 12}
        answers = {chat(server, "none", seed=seed, **hot)["choices"][0]["message"]["content"] for seed in range(4)}
        assert len(answers) > 1
        # And its own max_tokens wins over the server's cap (the greedy answer is longer than 20 tokens).
        assert chat(server, "none", max_tokens=20)["usage"]["completion_tokens"] == 20
    finally:
        server.stop()


@pytest.mark.parametrize("option", [["--top-k", "-1"], ["--top-p", "1.5"], ["--temperature", "-1"], ["--max-tokens-default", "0"]])
def test_bad_sampling_options_are_refused_naming_the_option(tmp_path, option):
    result = subprocess.run(
        [BIN, "serve", "--model", MODEL, "--no-auth", "--data-dir", str(tmp_path), *option], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert option[0] in result.stderr


def post_json(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def model_status(url, model):
    with urllib.request.urlopen(f"{url}/v1/models/{model}", timeout=30) as response:
        return json.load(response)["status"]


def test_a_models_folder_is_served_on_demand_and_idle_models_are_unloaded(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    os.symlink(os.path.abspath(MODEL), folder / "second.gguf")
    (folder / "broken.gguf").write_bytes(b"GGUF\x03\x00\x00\x00 not a model")
    for part in (1, 2):
        (folder / f"big-0000{part}-of-00002.gguf").write_bytes(b"GGUF")
    (folder / "notes.txt").write_text("not a model")
    first = os.path.basename(MODEL)[: -len(".gguf")]
    server = Server(str(tmp_path / "data"), "--no-auth", "--models-dir", str(folder), "--keep-alive", "1s").wait_ready()
    try:
        with urllib.request.urlopen(server.url + "/v1/models", timeout=30) as response:
            listed = {entry["id"]: entry["status"] for entry in json.load(response)["data"]}
        assert listed == {first: "unloaded", "big": "unloaded", "broken": "unloaded", "second": "unloaded"}

        status, body = post_json(server.url + "/v1/completions", {"model": "second", "prompt": "Hello", "max_tokens": 3})
        assert status == 200, body
        assert body["model"] == "second"
        assert model_status(server.url, "second") == "loaded"
        for _ in range(100):
            if model_status(server.url, "second") == "unloaded":
                break
            time.sleep(0.1)
        assert model_status(server.url, "second") == "unloaded"

        status, body = post_json(server.url + "/v1/completions", {"model": "broken", "prompt": "Hello", "max_tokens": 3})
        assert status == 500 and body["error"]["code"] == "model_load_failed", body
        status, body = post_json(server.url + "/v1/completions", {"model": "big", "prompt": "Hello", "max_tokens": 3})
        assert status == 500 and "split" in body["error"]["message"], body
        status, body = post_json(server.url + "/v1/completions", {"model": first, "prompt": "Hello", "max_tokens": 3})
        assert status == 200, body
    finally:
        server.stop()
    assert "model loaded" in server.text() and "model unloaded" in server.text()


def test_models_list_shows_each_model_once_with_its_size_and_type(tmp_path):
    os.symlink(os.path.abspath(MODEL), tmp_path / "second.gguf")
    for part in (1, 2):
        (tmp_path / f"big-0000{part}-of-00002.gguf").write_bytes(b"GGUF")
    listed = subprocess.run([BIN, "models", "list", "--models-dir", str(tmp_path)], capture_output=True, text=True, check=True).stdout
    lines = listed.strip().splitlines()
    assert lines[0].split() == ["ID", "SIZE", "ARCHITECTURE", "TYPE"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"big", "second"}
    assert "llama" in rows["second"] and "q4_1" in rows["second"].lower() and "MiB" in rows["second"]
    assert "unreadable" in rows["big"]


def test_a_single_model_that_cannot_be_loaded_stops_the_server_with_the_reason(tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF\x03\x00\x00\x00 not a model")
    result = subprocess.run(
        [BIN, "serve", "--no-auth", "--model", str(broken), "--port", str(free_port()), "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "`broken` could not be loaded: GGUF" in result.stderr, result.stderr


@pytest.mark.parametrize("value, message", [
    ("no-url", "--upstream ID=URL"),
    ("big=ftp://10.0.0.7/v1", "is not an http:// or https:// URL"),
    ("big=http://10.0.0.7/v1,colour=red", "'colour' is not known"),
    ("big=http://10.0.0.7/v1,key-env=TERN_TEST_UNSET_VARIABLE", "TERN_TEST_UNSET_VARIABLE (its API key) is not set"),
])
def test_a_malformed_upstream_is_refused_with_the_syntax(tmp_path, value, message):
    result = subprocess.run(
        [BIN, "serve", "--model", MODEL, "--data-dir", str(tmp_path / "data"), "--port", str(free_port()), "--upstream", value],
        capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def config_check(path, env=None):
    return subprocess.run([BIN, "config", "check", str(path)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_the_example_configuration_is_valid(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    text = open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "deploy", "tern.yaml")).read()
    config = tmp_path / "tern.yaml"
    config.write_text(text.replace("/var/lib/tern/models", str(models)))
    result = config_check(config, {"TERN_DATABASE_URL": "postgres://tern@127.0.0.1:5432/tern", "BIG_KEY": "secret"})
    assert result.returncode == 0, result.stderr
    assert "all valid" in result.stdout


@pytest.mark.parametrize("text, message", [
    ("port: 1\nmax-sequence: 3\n", ":2: max-sequence: not an option of tern serve"),
    ("port: 70000\n", ":1: port: --port must be between 0 and 65535"),
    ("port: 1\ndatabase: ${TERN_TEST_UNSET_VARIABLE}\n", ":2: database: the environment variable TERN_TEST_UNSET_VARIABLE is not set"),
    ("upstreams:\n  - id: big\n    url: http://10.0.0.7/v1\n    wieght: 2\n", ":4: upstreams: 'wieght' is not known"),
    ("port: [1\n", "is not valid YAML"),
    ("- port\n", "must be a mapping"),
])
def test_a_bad_configuration_names_its_line_and_key(tmp_path, text, message):
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    result = config_check(config)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    served = subprocess.run([BIN, "serve", "--config", str(config)], capture_output=True, text=True, timeout=60)
    assert served.returncode != 0 and message in served.stderr, served.stderr


def test_flags_override_the_configuration_file(tmp_path):
    file_port, flag_port = free_port(), free_port()
    config = tmp_path / "tern.yaml"
    config.write_text(f"port: {file_port}\nmodel: [{MODEL}]\nmodel-alias: [from-file]\nthreads: 1\ndata-dir: {tmp_path / 'data'}\n")
    server = subprocess.Popen([BIN, "serve", "--config", str(config), "--port", str(flag_port), "--model-alias", "from-flag"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(600):
            assert server.poll() is None, server.stdout.read()
            if port_open(flag_port) and get(f"http://127.0.0.1:{flag_port}/health") == 200:
                break
            time.sleep(0.1)
        key = subprocess.run([BIN, "keys", "create", "--data-dir", str(tmp_path / "data")], capture_output=True, text=True,
                             check=True).stdout.strip()
        request = urllib.request.Request(f"http://127.0.0.1:{flag_port}/v1/models", headers={"Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            ids = [model["id"] for model in json.load(response)["data"]]
        assert "from-file" in ids and "from-flag" in ids, "lists are joined"
        assert not port_open(file_port), "the flag's port replaced the file's"
    finally:
        server.terminate()
        server.wait(timeout=60)


def port_open(port) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0
