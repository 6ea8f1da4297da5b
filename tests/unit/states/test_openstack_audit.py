"""
The openstack_audit state (through _utils/check_report.py, which the
runner's audit steps share): how one check is reported (PASS, FAIL, SKIP,
its time and finding), that a check's exception is a failure with its
message, that test=True runs nothing, that only the module's public checks
run; and the runner's form of the same report.
"""

import pytest
from salt.exceptions import CommandExecutionError


@pytest.fixture
def state(extension):
    return extension("_states", "openstack_audit")


@pytest.fixture
def report(extension):
    return extension("_utils", "check_report")


@pytest.fixture
def calls():
    return []


@pytest.fixture
def opts():
    return {"test": False}


@pytest.fixture
def configure_loader_modules(state, calls, opts):
    def passes(**kwargs):
        calls.append(("firewall", kwargs))
        return {"result": True, "comment": "table inet openstack_salt is the one loaded"}

    def fails(**kwargs):
        calls.append(("listening", kwargs))
        return {"result": False, "comment": "not the role's: 0.0.0.0:111/tcp (rpcbind)"}

    def skips(**kwargs):
        return {"result": None, "comment": "not the lab"}

    def raises(**kwargs):
        raise CommandExecutionError("rabbitmqctl list_users: Error: unable to perform an operation")

    return {
        state: {
            "__salt__": {
                "openstack_audit.firewall": passes,
                "openstack_audit.listening": fails,
                "openstack_audit.public": skips,
                "openstack_audit.rabbitmq_users": raises,
                "openstack_audit._run": passes,
            },
            "__opts__": opts,
        }
    }


def test_pass(state, calls):
    ret = state.check("the firewall table is the one loaded", "firewall", state_dir="/x")
    assert ret["result"] is True and ret["changes"]["check"] == "PASS"
    assert ret["comment"].startswith("PASS (")
    assert ret["comment"].endswith(
        " s) the firewall table is the one loaded: table inet openstack_salt is the one loaded"
    )
    assert calls == [("firewall", {"state_dir": "/x"})]


def test_fail_fails_with_the_finding(state):
    ret = state.check("sockets", "listening", expected=[])
    assert ret["result"] is False and ret["changes"]["check"] == "FAIL"
    assert ret["comment"].startswith("FAIL (") and "0.0.0.0:111/tcp (rpcbind)" in ret["comment"]


def test_skip_does_not_fail(state):
    ret = state.check("public", "public")
    assert ret["result"] is True and ret["comment"].startswith("SKIP (")


def test_an_exception_is_a_failure_with_its_message(state):
    ret = state.check("no guest", "rabbitmq_users")
    assert ret["result"] is False and "unable to perform an operation" in ret["comment"]


def test_salt_arguments_are_not_passed_and_test_mode_runs_nothing(state, calls, opts):
    state.check("fw", "firewall", __id__="audit-firewall", __env__="base")
    assert calls == [("firewall", {})]
    opts["test"] = True
    ret = state.check("fw", "firewall")
    assert ret["result"] is None and ret["comment"] == "would run the check firewall"
    assert len(calls) == 1


@pytest.mark.parametrize("name", ["nothing", "_run"])
def test_unknown_or_private_check_is_refused(state, calls, name):
    ret = state.check("x", name)
    assert ret == {"name": "x", "result": False, "comment": f"no such check: {name}", "changes": {}}
    assert calls == []


def test_the_runners_report(report):
    context = {}
    out = report.runner(context, "job cache", lambda **kw: {"result": True, "comment": "clean"}, {})
    assert out["result"] is True and out["check"] == "PASS" and "retcode" not in context
    assert out["comment"].startswith("PASS (") and out["comment"].endswith(" s) job cache: clean")

    def raises(**kwargs):
        raise CommandExecutionError("nsenter: cannot open /run/netns/oslab")

    out = report.runner(context, "public", raises, {})
    assert (
        out
        == {
            "result": False,
            "check": "FAIL",
            "comment": out["comment"],
        }
        and context["retcode"] == 1
    )
    assert out["comment"].startswith("FAIL (") and "cannot open /run/netns/oslab" in out["comment"]
