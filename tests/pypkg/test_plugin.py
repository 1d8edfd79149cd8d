"""The fixtures as a user meets them: the official SDK's round trip against
`cts_emulator` passes; a request with a wrong field type fails its test, naming the
violation; a fault mode fails the round trip; preloaded state is visible; the proxy
judges and forwards; no process is left after a session, whatever its tests did."""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import cts_conform
import pytest
from huaweicloudsdkcts.v3 import (
    CreateTrackerRequest,
    CreateTrackerRequestBody,
    ListTrackersRequest,
    TrackerObsInfo,
)

# The round trip a user writes: create, list, update, delete a data tracker.
ROUND_TRIP = """
from huaweicloudsdkcts.v3 import (
    CreateTrackerRequest, CreateTrackerRequestBody, DataBucket, DeleteTrackerRequest,
    ListTrackersRequest, TrackerObsInfo, UpdateTrackerRequest, UpdateTrackerRequestBody,
)


def round_trip(cts, name="audit"):
    bucket = DataBucket(data_bucket_name="tracked-bucket", data_event=["WRITE"])
    cts.create_tracker(CreateTrackerRequest(body=CreateTrackerRequestBody(
        tracker_type="data", tracker_name=name, data_bucket=bucket,
        obs_info=TrackerObsInfo(bucket_name="trace-bucket", file_prefix_name="t"))))
    listed = cts.list_trackers(ListTrackersRequest(tracker_name=name)).trackers
    assert [t.status for t in listed] == ["enabled"]
    cts.update_tracker(UpdateTrackerRequest(body=UpdateTrackerRequestBody(
        tracker_type="data", tracker_name=name, status="disabled", data_bucket=bucket)))
    listed = cts.list_trackers(ListTrackersRequest(tracker_name=name)).trackers
    assert [t.status for t in listed] == ["disabled"]
    cts.delete_tracker(DeleteTrackerRequest(tracker_name=name, tracker_type="data"))
    assert not cts.list_trackers(ListTrackersRequest(tracker_name=name)).trackers
"""


def round_trip(cts, name="audit"):
    namespace = {}
    exec(ROUND_TRIP, namespace)  # noqa: S102 - the same code the inner sessions run
    namespace["round_trip"](cts, name)


def test_sdk_round_trip_passes(cts_emulator):
    assert cts_emulator.endpoint.startswith("http://127.0.0.1:")
    assert cts_emulator.ak and cts_emulator.sk and len(cts_emulator.project_id) == 32
    round_trip(cts_emulator.client())
    assert cts_emulator.trackers() == []


def test_the_session_emulator_is_shared_and_reset_empties_it(cts_emulator):
    endpoint = cts_emulator.endpoint
    cts_emulator.client().create_tracker(
        CreateTrackerRequest(
            body=CreateTrackerRequestBody(
                tracker_type="system", tracker_name="system", obs_info=TrackerObsInfo(bucket_name="trace-bucket")
            )
        )
    )
    assert [t["tracker_name"] for t in cts_emulator.trackers()] == ["system"]
    cts_emulator.reset()
    assert cts_emulator.endpoint == endpoint
    assert cts_emulator.trackers() == []


PRELOADED = {
    "id": "2e4bf7a2-0000-4000-8000-000000000001",
    "tracker_type": "data",
    "tracker_name": "preloaded",
    "status": "enabled",
    "data_bucket": {"data_bucket_name": "existing-bucket", "data_event": ["READ"]},
}


@pytest.mark.cts_emulator(trackers=[PRELOADED], buckets=["existing-bucket", "trace-bucket"])
def test_preloaded_state_is_visible(cts_emulator):
    (listed,) = cts_emulator.client().list_trackers(ListTrackersRequest()).trackers
    assert (listed.tracker_name, listed.id) == ("preloaded", PRELOADED["id"])
    assert [t["tracker_name"] for t in cts_emulator.trackers(tracker_type="data")] == ["preloaded"]
    # Only the listed buckets exist.
    response = cts_emulator.request(
        "POST",
        "/v3/{project_id}/tracker",
        body={
            "tracker_type": "data",
            "tracker_name": "other",
            "data_bucket": {"data_bucket_name": "no-such-bucket", "data_event": ["WRITE"]},
            "obs_info": {"bucket_name": "trace-bucket"},
        },
    )
    assert (response.status, response.json()["error_code"]) == (400, "CTS.0211")


@pytest.mark.cts_emulator(cloud=True)
def test_cloud_has_the_management_tracker(cts_emulator):
    assert [t["tracker_name"] for t in cts_emulator.trackers()] == ["system"]


def test_proxy_in_front_of_the_emulator_judges_and_forwards(cts_emulator, cts_proxy):
    proxy = cts_proxy(cts_emulator.endpoint, ak=cts_emulator.ak, sk=cts_emulator.sk, project_id=cts_emulator.project_id)
    assert proxy.endpoint != cts_emulator.endpoint
    round_trip(proxy.client(), name="through-proxy")
    cts_emulator.reset()


def test_the_secret_key_is_not_on_a_command_line(cts_emulator):
    with open(f"/proc/{cts_emulator.pid}/cmdline", "rb") as cmdline:
        arguments = cmdline.read()
    assert cts_emulator.sk.encode() not in arguments
    assert cts_emulator.ak.encode() not in arguments


# -- inner sessions: what a user's failing test looks like

PIDS_CONFTEST = """
import pytest

PIDS = set()


@pytest.fixture(autouse=True)
def record_pids(request):
    # The emulator this test uses, to check that it is gone at the end of the session.
    if "cts_emulator" in request.fixturenames:
        PIDS.add(request.getfixturevalue("cts_emulator").pid)


def pytest_unconfigure(config):
    # After every fixture and the plugin's session finish, but while this process lives
    # (its death would end a left-over child on Linux, hiding the leak).
    with open(PIDS_FILE, "w") as out:
        for pid in sorted(PIDS):
            out.write(f"{pid} {'alive' if is_cts_conform(pid) else 'gone'}\\n")


def is_cts_conform(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return b"cts-conform" in cmdline.read()
    except FileNotFoundError:
        return False
"""


def run_inner(pytester, source, *args):
    pids_file = pytester.path / "pids.txt"
    pytester.makeconftest(f"PIDS_FILE = {str(pids_file)!r}\n" + PIDS_CONFTEST)
    pytester.makepyfile(test_inner=ROUND_TRIP + textwrap.dedent(source))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    states = dict(line.split() for line in pids_file.read_text().splitlines()) if pids_file.exists() else {}
    assert states, "the inner session recorded no emulator"
    assert set(states.values()) == {"gone"}, f"cts-conform still ran at the end of the inner session: {states}"
    return result


WRONG_TYPE = """
import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException


def send_wrong_type(cts_emulator):
    # is_lts_enabled is a boolean; the code under test sends a string. The test itself
    # asserts nothing about the answer: only the judging can fail it.
    try:
        cts_emulator.client().create_tracker(CreateTrackerRequest(body=CreateTrackerRequestBody(
            tracker_type="system", tracker_name="system", is_lts_enabled="yes",
            obs_info=TrackerObsInfo(bucket_name="trace-bucket"))))
    except ClientRequestException:
        pass


def test_wrong_type(cts_emulator):
    send_wrong_type(cts_emulator)


@pytest.mark.cts_allow_violations
def test_wrong_type_allowed(cts_emulator):
    send_wrong_type(cts_emulator)


def test_conforming_requests_pass(cts_emulator):
    cts_emulator.reset()
    round_trip(cts_emulator.client())
"""


def test_a_wrong_field_type_fails_its_test_with_the_violation_named(pytester):
    result = run_inner(pytester, WRONG_TYPE)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_wrong_type _*",
            "the requests this test sent to the CTS emulator at http://127.0.0.1:* broke the CTS contract (1 violation):",
            'CreateTracker body /is_lts_enabled: type (value "yes")',
            '    "yes" is not of type "boolean" [create-tracker: Request Parameters*',
            "FAILED test_inner.py::test_wrong_type - *",
        ]
    )


def test_the_option_turns_judging_off(pytester):
    result = run_inner(pytester, WRONG_TYPE, "--cts-allow-violations")
    result.assert_outcomes(passed=3)


THROUGH_PROXY = """
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException


def test_wrong_type_through_the_proxy(cts_emulator, cts_proxy):
    proxy = cts_proxy(cts_emulator.endpoint, ak=cts_emulator.ak, sk=cts_emulator.sk,
                      project_id=cts_emulator.project_id)
    try:
        proxy.client().create_tracker(CreateTrackerRequest(body=CreateTrackerRequestBody(
            tracker_type="system", tracker_name="system", is_lts_enabled="yes",
            obs_info=TrackerObsInfo(bucket_name="trace-bucket"))))
    except ClientRequestException:
        pass
"""


def test_the_proxy_judges_what_passes_through(pytester):
    result = run_inner(pytester, THROUGH_PROXY)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "the requests this test sent to the CTS proxy at http://127.0.0.1:* broke the CTS contract (1 violation):",
            'CreateTracker body /is_lts_enabled: type (value "yes")',
        ]
    )


FAULT = """
import pytest


@pytest.mark.cts_emulator(faults=["delete-keeps"])
def test_round_trip_against_a_broken_emulator(cts_emulator):
    round_trip(cts_emulator.client())


def test_round_trip_against_a_sound_emulator(cts_emulator):
    round_trip(cts_emulator.client())
"""


def test_a_fault_mode_makes_the_sdk_round_trip_fail(pytester):
    result = run_inner(pytester, FAULT)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*FAILED test_inner.py::test_round_trip_against_a_broken_emulator*"])


OPTIONS = """
import pytest


@pytest.fixture(scope="session")
def cts_emulator_options():
    return {"buckets": ["only-bucket"]}


def create_on(cts_emulator, bucket):
    return cts_emulator.request("POST", "/v3/{project_id}/tracker", body={
        "tracker_type": "data", "tracker_name": "t1",
        "data_bucket": {"data_bucket_name": bucket, "data_event": ["WRITE"]},
        "obs_info": {"bucket_name": "only-bucket", "is_obs_created": False}})


def test_the_session_emulator_has_the_options(cts_emulator):
    assert create_on(cts_emulator, "other-bucket").json()["error_code"] == "CTS.0211"


@pytest.mark.cts_emulator(cloud=True)
def test_a_marker_adds_its_options_to_them(cts_emulator):
    assert [t["tracker_name"] for t in cts_emulator.trackers()] == ["system"]
    assert create_on(cts_emulator, "other-bucket").json()["error_code"] == "CTS.0211"
"""


def test_options_come_from_the_options_fixture_and_the_marker(pytester):
    result = run_inner(pytester, OPTIONS)
    result.assert_outcomes(passed=2)


OUTCOMES = """
import os
import pytest


def test_fails(cts_emulator):
    assert cts_emulator.trackers() == ["something"]


def test_raises(cts_emulator):
    raise RuntimeError("boom")


@pytest.mark.cts_emulator
def test_own_emulator_fails(cts_emulator):
    assert False


@pytest.mark.cts_emulator
def test_own_emulator_errors_in_setup(cts_emulator, missing_fixture):
    pass


def test_skipped(cts_emulator):
    pytest.skip("on purpose")
"""


def test_no_process_is_left_whatever_the_outcome(pytester):
    result = run_inner(pytester, OUTCOMES)
    result.assert_outcomes(failed=3, errors=1, skipped=1)
    assert "still running at the end of the session" not in result.stdout.str()


def test_a_bad_option_is_reported_before_any_request():
    emulator = cts_conform.Emulator(faults=["no-such-fault"])
    with pytest.raises(cts_conform.StartError, match="no-such-fault"):
        emulator.start()
    emulator.stop()
    assert not emulator.running


def readme_example():
    """The first Python block of the README's pytest section, as a user copies it."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## Testing your code against the emulator (pytest)", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_example_passes(pytester):
    pytester.makepyfile(test_audit=readme_example())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_the_emulator_ends_when_its_python_is_killed():
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import cts_conform, time; e = cts_conform.Emulator(); e.start(); "
                "print(e.pid, e._workdir, flush=True); time.sleep(120)"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        pid, workdir = holder.stdout.readline().split()
        pid = int(pid)
        assert is_cts_conform(pid)
    finally:
        holder.kill()
        holder.wait()
    # A killed Python cannot remove its temporary directory: the test does.
    shutil.rmtree(workdir, ignore_errors=True)
    deadline = time.monotonic() + 10
    while is_cts_conform(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    outlived = is_cts_conform(pid)
    if outlived:
        os.kill(pid, signal.SIGKILL)
    assert not outlived, f"cts-conform (pid {pid}) outlived the Python process that started it"


def is_cts_conform(pid):
    """Whether `pid` is a running (not zombie) cts-conform process."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return state != "Z" and b"cts-conform" in cmdline.read()
    except FileNotFoundError:
        return False
