"""
One check of the security audit as a state: it passes, fails or is skipped,
and says so with the time it took and what it found (``PASS (0.3 s) <name>:
<finding>``), as the verification's checks do (``_utils/check_report.py``,
shared with the ``openstack`` runner's audit steps on the master).

Uses the ``openstack_audit`` execution module (``_modules/openstack_audit.py``);
``salt/audit/*.sls`` list the checks, ``salt/openstack/audit.sls`` runs them.
A check changes nothing; its ``changes`` are its outcome and seconds, so an
orchestration lists every check. Under ``test=True`` nothing runs.

.. code-block:: yaml

    audit-firewall:
      openstack_audit.check:
        - name: the firewall table is the one loaded
        - check: firewall
"""

try:
    import check_report
except ImportError:
    check_report = None

__virtualname__ = "openstack_audit"


def __virtual__():
    if check_report is None:
        return (False, "openstack_audit state: _utils/check_report.py is not synced")
    if "openstack_audit.listening" in __salt__:
        return __virtualname__
    return (False, "openstack_audit state: the openstack_audit execution module is not available")


def check(name, check, **kwargs):  # pylint: disable=redefined-outer-name
    """
    Run one check of the ``openstack_audit`` module and report it.

    name
        What the check proves, as the output should show it.
    check
        The module's function (``listening``, ``firewall``, ``denied``, ...).
    kwargs
        Its arguments.

    The comment starts with ``PASS``, ``FAIL`` or ``SKIP`` and the seconds
    the check took; a skipped check does not fail the run.
    """
    return check_report.state(__salt__, __virtualname__, name, check, kwargs, test=__opts__["test"])
