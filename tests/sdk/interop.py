#!/usr/bin/env python3
"""Interop test: the official Python SDK (huaweicloudsdkcts 3.1.219) as a real client
of a running `cts-conform serve`.

It signs every request with AK/SK (SDK-HMAC-SHA256) exactly as it does against the
cloud, so this checks both the emulator's wire format (what the SDK can parse) and
its signature verification (what the SDK signs). The emulator must be fresh: the
checks create, list, update and delete trackers of the project and read its quotas.

    python tests/sdk/interop.py --endpoint http://127.0.0.1:9000 \\
        --ak AK --sk SK --project-id PROJECT

Each argument falls back to an environment variable (CTS_ENDPOINT,
HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID). Prints one line
per check and a closing `N passed, M failed`; exits 1 when a check failed, 2 on a
usage error. Secrets are never printed.
"""

import argparse
import os
import sys
import traceback

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcts.v3 import (
    CreateTrackerRequest,
    CreateTrackerRequestBody,
    CtsClient,
    DataBucket,
    DeleteTrackerRequest,
    ListQuotasRequest,
    ListTrackersRequest,
    TrackerObsInfo,
    UpdateTrackerRequest,
    UpdateTrackerRequestBody,
)

DATA_TRACKER = "sdk-interop-data"
TRACKED_BUCKET = "sdk-interop-tracked"
OBS_BUCKET = "sdk-interop-obs"


class CheckFailed(Exception):
    """A check's expectation did not hold."""


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def expect_equal(what, actual, expected):
    expect(actual == expected, f"{what}: expected {expected!r}, got {actual!r}")


def expect_refused(call, status, code_prefix="CTS."):
    """Runs `call`, which must raise ClientRequestException with `status`."""
    try:
        call()
    except ClientRequestException as error:
        expect_equal("status_code", error.status_code, status)
        expect(
            str(error.error_code).startswith(code_prefix),
            f"error_code {error.error_code!r} does not start with {code_prefix!r}",
        )
        expect(error.request_id, "the error carries no request id (X-Request-Id)")
        return error
    raise CheckFailed(f"expected ClientRequestException {status}, the call succeeded")


def client(endpoint, ak, sk, project_id):
    # No with_region(): it would contact IAM. Plain http is accepted.
    return (
        CtsClient.new_builder()
        .with_credentials(BasicCredentials(ak, sk, project_id))
        .with_endpoints([endpoint])
        .build()
    )


def list_trackers(cts, **filters):
    return cts.list_trackers(ListTrackersRequest(**filters)).trackers or []


def quota_usage(cts):
    resources = cts.list_quotas(ListQuotasRequest()).resources or []
    return {r.type: (r.used, r.quota) for r in resources}


class Interop:
    """The checks, in order; later ones rely on what earlier ones created."""

    def __init__(self, args):
        self.args = args
        self.cts = client(args.endpoint, args.ak, args.sk, args.project_id)

    def quotas_start_at_zero(self):
        usage = quota_usage(self.cts)
        expect_equal("data_tracker usage", usage.get("data_tracker", (None,))[0], 0)
        expect_equal("system_tracker usage", usage.get("system_tracker", (None,))[0], 0)

    def create_management_tracker(self):
        body = CreateTrackerRequestBody(
            tracker_type="system",
            tracker_name="system",
            obs_info=TrackerObsInfo(bucket_name=OBS_BUCKET, file_prefix_name="mgmt"),
        )
        created = self.cts.create_tracker(CreateTrackerRequest(body=body))
        expect_equal("tracker_type", created.tracker_type, "system")
        expect_equal("tracker_name", created.tracker_name, "system")
        expect_equal("project_id", created.project_id, self.args.project_id)
        expect(created.id, "no tracker id")
        expect(isinstance(created.create_time, int), "create_time is not an integer")
        expect_equal("obs_info.bucket_name", created.obs_info.bucket_name, OBS_BUCKET)

    def create_data_tracker(self):
        body = CreateTrackerRequestBody(
            tracker_type="data",
            tracker_name=DATA_TRACKER,
            data_bucket=DataBucket(data_bucket_name=TRACKED_BUCKET, data_event=["READ", "WRITE"]),
            obs_info=TrackerObsInfo(bucket_name=OBS_BUCKET, file_prefix_name="data"),
        )
        created = self.cts.create_tracker(CreateTrackerRequest(body=body))
        expect_equal("tracker_type", created.tracker_type, "data")
        expect_equal("tracker_name", created.tracker_name, DATA_TRACKER)
        expect_equal("data_bucket.data_bucket_name", created.data_bucket.data_bucket_name, TRACKED_BUCKET)
        expect_equal("data_bucket.data_event", sorted(created.data_bucket.data_event), ["READ", "WRITE"])

    def list_by_name_returns_the_data_tracker(self):
        trackers = list_trackers(self.cts, tracker_name=DATA_TRACKER)
        expect_equal("number of trackers", len(trackers), 1)
        tracker = trackers[0]
        expect_equal("tracker_name", tracker.tracker_name, DATA_TRACKER)
        expect_equal("tracker_type", tracker.tracker_type, "data")
        expect_equal("project_id", tracker.project_id, self.args.project_id)
        expect_equal("status", tracker.status, "enabled")
        expect_equal("data_bucket.data_bucket_name", tracker.data_bucket.data_bucket_name, TRACKED_BUCKET)
        expect_equal("obs_info.bucket_name", tracker.obs_info.bucket_name, OBS_BUCKET)
        expect_equal("obs_info.file_prefix_name", tracker.obs_info.file_prefix_name, "data")
        expect(tracker.id and tracker.domain_id, "id or domain_id missing")
        expect(isinstance(tracker.create_time, int), "create_time is not an integer")

    def list_filters_by_type(self):
        system = list_trackers(self.cts, tracker_type="system")
        expect_equal("system trackers", [t.tracker_name for t in system], ["system"])
        data = list_trackers(self.cts, tracker_type="data")
        expect_equal("data trackers", [t.tracker_name for t in data], [DATA_TRACKER])
        everything = list_trackers(self.cts)
        expect_equal("all trackers", sorted(t.tracker_name for t in everything), sorted(["system", DATA_TRACKER]))

    def list_unknown_name_is_empty(self):
        expect_equal("trackers", list_trackers(self.cts, tracker_name="sdk-interop-never"), [])

    def quotas_count_the_trackers(self):
        usage = quota_usage(self.cts)
        expect_equal("data_tracker used", usage.get("data_tracker", (None,))[0], 1)
        expect_equal("system_tracker (used, quota)", usage.get("system_tracker"), (1, 1))
        expect(usage["data_tracker"][1] >= 1, "data_tracker quota below 1")

    def update_disables_the_data_tracker(self):
        body = UpdateTrackerRequestBody(
            tracker_type="data",
            tracker_name=DATA_TRACKER,
            status="disabled",
            data_bucket=DataBucket(data_bucket_name=TRACKED_BUCKET, data_event=["WRITE"]),
        )
        self.cts.update_tracker(UpdateTrackerRequest(body=body))
        (tracker,) = list_trackers(self.cts, tracker_name=DATA_TRACKER)
        expect_equal("status", tracker.status, "disabled")
        expect_equal("data_bucket.data_event", tracker.data_bucket.data_event, ["WRITE"])

    def delete_removes_the_data_tracker(self):
        self.cts.delete_tracker(DeleteTrackerRequest(tracker_name=DATA_TRACKER, tracker_type="data"))
        expect_equal("trackers", list_trackers(self.cts, tracker_name=DATA_TRACKER), [])
        expect_equal("data_tracker used", quota_usage(self.cts).get("data_tracker", (None,))[0], 0)

    def delete_removes_the_management_tracker(self):
        self.cts.delete_tracker(DeleteTrackerRequest(tracker_name="system", tracker_type="system"))
        expect_equal("system trackers", list_trackers(self.cts, tracker_type="system"), [])

    def delete_of_a_missing_tracker_is_404(self):
        expect_refused(
            lambda: self.cts.delete_tracker(DeleteTrackerRequest(tracker_name=DATA_TRACKER, tracker_type="data")),
            404,
        )

    def wrong_secret_key_is_401(self):
        wrong = client(self.args.endpoint, self.args.ak, self.args.sk + "-wrong", self.args.project_id)
        # CTS.0002 from the emulator; APIGW.0301 from the gateway (a real account, or the
        # proxy, which answers as the gateway would) - api-facts, "Gateway answers".
        expect_refused(lambda: list_trackers(wrong), 401, ("CTS.", "APIGW."))

    def another_project_is_403(self):
        other = client(self.args.endpoint, self.args.ak, self.args.sk, "f" * 32)
        expect_refused(lambda: list_trackers(other), 403, "CTS.0013")

    CHECKS = [
        quotas_start_at_zero,
        create_management_tracker,
        create_data_tracker,
        list_by_name_returns_the_data_tracker,
        list_filters_by_type,
        list_unknown_name_is_empty,
        quotas_count_the_trackers,
        update_disables_the_data_tracker,
        delete_removes_the_data_tracker,
        delete_removes_the_management_tracker,
        delete_of_a_missing_tracker_is_404,
        wrong_secret_key_is_401,
        another_project_is_403,
    ]


def redact(text, secrets):
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    env = os.environ.get
    parser.add_argument("--endpoint", default=env("CTS_ENDPOINT"), help="base URL, e.g. http://127.0.0.1:9000")
    parser.add_argument("--ak", default=env("HUAWEICLOUD_SDK_AK"), help="access key")
    parser.add_argument("--sk", default=env("HUAWEICLOUD_SDK_SK"), help="secret key")
    parser.add_argument("--project-id", default=env("HUAWEICLOUD_SDK_PROJECT_ID"), help="project id")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="CHECK",
        help="leave out a check by name (repeatable)",
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.skip if name not in {c.__name__ for c in Interop.CHECKS}]
    if unknown:
        parser.error("no such check: " + ", ".join(unknown))
    missing = [name for name in ("endpoint", "ak", "sk", "project_id") if not getattr(args, name)]
    if missing:
        parser.error("missing: " + ", ".join("--" + name.replace("_", "-") for name in missing))
    return args


def main(argv):
    args = parse_args(argv)
    interop = Interop(args)
    passed = failed = 0
    for check in Interop.CHECKS:
        if check.__name__ in args.skip:
            print(f"skip   {check.__name__}")
            continue
        try:
            check(interop)
        except Exception as error:  # noqa: BLE001 - any failure of a check is reported
            failed += 1
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            print(f"FAILED {check.__name__}: {redact(detail, [args.sk, args.ak])}")
        else:
            passed += 1
            print(f"ok     {check.__name__}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
