"""scripts/push.py end to end: the official client, over HTTP, against the fake Kaggle server.

Each test runs the real CLI in a fresh process (the client fixes its config folder when it is
imported) with HOME in tmp_path and KAGGLE_PIPELINE_API_URL pointing at the fake server.
"""

from __future__ import annotations

import base64
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kaggle_helpers import (PRE, ROOT, TRAIN, clean_env, fake, make_folder,  # noqa: F401
                            make_kernel_set, max_running, push, run_push, setup, write_config)


@pytest.mark.parametrize("submission", ["csv", "code"])
def test_happy_path_pushes_waits_downloads_and_submits(tmp_path, fake, setup, submission):
    kernels, args, env = setup
    write_config(tmp_path / "pipeline.toml", submission=submission)
    result = push(tmp_path, [*args, "--submit"], env)
    assert result.returncode == 0, result.stderr
    assert fake.pushed_slugs()[:3] == PRE and fake.pushed_slugs()[3:] == [TRAIN]
    assert max_running(fake, PRE) == 2  # [kaggle] max_concurrent
    saves = {r.body["slug"]: r.body for r in fake.calls("SaveKernel")}
    train = saves[f"alice/{TRAIN}"]
    assert train["kernelDataSources"] == [f"alice/{s}" for s in PRE]
    assert train["machineShape"] == "NvidiaTeslaT4"
    assert all(b["enableInternet"] is False and b["isPrivate"] is True for b in saves.values())
    # every run is addressed by the version its push returned
    assert {r.body["versionLabel"] for r in fake.calls("GetKernelSessionStatus")} == {"v1"}
    out = tmp_path / "out" / TRAIN
    assert (out / "submission.csv").read_bytes() == b"id,label\n1,0\n2,1\n"
    assert json.loads((out / "metrics.json").read_text())["version"] == 1
    assert (out / "history.png").is_file() and (out / "kernel.log").is_file()
    assert not list((tmp_path / "out").glob(".*"))  # no partial download left behind
    assert len(fake.submissions) == 1 and fake.submissions[0]["kind"] == submission
    if submission == "csv":
        assert list(fake.uploads.values()) == [b"id,label\n1,0\n2,1\n"]
        assert "submitted to fashion-mnist-demo: ref 5001" in result.stdout
    else:
        assert fake.submissions[0]["kernelSlug"] == TRAIN
        assert fake.submissions[0]["kernelVersion"] == 1 and not fake.uploads
        assert "ref 7001" in result.stdout
    assert "alice/fmnist-train v1: running" in result.stdout  # progress while waiting


@pytest.mark.parametrize("how", ["env", "kaggle.json", "token"])
def test_credentials_never_travel(tmp_path, fake, setup, how):
    _, args, env = setup
    # make VERBOSE=1 exports these; the client would then print every request's headers
    env.update(VERBOSE="1", VERBOSE_OUTPUT="true")
    secret = fake.token if how == "token" else fake.key
    if how != "env":
        env = {k: v for k, v in env.items() if k not in ("KAGGLE_USERNAME", "KAGGLE_KEY")}
    if how == "kaggle.json":
        (Path(env["KAGGLE_CONFIG_DIR"]) / "kaggle.json").write_text(
            json.dumps({"username": fake.username, "key": fake.key}))
    if how == "token":
        env["KAGGLE_API_TOKEN"] = fake.token
    result = push(tmp_path, [*args, "--submit"], env)
    assert result.returncode == 0, result.stderr
    if how == "token":  # the owner came from the server: whose token is this?
        assert fake.calls("IntrospectToken")
    printed = result.stdout + result.stderr
    basic = base64.b64encode(f"{fake.username}:{fake.key}".encode()).decode()
    for form in (secret, basic, f"Bearer {fake.token}", "Authorization"):
        assert form not in printed, form
    bodies = [json.dumps(r.body) if not isinstance(r.body, bytes) else r.body.decode()
              for r in fake.requests if r.route != "IntrospectToken"]
    assert not any(secret in body for body in bodies)
    for path in [*(tmp_path / "kernels").rglob("*"), *(tmp_path / "out").rglob("*")]:
        assert not path.is_file() or secret.encode() not in path.read_bytes(), path


def test_kernel_that_ends_in_error_fails_with_its_name_and_log_tail(tmp_path, fake, setup):
    _, args, env = setup
    fake.status_scripts[PRE[1]] = ["RUNNING", "ERROR"]
    fake.logs[PRE[1]] = json.dumps(
        [{"stream_name": "stdout", "time": 1, "data": f"line {i}\n"} for i in range(100)]
        + [{"stream_name": "stderr", "time": 9, "data": "ValueError: row 17 is not an image\n"}])
    result = push(tmp_path, [*args, "--submit"], env)
    assert result.returncode == 1
    assert f"kernel {PRE[1]} (alice/{PRE[1]} v1) ended with ERROR" in result.stderr
    assert "ValueError: row 17 is not an image" in result.stderr
    assert "line 99" in result.stderr and "line 10\n" not in result.stderr  # the tail only
    assert TRAIN not in fake.pushed_slugs() and not fake.submissions
    assert f"alice/{PRE[0]}" in result.stdout and "complete" in result.stdout  # what finished
    assert "--skip-unchanged" in result.stderr


def test_push_error_inside_a_200_response_is_a_failure(tmp_path, fake, setup):
    _, args, env = setup
    fake.push_errors[PRE[0]] = "Notebook not found"
    result = push(tmp_path, args, env)
    assert result.returncode == 1
    assert f"Kaggle refused the push of alice/{PRE[0]}: Notebook not found" in result.stderr
    statuses = [r.body["kernelSlug"] for r in fake.calls("GetKernelSessionStatus")]
    assert PRE[0] not in statuses and TRAIN not in fake.pushed_slugs()
    assert f"alice/{PRE[2]}" in result.stdout and "not pushed" in result.stdout


@pytest.mark.parametrize("fault", ["http-500", "timeout"])
def test_transient_failure_then_success(tmp_path, fake, setup, fault):
    _, args, env = setup
    if fault == "http-500":
        fake.faults.update(SaveKernel=[500], GetKernelSessionStatus=[502, 503], download=[500],
                           CreateSubmission=[500])
    else:
        fake.delays["SaveKernel"] = [1.5]  # request_timeout is 1 s
    result = push(tmp_path, [*args, "--submit"], env)
    assert result.returncode == 0, result.stderr
    assert "retry 1/3" in result.stdout
    assert len(fake.calls("SaveKernel")) == 5  # one retried push, four kernels
    assert len(fake.submissions) == 1
    if fault == "http-500":  # refused before it took effect: looked up, not there, made again
        assert len(fake.calls("CreateSubmission")) == 2 and fake.calls("ListSubmissions")
        assert "the failed attempt did not count" in result.stdout


@pytest.mark.parametrize("submission, fault", [("csv", "http-500"), ("code", "read-timeout")])
def test_a_submission_kaggle_recorded_before_failing_is_not_made_twice(tmp_path, fake, setup,
                                                                        submission, fault):
    _, args, env = setup
    write_config(tmp_path / "pipeline.toml", submission=submission)
    route = "CreateSubmission" if submission == "csv" else "CreateCodeSubmission"
    if fault == "http-500":
        fake.faults_after[route] = [500]
    else:
        fake.delays_after[route] = [1.5]  # request_timeout is 1 s
    fake.submissions.append({"kind": "csv", "ref": 4999, "competitionName": "fashion-mnist-demo",
                             "submissionDescription": "alice/fmnist-train v1 (an earlier push)"})
    result = push(tmp_path, [*args, "--submit", "--message", "alice/fmnist-train v1"], env)
    assert result.returncode == 0, result.stderr
    assert len(fake.calls(route)) == 1 and len(fake.submissions) == 2  # the earlier one + this
    made = fake.submissions[-1]
    assert re.fullmatch(r"alice/fmnist-train v1 \[ref [0-9a-f]{8}\]", made["submissionDescription"])
    assert fake.calls("ListSubmissions")
    assert f"Kaggle recorded it despite the error (ref {made['ref']})" in result.stdout
    assert f"submission ref {made['ref']}" in result.stdout


def test_a_submission_that_cannot_be_checked_is_not_made_again(tmp_path, fake, setup):
    _, args, env = setup
    fake.faults_after["CreateSubmission"] = [502]
    fake.always_fail["ListSubmissions"] = 503
    result = push(tmp_path, [*args, "--submit"], env)
    assert result.returncode == 1
    assert len(fake.calls("CreateSubmission")) == 1 and len(fake.submissions) == 1
    assert "the submissions could not be listed to check" in result.stderr
    assert "fashion-mnist-demo/submissions before submitting again" in result.stderr
    assert "summary:" in result.stdout


def test_429_storm_exhausts_the_retries(tmp_path, fake, setup):
    _, args, env = setup
    fake.always_fail["SaveKernel"] = 429
    result = push(tmp_path, args, env)
    assert result.returncode == 1
    assert len(fake.calls("SaveKernel")) == 4  # the first attempt and [kaggle] retries = 3
    assert "gave up after 4 attempts" in result.stderr and "429" in result.stderr
    assert not fake.calls("GetKernelSessionStatus")


def test_missing_credentials_fail_before_anything_is_built_or_uploaded(tmp_path, fake):
    config = write_config(tmp_path / "pipeline.toml")
    (tmp_path / "data").mkdir()
    env = clean_env(tmp_path / "home", KAGGLE_PIPELINE_API_URL=fake.url)
    result = run_push(["--config", str(config), "--build-dir", str(tmp_path / "build")],
                      cwd=tmp_path, env=env)
    assert result.returncode == 2
    for words in ("No Kaggle credentials found", "kaggle.json", "KAGGLE_USERNAME",
                  "KAGGLE_API_TOKEN", str(tmp_path / "home" / "kaggle-config")):
        assert words in result.stderr
    assert not (tmp_path / "build").exists() and not fake.requests


def test_an_empty_key_in_kaggle_json_is_named_before_anything_is_built(tmp_path, fake):
    config = write_config(tmp_path / "pipeline.toml")
    (tmp_path / "data").mkdir()
    env = clean_env(tmp_path / "home", KAGGLE_PIPELINE_API_URL=fake.url)
    secrets = tmp_path / "home" / "kaggle-config" / "kaggle.json"
    secrets.write_text('{"username": "alice", "key": ""}')
    result = run_push(["--config", str(config), "--build-dir", str(tmp_path / "build")],
                      cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f'error: {secrets}: "key" is empty, so the Kaggle client cannot sign in. Fill it in '
        "(Create New Token at https://www.kaggle.com/settings, API section, downloads a "
        "complete kaggle.json), or export KAGGLE_KEY")
    assert not (tmp_path / "build").exists() and not fake.requests


@pytest.mark.parametrize("stale", ["ERROR", "COMPLETE"])
def test_stale_status_right_after_a_push_is_not_taken_for_the_new_run(tmp_path, fake, setup,
                                                                       stale):
    kernels, args, env = setup
    fake.seed(PRE[0], "the previous version", final=stale)
    fake.stale_after_push[PRE[0]] = 3
    result = push(tmp_path, args, env)
    assert result.returncode == 0, result.stderr
    new_run = fake.kernels[PRE[0]].versions[1]
    assert new_run.final == "COMPLETE" and new_run.polls == 3  # followed to its real end
    assert "may still be the previous run's status" in result.stdout
    train_push = next(i for i, r in enumerate(fake.requests) if r.route == "SaveKernel"
                      and r.body["slug"].endswith(TRAIN))
    real_end = max(i for i, r in enumerate(fake.requests) if r.route == "GetKernelSessionStatus"
                   and r.body["kernelSlug"] == PRE[0])
    assert real_end < train_push


def test_wait_that_times_out(tmp_path, fake, setup):
    _, args, env = setup
    write_config(tmp_path / "pipeline.toml", timeout_minutes=0.01)
    fake.status_scripts[PRE[0]] = ["RUNNING"]
    result = push(tmp_path, args, env)
    assert result.returncode == 1
    assert f"alice/{PRE[0]} v1 did not finish within 0.01 minutes (still running)" in result.stderr
    assert "timeout_minutes" in result.stderr and TRAIN not in fake.pushed_slugs()


def test_plan_needs_no_network_and_no_credentials(tmp_path, fake):
    make_kernel_set(tmp_path / "kernels")
    config = write_config(tmp_path / "pipeline.toml", owner="alice")
    env = clean_env(tmp_path / "home", KAGGLE_PIPELINE_API_URL=fake.url,
                    PYTHONPROFILEIMPORTTIME="1")  # lists every module imported, on stderr
    result = run_push(["--config", str(config), "--kernels", str(tmp_path / "kernels"), "--plan"],
                      cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "| host.kaggle_api\n" in result.stderr
    assert not re.search(r"\| +(kaggle|kagglesdk)\n", result.stderr)  # the client: never imported
    for slug in [*PRE, TRAIN]:
        assert f"alice/{slug}" in result.stdout
    assert "NvidiaTeslaT4, internet off, private" in result.stdout
    assert f"{TRAIN} mounts the outputs of: alice/{PRE[0]}, alice/{PRE[1]}" in result.stdout
    assert "train [0, 200)" in result.stdout  # the planner's table: row ranges, budgets
    assert "every kernel passes the checks" in result.stdout
    assert not fake.requests


def test_plan_reports_metadata_problems(tmp_path, fake):
    kernels = make_kernel_set(tmp_path / "kernels")
    make_folder(tmp_path / "kernels", PRE[1], "preprocess", owner="alice",
                title="A Title That Is Far Too Long For Kaggle To Accept At All")
    config = write_config(tmp_path / "pipeline.toml", owner="alice")
    env = clean_env(tmp_path / "home", KAGGLE_PIPELINE_API_URL=fake.url)
    result = run_push(["--config", str(config), "--kernels", str(tmp_path / "kernels"), "--plan"],
                      cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert f"kernel {PRE[1]}: title:" in result.stderr and "5 to 50" in result.stderr
    assert kernels and not fake.requests


def test_skip_unchanged_reruns_only_what_changed(tmp_path, fake, setup):
    kernels, args, env = setup
    assert push(tmp_path, args, env).returncode == 0
    # nothing changed: nothing is pushed, the train kernel's completed run is reused
    result = push(tmp_path, [*args, "--skip-unchanged", "--submit"], env)
    assert result.returncode == 0, result.stderr
    assert len(fake.pushed_slugs()) == 4
    assert result.stdout.count("unchanged") >= 4 and len(fake.submissions) == 1
    # one preprocessing kernel changed: it runs again, and so does the train kernel
    make_kernel_set(tmp_path / "kernels", body={PRE[1]: "print('new decoder')\n"})
    result = push(tmp_path, [*args, "--skip-unchanged"], env)
    assert result.returncode == 0, result.stderr
    assert fake.pushed_slugs()[4:] == [PRE[1], TRAIN]


def test_rerun_after_a_failure_continues_where_it_stopped(tmp_path, fake, setup):
    _, args, env = setup
    fake.status_scripts[PRE[1]] = ["ERROR"]
    assert push(tmp_path, args, env).returncode == 1
    first = fake.pushed_slugs()
    assert PRE[1] in first and TRAIN not in first
    result = push(tmp_path, [*args, "--skip-unchanged", "--submit"], env)
    assert result.returncode == 0, result.stderr
    # the failed kernel and those never pushed run; the ones that completed do not
    assert fake.pushed_slugs()[len(first):] == [
        s for s in PRE if s == PRE[1] or s not in first] + [TRAIN]


@pytest.mark.parametrize("change, words", [
    ({"enable_internet": None}, "enable_internet: must be set explicitly"),
    ({"is_private": False}, "is_private: is false but [kaggle] is_private = true"),
    ({"id": "bob/fmnist-preprocess-00"}, "id: owner 'bob', but the kernels are pushed as 'alice'"),
])
def test_bad_metadata_stops_before_the_first_upload(tmp_path, fake, setup, change, words):
    _, args, env = setup
    make_folder(tmp_path / "kernels", PRE[0], "preprocess", owner="alice", **change)
    result = push(tmp_path, args, env)
    assert result.returncode == 2
    assert f"kernel {PRE[0]}: {words}" in result.stderr and "nothing was uploaded" in result.stderr
    assert not fake.calls("SaveKernel")


def test_a_key_inside_a_kernel_folder_is_never_uploaded(tmp_path, fake, setup):
    _, args, env = setup
    make_folder(tmp_path / "kernels", PRE[2], "preprocess", owner="alice",
                body=f"KEY = '{fake.key}'\n")
    result = push(tmp_path, args, env)
    assert result.returncode == 2
    assert "credentials found in the kernel folders" in result.stderr
    assert fake.key not in result.stderr and not fake.calls("SaveKernel")


def test_train_run_without_submission_leaves_no_output_folder(tmp_path, fake, setup):
    _, args, env = setup
    fake.outputs_for = lambda kernel, version: {"metrics.json": b"{}"}
    result = push(tmp_path, [*args, "--submit"], env)
    assert result.returncode == 1
    assert f"alice/{TRAIN} v1 finished but wrote no submission.csv" in result.stderr
    assert not (tmp_path / "out" / TRAIN).exists() and not fake.submissions


def test_falls_back_to_the_latest_run_when_version_labels_are_not_found(tmp_path, fake, setup):
    _, args, env = setup
    fake.labels_supported = False
    result = push(tmp_path, [*args, "--submit"], env)
    assert result.returncode == 0, result.stderr
    assert "did not resolve version label 'v1'" in result.stdout
    assert len(fake.submissions) == 1


def test_rejected_key_says_so(tmp_path, fake, setup):
    _, args, env = setup
    env["KAGGLE_KEY"] = "not-the-right-key-000"
    result = push(tmp_path, args, env)
    assert result.returncode == 1
    assert "HTTP 401" in result.stderr and "credentials were rejected" in result.stderr
    assert "not-the-right-key-000" not in result.stdout + result.stderr


def test_poll_interval_flag_is_validated_like_the_setting(tmp_path, fake, setup):
    _, args, env = setup
    result = push(tmp_path, [*args, "--poll-interval", "0"], env)
    assert result.returncode == 2 and "[kaggle] poll_interval = 0.0: expected a number > 0" \
        in result.stderr and not fake.requests


def test_unreachable_server_is_retried_then_reported(tmp_path, setup):
    _, args, env = setup
    env = {**env, "KAGGLE_API_TOKEN": "some-token-0123456789",
           "KAGGLE_PIPELINE_API_URL": "http://127.0.0.1:9"}  # nothing listens on port 9
    result = push(tmp_path, args, env)
    assert result.returncode == 1
    assert "sign in to Kaggle: gave up after 4 attempts" in result.stderr
    assert "some-token-0123456789" not in result.stdout + result.stderr


def test_plan_of_built_kernels_takes_the_owner_from_their_ids(tmp_path, fake):
    make_kernel_set(tmp_path / "kernels", owner="carol")
    config = write_config(tmp_path / "pipeline.toml")
    env = clean_env(tmp_path / "home", KAGGLE_PIPELINE_API_URL=fake.url)
    result = run_push(["--config", str(config), "--kernels", str(tmp_path / "kernels"), "--plan"],
                      cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert f"carol/{TRAIN}" in result.stdout and "every kernel passes the checks" in result.stdout


def test_interrupted_wait_lists_what_is_still_running(tmp_path, fake, setup,
                                                      ctrl_c_reaches_children):
    _, args, env = setup
    write_config(tmp_path / "pipeline.toml", timeout_minutes=5)
    fake.status_scripts[PRE[0]] = ["RUNNING"]
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "push.py"), *args],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while len(fake.calls("GetKernelSessionStatus")) < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert f"alice/{PRE[0]}" in out and "left running on Kaggle" in out
    assert "interrupted" in err and "--skip-unchanged" in err


PROBE = """
from host.kaggle_api import api_base_url, connect, find_credentials
api = connect(find_credentials(), base_url=api_base_url(), request_timeout=7.5)
client = api.build_kaggle_client()
http = client.http_client()
http._init_session()
print(http._get_request_url("kernels.KernelsApiService", "SaveKernel"))
print(http._session.get_adapter("https://x")._timeout)
"""


@pytest.mark.parametrize("redirect", [None, "http://127.0.0.1:8123/", "proxy.local:80"])
def test_base_url_is_kaggle_unless_redirected(tmp_path, redirect):
    env = clean_env(tmp_path / "home", KAGGLE_USERNAME="alice", KAGGLE_KEY="k" * 20)
    if redirect:
        env["KAGGLE_PIPELINE_API_URL"] = redirect
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    if redirect == "proxy.local:80":
        assert "KAGGLE_PIPELINE_API_URL = 'proxy.local:80': expected a base URL" in result.stderr
        return
    url, timeout = result.stdout.split()
    base = redirect.rstrip("/") if redirect else "https://api.kaggle.com"
    assert url == f"{base}/v1/kernels.KernelsApiService/SaveKernel" and timeout == "7.5"


def test_an_import_error_while_building_is_reported_as_itself(tmp_path, fake):
    """A broken install must not be passed off as 'the planner is not on this branch'."""
    broken = tmp_path / "site" / "PIL"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('this Pillow install is broken')\n")
    (tmp_path / "data").mkdir()
    config = write_config(tmp_path / "pipeline.toml", owner="alice")
    env = clean_env(tmp_path / "home", KAGGLE_PIPELINE_API_URL=fake.url,
                    PYTHONPATH=str(tmp_path / "site"))
    result = run_push(["--config", str(config), "--build-dir", str(tmp_path / "build"), "--plan"],
                      cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "this Pillow install is broken" in result.stderr
    assert "not on this branch" not in result.stderr and not fake.requests


IMPORT_PROBE = """
import os, sys
reached = []

def refuse_sockets(event, args):
    if event in ("socket.getaddrinfo", "socket.connect"):
        reached.append(f"{event} {args[0] if event == 'socket.getaddrinfo' else args[1]}")
        raise OSError("no connection during the import")

sys.addaudithook(refuse_sockets)
from host.kaggle_api.client import import_kaggle_api
import_kaggle_api()
print("reached:", reached)
print("home:", os.environ["HOME"])
"""


@pytest.mark.parametrize("stored", ["access_token", "credentials.json"])
def test_importing_the_client_reaches_no_server(tmp_path, fake, stored):
    """Stored credentials are only ever used by ``connect``, against the chosen server."""
    home = tmp_path / "home"
    (home / ".kaggle").mkdir(parents=True)
    if stored == "access_token":
        (home / ".kaggle" / "access_token").write_text(fake.token)
    else:  # a `kaggle auth login` whose access token must be refreshed
        (home / ".kaggle" / "credentials.json").write_text(
            json.dumps({"refresh_token": "refresh-0123456789", "username": "alice"}))
    env = clean_env(home, KAGGLE_PIPELINE_API_URL=fake.url, VERBOSE="1")
    result = subprocess.run([sys.executable, "-c", IMPORT_PROBE], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "reached: []" in result.stdout and f"home: {home}" in result.stdout
    assert not fake.requests and not list((home / ".config").glob("*"))


def test_a_token_in_the_home_folder_is_checked_with_the_redirected_server(tmp_path, fake,
                                                                           setup):
    _, args, env = setup
    env = {k: v for k, v in env.items() if k not in ("KAGGLE_USERNAME", "KAGGLE_KEY")}
    (Path(env["HOME"]) / ".kaggle").mkdir(parents=True)
    (Path(env["HOME"]) / ".kaggle" / "access_token").write_text(fake.token)
    result = push(tmp_path, args, env)
    assert result.returncode == 0, result.stderr
    assert len(fake.calls("IntrospectToken")) == 1  # by connect, not by the import
    assert "credentials: token from" in result.stdout and "kernels go to alice/" in result.stdout


def test_a_download_cut_off_mid_transfer_is_retried(tmp_path, fake, setup):
    _, args, env = setup
    fake.cut_downloads["submission.csv"] = 1
    result = push(tmp_path, [*args, "--submit"], env)
    assert result.returncode == 0, result.stderr
    assert "download submission.csv:" in result.stdout and "retry 1/3" in result.stdout
    assert (tmp_path / "out" / TRAIN / "submission.csv").read_bytes() == b"id,label\n1,0\n2,1\n"
    assert len(fake.submissions) == 1


@pytest.mark.parametrize("failure", ["cut off every time", "output folder is a file"])
def test_a_failure_after_the_runs_still_lists_what_finished(tmp_path, fake, setup, failure):
    _, args, env = setup
    if failure == "cut off every time":
        fake.cut_downloads["submission.csv"] = 99
        words = "download submission.csv: gave up after 4 attempts"
    else:  # not a network error at all: an OSError from the local disk
        (tmp_path / "out").write_text("in the way")
        words = "Errno"
    result = push(tmp_path, [*args, "--submit"], env)
    assert result.returncode == 1
    assert words in result.stderr and "summary:" in result.stdout
    for slug in [*PRE, TRAIN]:
        assert re.search(rf"alice/{slug} +v1  complete", result.stdout), slug
    assert "--skip-unchanged" in result.stderr and not fake.submissions
    if (tmp_path / "out").is_dir():
        assert not list((tmp_path / "out").iterdir())  # no partial download left behind
