"""
Reading OVSDB's ``--format=json`` table output, as ``ovs-vsctl``,
``ovn-nbctl`` and ``ovn-sbctl`` print it, and quoting values for their
command lines. Used by the ``ovn`` execution module (``import ovsdb_json``:
Salt's loader has ``_utils`` on ``sys.path`` while it imports a custom module,
see ``_utils/keystone_api.py``). Pure functions: no Salt dunders.

The output of ``<tool> --format=json list <Table>`` is one JSON object per
command, one per line: ``{"headings": [column, ...], "data": [[cell, ...],
...]}``. A cell is OVSDB's JSON value notation (RFC 7047 5.1): a string,
integer, real or boolean atom as itself, ``["uuid", "<uuid>"]`` (also
``["named-uuid", ...]``), ``["set", [atom, ...]]`` and ``["map", [[key,
value], ...]]``. A set of exactly one element is printed as that element
alone (so a set column may come as an atom), and an optional column that is
empty is ``["set", []]``: :func:`as_list` and :func:`as_scalar` undo that.
"""

import json

from salt.exceptions import CommandExecutionError

_UUID_TAGS = ("uuid", "named-uuid")


def decode(value):
    """
    One OVSDB JSON cell as plain Python: a uuid as its string, a set as a
    list, a map as a dict (keys and values decoded), an atom as itself.
    """
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
        tag, body = value
        if tag in _UUID_TAGS:
            return body
        if tag == "set":
            return [decode(item) for item in body]
        if tag == "map":
            return {decode(key): decode(item) for key, item in body}
    if isinstance(value, (list, dict)):
        raise ValueError(f"not an OVSDB JSON value: {value!r}")
    return value


def as_list(value):
    """A decoded set column as a list (a one-element set arrives as the bare atom)."""
    if isinstance(value, list):
        return value
    return [value]


def as_scalar(value):
    """A decoded optional column (a set of 0 or 1 element) as the value or None."""
    if isinstance(value, list):
        if len(value) > 1:
            raise ValueError(f"column holds {len(value)} values, expected at most one")
        return value[0] if value else None
    return value


def tables(text, what="the command"):
    """
    The tables in one command line's output (one per ``list``/``find``
    command, in order), each a list of rows, each row a dict column -> decoded
    value. Raises CommandExecutionError naming ``what`` when the output is not
    OVSDB table JSON.
    """
    decoder = json.JSONDecoder()
    text = text or ""
    result = []
    pos = 0
    try:
        while True:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos == len(text):
                break
            table, pos = decoder.raw_decode(text, pos)
            headings = table["headings"]
            result.append(
                [dict(zip(headings, map(decode, row), strict=True)) for row in table["data"]]
            )
    except (ValueError, KeyError, TypeError) as exc:
        raise CommandExecutionError(
            f"{what}: output is not OVSDB table JSON ({exc}): {text[:200]!r}"
        ) from None
    return result


def quote(value):
    """
    ``value`` as a quoted OVSDB string for an ovs-vsctl/ovn-*ctl argument
    (``external_ids:"key"="value"``): any character is safe inside it.
    """
    return json.dumps(str(value), ensure_ascii=False)
