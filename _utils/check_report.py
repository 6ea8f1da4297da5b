"""
One check reported the way the verification and the audit print it:
``PASS (0.4 s) <what>: <what was found>``, ``FAIL (...)`` or ``SKIP (...)``.

A check is a function returning ``{"result": True|False|None, "comment":
...}`` (None: skipped, with the reason). :func:`state` runs one as a state
(a skipped check does not fail the run; the outcome and seconds are its
``changes``, so an orchestration lists every check); :func:`runner` runs
one on the master as a runner's return (``salt.runner`` steps fail on the
``retcode`` it sets). Used by ``_states/openstack_verify.py``,
``_states/openstack_audit.py`` and the ``openstack`` runner's audit
functions (``import check_report``: Salt's loader has ``_utils`` on
``sys.path`` while it imports a custom module).
"""

import time

from salt.exceptions import CommandExecutionError, SaltInvocationError

WORDS = {True: "PASS", False: "FAIL", None: "SKIP"}


def line(result, seconds, name, comment):
    """The report line: ``PASS (0.4 s) name: comment``."""
    return f"{WORDS[result]} ({seconds:.1f} s) {name}: {comment}"


def timed(function, args):
    """Run a check; its ``(out, seconds)``. A check that cannot even look
    (``CommandExecutionError``, ``SaltInvocationError``) fails with its
    message."""
    started = time.monotonic()
    try:
        out = function(**args)
    except (CommandExecutionError, SaltInvocationError) as exc:
        out = {"result": False, "comment": str(exc)}
    return out, time.monotonic() - started


def state(functions, module, name, check, kwargs, *, test):
    """
    The state return of check ``module.check`` (looked up in ``functions``,
    the state's ``__salt__``) run with ``kwargs`` (Salt's own ``__*``
    arguments left out). Under ``test`` nothing runs.
    """
    ret = {"name": name, "result": True, "comment": "", "changes": {}}
    fun = f"{module}.{check}"
    if fun not in functions or check.startswith("_"):
        ret["result"] = False
        ret["comment"] = f"no such check: {check}"
        return ret
    if test:
        ret["result"] = None
        ret["comment"] = f"would run the check {check}"
        return ret
    args = {key: value for key, value in kwargs.items() if not key.startswith("__")}
    out, seconds = timed(functions[fun], args)
    ret["result"] = out["result"] is not False
    ret["comment"] = line(out["result"], seconds, name, out["comment"])
    ret["changes"] = {"check": WORDS[out["result"]], "seconds": round(seconds, 1)}
    return ret


def runner(context, name, function, args):
    """
    A runner's return for one check run on the master: ``{result, comment}``
    with the report line as the comment; a failure sets ``retcode`` 1 in the
    runner's ``context`` (``__context__``), which fails its ``salt.runner``
    step and ``salt-run``.
    """
    out, seconds = timed(function, args)
    if out["result"] is False:
        context["retcode"] = 1
    return {
        "result": out["result"] is not False,
        "check": WORDS[out["result"]],
        "comment": line(out["result"], seconds, name, out["comment"]),
    }
