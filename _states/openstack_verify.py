"""
One check of a cloud as a state: it passes, fails or is skipped, and says
so with the time it took.

Uses the ``openstack_verify`` execution module (``_modules/openstack_verify.py``);
``salt/verify/init.sls`` lists the checks. A check leaves nothing behind
(what it creates, :func:`openstack_verify.cleanup` deletes); its ``changes``
are its outcome and seconds, so that an orchestration lists every check.
Under ``test=True`` nothing runs.

.. code-block:: yaml

    verify-users:
      openstack_verify.check:
        - check: users
        - expected: [admin, nova]
"""

import time

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "openstack_verify"


def __virtual__():
    if "openstack_verify.token" in __salt__:
        return __virtualname__
    return (False, "openstack_verify state: the openstack_verify execution module is not available")


def check(name, check, **kwargs):  # pylint: disable=redefined-outer-name
    """
    Run one check and report it.

    name
        What the check is, as the output should show it.
    check
        The function of the ``openstack_verify`` module to run (``token``,
        ``users``, ``boot``, ...).
    kwargs
        Its arguments.

    The comment starts with ``PASS``, ``FAIL`` or ``SKIP`` and the seconds
    the check took; a skipped check does not fail the run.
    """
    ret = {"name": name, "result": True, "comment": "", "changes": {}}
    fun = "openstack_verify." + check
    if fun not in __salt__ or check.startswith("_"):
        ret["result"] = False
        ret["comment"] = f"no such check: {check}"
        return ret
    if __opts__["test"]:
        ret["result"] = None
        ret["comment"] = f"would run the check {check}"
        return ret
    args = {key: value for key, value in kwargs.items() if not key.startswith("__")}
    started = time.monotonic()
    try:
        out = __salt__[fun](**args)
    except (CommandExecutionError, SaltInvocationError) as exc:
        out = {"result": False, "comment": str(exc)}
    seconds = time.monotonic() - started
    word = {True: "PASS", False: "FAIL", None: "SKIP"}[out["result"]]
    ret["result"] = out["result"] is not False
    ret["comment"] = f"{word} ({seconds:.1f} s) {name}: {out['comment']}"
    # The outcome is reported as a change, so an orchestration shows every
    # check (it lists a minion's states only when something changed).
    ret["changes"] = {"check": word, "seconds": round(seconds, 1)}
    return ret
