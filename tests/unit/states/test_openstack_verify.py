"""
The openstack_verify state: how one check is reported (PASS, FAIL, SKIP and
its time), that a check's exception is a failure with its message, that
test=True runs nothing, and that only the module's public checks run.
"""

import pytest
from salt.exceptions import CommandExecutionError


@pytest.fixture
def state(extension):
    return extension("_states", "openstack_verify")


@pytest.fixture
def calls():
    return []


@pytest.fixture
def opts():
    return {"test": False}


@pytest.fixture
def configure_loader_modules(state, calls, opts):
    def passes(**kwargs):
        calls.append(("token", kwargs))
        return {"result": True, "comment": "token issued", "data": {}}

    def skips(**kwargs):
        calls.append(("volume", kwargs))
        return {"result": None, "comment": "skipped: no cinder-volume", "data": {}}

    def fails(**kwargs):
        calls.append(("users", kwargs))
        return {"result": False, "comment": "missing users: nova", "data": {}}

    def raises(**kwargs):
        calls.append(("boot", kwargs))
        raise CommandExecutionError("openstack server create: No valid host was found")

    return {
        state: {
            "__salt__": {
                "openstack_verify.token": passes,
                "openstack_verify.volume": skips,
                "openstack_verify.users": fails,
                "openstack_verify.boot": raises,
                "openstack_verify._cli": passes,
            },
            "__opts__": opts,
        }
    }


def test_pass_reports_its_time(state, calls):
    ret = state.check("the admin gets a token", "token")
    assert ret["result"] is True and ret["changes"]["check"] == "PASS"
    assert ret["comment"].startswith("PASS (")
    assert ret["comment"].endswith(" s) the admin gets a token: token issued")
    assert calls == [("token", {})]


def test_skip_does_not_fail_the_run(state):
    ret = state.check("volume", "volume", size=1)
    assert ret["result"] is True
    assert ret["comment"].startswith("SKIP (") and "no cinder-volume" in ret["comment"]
    assert ret["changes"]["check"] == "SKIP"


def test_fail_fails(state, calls):
    ret = state.check("user list", "users", expected=["admin", "nova"])
    assert ret["result"] is False
    assert ret["comment"].startswith("FAIL (") and "missing users: nova" in ret["comment"]
    assert calls == [("users", {"expected": ["admin", "nova"]})]


def test_exception_is_a_failure_with_the_clients_message(state):
    ret = state.check("boot", "boot", image="testguest")
    assert ret["result"] is False
    assert "No valid host was found" in ret["comment"]


def test_salt_internal_arguments_are_not_passed(state, calls):
    state.check("token", "token", __id__="verify-token", __env__="base")
    assert calls == [("token", {})]


def test_test_mode_runs_nothing(state, calls, opts):
    opts["test"] = True
    ret = state.check("the admin gets a token", "token")
    assert ret["result"] is None and calls == []


@pytest.mark.parametrize("name", ["nothing", "_cli"])
def test_unknown_or_private_check_is_refused(state, calls, name):
    ret = state.check("x", name)
    assert ret["result"] is False and ret["comment"] == f"no such check: {name}"
    assert calls == []
