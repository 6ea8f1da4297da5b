"""
One check of a cloud as a state: it passes, fails or is skipped, and says
so with the time it took (``PASS (0.4 s) <name>: <what was found>``), as
the audit's checks do (``_utils/check_report.py`` writes that report for
both).

Uses the ``openstack_verify`` execution module (``_modules/openstack_verify.py``);
``salt/verify/*.sls`` list the checks, ``salt/openstack/verify.sls`` runs
them. A check leaves nothing behind (what it creates,
:func:`openstack_verify.cleanup` deletes); its ``changes`` are its outcome
and seconds, so that an orchestration lists every check. Under
``test=True`` nothing runs.

.. code-block:: yaml

    verify-users:
      openstack_verify.check:
        - check: users
        - expected: [admin, nova]
"""

try:
    import check_report
except ImportError:
    check_report = None

__virtualname__ = "openstack_verify"


def __virtual__():
    if check_report is None:
        return (False, "openstack_verify state: _utils/check_report.py is not synced")
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
    return check_report.state(__salt__, __virtualname__, name, check, kwargs, test=__opts__["test"])
