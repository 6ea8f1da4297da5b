"""
Ensure options of OpenStack INI configuration files (the guide's
``openstack-config --set/--del``), many options of one file per state.

.. code-block:: yaml

    nova-config-nova-conf:
      openstack_config.present:
        - name: /etc/nova/nova.conf
        - sections:
            DEFAULT:
              transport_url: rabbit://openstack:PASS@controller
              enabled_apis: osapi_compute,metadata   # a ListOpt: one value
            database:
              connection: mysql+pymysql://nova:PASS@controller/nova
            pci:
              alias: ['{"name": "a1", ...}', '{"name": "a2", ...}']  # MultiStrOpt
        - absent:
            DEFAULT: [verbose]
        - require:
          - pkg: nova-package

The file must exist (the package ships it): a missing file or malformed INI
is ``result: False`` with a comment naming the file and line. The file is
rewritten only when its text changes, atomically, keeping its owner, mode and
SELinux label; this state does not manage those: where they matter (config
files holding secrets, 0640 root:nova), add a ``file.managed`` with
``replace: False`` and ``user``/``group``/``mode``.

Changes are reported per option, ``{"SECTION/key": {"old": .., "new": ..}}``,
with secrets masked (see the execution module ``openstack_config``: the
password of a URL, and the whole value of keys like ``*password*``,
``*secret*``, ``*token*``, ``*_key*``, ``transport_url``, ``*connection*``);
comments name options, never values.
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "openstack_config"


def __virtual__():
    if "openstack_config.apply" not in __salt__:
        return (False, "openstack_config: the openstack_config execution module is not loaded")
    return __virtualname__


def _ensure(name, sections, absent):
    ret = {"name": name, "result": False, "comment": "", "changes": {}}
    test = bool(__opts__.get("test"))
    try:
        changes = __salt__["openstack_config.apply"](
            name, sections=sections, absent=absent, test=test
        )
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = str(exc)
        return ret
    if not changes:
        ret["result"] = True
        ret["comment"] = f"{name}: options already as asked"
        return ret
    ret["changes"] = changes
    options = ", ".join(changes)
    if test:
        ret["result"] = None
        ret["comment"] = f"{name}: would change {options}"
    else:
        ret["result"] = True
        ret["comment"] = f"{name}: changed {options}"
    return ret


def present(name, sections, absent=None):
    """
    Ensure options are set, across the sections of one INI file.

    name
        The INI file (it must exist).

    sections
        ``{section: {key: value}}``. ``DEFAULT`` is a section like the others.
        A list value is a multi-valued option (oslo ``MultiStrOpt``): the key
        is written once per item, in order; an empty list removes the key.
        A comma-separated ``ListOpt`` (``enabled_apis``) is one string.
        Booleans are written ``true``/``false``.

    absent
        Optional ``{section: [key, ...]}``: options to delete in the same run.

    Example:

    .. code-block:: yaml

        keystone-config-keystone-conf:
          openstack_config.present:
            - name: /etc/keystone/keystone.conf
            - sections:
                database:
                  connection: mysql+pymysql://keystone:PASS@controller/keystone
                token:
                  provider: fernet
    """
    return _ensure(name, sections, absent)


def absent(name, sections):
    """
    Ensure options are not set (every occurrence of the key is removed).

    name
        The INI file (it must exist).

    sections
        ``{section: [key, ...]}``.

    Example:

    .. code-block:: yaml

        nova-config-no-verbose:
          openstack_config.absent:
            - name: /etc/nova/nova.conf
            - sections:
                DEFAULT: [verbose, logdir]
    """
    return _ensure(name, None, sections)
