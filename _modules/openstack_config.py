"""
Get, set and delete options in OpenStack INI configuration files.

The guide's ``openstack-config --set/--get/--del FILE SECTION KEY VALUE``,
without that binary. Files are read the way OpenStack (oslo.config) reads them:

- ``[DEFAULT]`` is an ordinary section here: its options are *not* inherited
  by the other sections (oslo.config does not do that either);
- section names and keys are case-sensitive;
- a key repeated in a section is a multi-valued option (oslo's ``MultiStrOpt``):
  all its values are read, in file order, and a list value writes the key once
  per item, in order. Beware: a comma-separated ``ListOpt`` such as
  ``enabled_apis`` is *one* value (``osapi_compute,metadata``); repeated, oslo
  would keep only the last;
- values are written unquoted and read raw (oslo.config would strip one pair of
  matching surrounding quotes; we neither add nor strip them);
- comments are whole lines starting with ``#`` or ``;``; ``;`` in a value is
  part of the value (oslo has no inline comments).

Everything that is not changed stays byte for byte: the package's comments,
blank lines, option order and line endings. A new key is written right after
its commented-out example (``#key = <default>``, as the oslo sample generator
writes them) when the section has one, otherwise after the last key of its
section (or right after the section header); a new section goes at the end.

Library
-------
Built on iniparse (``python3-iniparse`` on Debian and EL; what
``openstack-config``, crudini's predecessor, used). iniparse keeps every line
(comments, blank lines, original text) in a tree of line objects and writes
unchanged lines back verbatim, which is what we need. Its dictionary API does
not fit oslo.config, so this module uses iniparse's line tree (``INIConfig._data``:
sections, each a ``LineContainer`` of comment lines and option containers,
the same in iniparse 0.5 and 0.5.3) with a small, explicit extension:

- repeated keys: iniparse's dictionary API keeps only the last occurrence of a
  key; here every option container of the key, in every block of the section,
  is found in the tree, so multi-valued options are read and written whole;
- the line grammar is oslo.config's: iniparse's ``rem`` comments (which would
  swallow a key like ``remove_unused_base_images``) and inline ``;`` comments
  are turned off, and a section header must end with ``]``;
- case-sensitive keys (iniparse lower-cases them by default) and no
  ``DEFAULT`` inheritance.

Secrets
-------
``set``, ``delete`` and ``apply`` return what they changed with secret values
masked; only ``get`` returns a value as it is. The rule (:func:`_mask`):

- a URL with credentials (``scheme://user:password@host...``, whatever its key,
  anywhere in the value) shows ``scheme://user:******@host...``; a URL whose credentials cannot be
  told apart safely (several ``@``, as in a multi-host ``transport_url``) is
  ``******`` whole;
- any other value of a key matching ``passw(or)d|secret|token|_key|
  transport_url|connection`` (case-insensitive) is ``******``.

Error messages name the file and line, never a value.
"""

import io
import logging
import os
import re
import shutil
import tempfile

from salt.exceptions import CommandExecutionError, SaltInvocationError

try:
    from iniparse import ini

    HAS_INIPARSE = True
except ImportError:  # pragma: no cover (tested through __virtual__)
    HAS_INIPARSE = False

log = logging.getLogger(__name__)

__virtualname__ = "openstack_config"
__func_alias__ = {"set_": "set"}

MASK = "******"
SECRET_KEY_RE = re.compile(
    r"passw(?:or)?d|secret|token|_key|transport_url|connection", re.IGNORECASE
)
_URL_RE = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<rest>.*)", re.DOTALL)
# A key oslo.config can read back: not empty, no separator, not a comment,
# a section header or a continuation line.
_KEY_RE = re.compile(r"^[^\s\[#;:=][^:=\n]*$")


def __virtual__():
    if not HAS_INIPARSE:
        return (
            False,
            "openstack_config: the iniparse library is missing "
            "(install python3-iniparse, or `pip install iniparse`)",
        )
    return __virtualname__


if HAS_INIPARSE:

    class _CommentLine(ini.CommentLine):
        # oslo.config: `#` or `;` at the start of the line; no `rem`.
        regex = re.compile(r"^(?P<csep>[#;])(?P<comment>.*)$")

    class _SectionLine(ini.SectionLine):
        # oslo.config: the header is the whole line, `[name]`.
        regex = re.compile(r"^\[(?P<name>[^\]]+)\]$")

        @classmethod
        def parse(cls, line):
            match = cls.regex.match(line.rstrip())
            if match is None:
                return None
            return cls(match.group("name"), line=line)

    class _OptionLine(ini.OptionLine):
        @classmethod
        def parse(cls, line):
            # oslo.config: everything after the first `=` or `:` is the
            # value; no inline comments.
            match = cls.regex.match(line.rstrip())
            if match is None:
                return None
            name = match.group("name").rstrip()
            separator = match.group("name")[len(name) :] + match.group("sep")
            return cls(name, match.group("value"), separator, line=line)

    class _INIConfig(ini.INIConfig):
        _line_types = [
            ini.EmptyLine,
            _CommentLine,
            _SectionLine,
            _OptionLine,
            ini.ContinuationLine,
        ]


class _Document:
    """One parsed file: iniparse's line tree plus the bits around it."""

    def __init__(self, filename, text):
        self.filename = filename
        self.text = text
        self.trailing_newline = text.endswith("\n")
        self.crlf = text.split("\n", 1)[0].endswith("\r")
        self.config = _parse(filename, text)
        items = self.config._data.contents
        # iniparse represents the final newline as an empty last line; drop it
        # so that appended sections go before it, and add it back in render().
        if self.trailing_newline and items and isinstance(items[-1], ini.EmptyLine):
            items.pop()

    @property
    def items(self):
        return self.config._data.contents

    def render(self):
        body = str(self.config)
        if body and (self.trailing_newline or not self.text):
            body += "\n"
        if self.crlf:
            # New and changed lines get the file's line ending too.
            body = re.sub(r"(?<!\r)\n", "\r\n", body)
        return body

    def blocks(self, section):
        """The section's blocks (a section may appear more than once)."""
        return [
            item
            for item in self.items
            if isinstance(item, ini.LineContainer) and item.name == section
        ]

    def occurrences(self, section, key):
        """Each (block, option container) of the key, in file order."""
        return [
            (block, line)
            for block in self.blocks(section)
            for line in block.contents[1:]
            if isinstance(line, ini.LineContainer) and line.name == key
        ]

    def values(self, section, key):
        return [option.value for _, option in self.occurrences(section, key)]

    def set_values(self, section, key, values):
        found = self.occurrences(section, key)
        for (_, option), value in zip(found, values, strict=False):
            if option.value != value:
                option.value = value
        for block, option in found[len(values) :]:
            block.contents.remove(option)
        extra = values[len(found) :]
        if not extra:
            return
        if found:
            block, option = found[-1]
            position = block.contents.index(option) + 1
        else:
            block, position = self._new_key_position(section, key)
        for offset, value in enumerate(extra):
            block.contents.insert(position + offset, ini.LineContainer(_OptionLine(key, value)))

    def _new_key_position(self, section, key):
        """Where a new key goes: (block, index in block.contents)."""
        blocks = self.blocks(section)
        if not blocks:
            if self.items and not isinstance(self.items[-1], ini.EmptyLine):
                self.items.append(ini.EmptyLine())
            block = ini.LineContainer(_SectionLine(section))
            self.items.append(block)
            return block, 1
        example = re.compile(r"^[#;] ?" + re.escape(key) + r"\s*[=:]")
        for block in blocks:
            for index, line in enumerate(block.contents[1:], start=1):
                if isinstance(line, ini.CommentLine) and example.match(str(line)):
                    return block, index + 1
            # The comments after a block's last option are iniparse top-level
            # lines up to the next section: move those up to the example into
            # the block (the text does not change), then add after it.
            start = self.items.index(block) + 1
            for index in range(start, len(self.items)):
                line = self.items[index]
                if isinstance(line, ini.LineContainer):
                    break
                if isinstance(line, ini.CommentLine) and example.match(str(line)):
                    block.contents.extend(self.items[start : index + 1])
                    del self.items[start : index + 1]
                    return block, len(block.contents)
        for block in reversed(blocks):
            options = [
                index
                for index, line in enumerate(block.contents)
                if index and isinstance(line, ini.LineContainer)
            ]
            if options:
                return block, options[-1] + 1
        return blocks[0], 1


def _reason(line):
    """Why iniparse, with oslo.config's grammar, could not read a line."""
    if line.lstrip().startswith("["):
        return "section header not terminated by ']' or not alone on its line"
    if line[:1].isspace():
        return "continuation line without an option"
    return "expected 'key = value', '[section]' or a '#' comment"


def _parse(filename, text):
    try:
        return _INIConfig(io.StringIO(text), optionxformvalue=None)
    except ini.MissingSectionHeaderError as exc:
        # Name the key (never the value), or say what the line is.
        option = _OptionLine.parse(exc.line)
        what = f"option {option.name!r} before any section header" if option else _reason(exc.line)
        raise CommandExecutionError(
            f"{filename}: malformed INI: line {exc.lineno}: {what}"
        ) from None
    except ini.ParsingError as exc:
        problems = [f"line {lineno}: {_reason(line)}" for lineno, line in exc.errors[:5]]
        if len(exc.errors) > 5:
            problems.append(f"and {len(exc.errors) - 5} more")
        raise CommandExecutionError(f"{filename}: malformed INI: " + "; ".join(problems)) from None


def _read(filename):
    path = os.path.realpath(os.path.expanduser(str(filename)))
    if not os.path.exists(path):
        raise CommandExecutionError(f"{filename}: no such file")
    if not os.path.isfile(path):
        raise CommandExecutionError(f"{filename}: not a regular file")
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandExecutionError(f"{filename}: cannot read: {exc}") from None
    return path, _Document(filename, text)


def _write(path, text):
    """Replace the file atomically, keeping its owner, mode and xattrs."""
    stat = os.stat(path)
    directory, base = os.path.split(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if (stat.st_uid, stat.st_gid) != (os.geteuid(), os.getegid()):
            os.chown(tmp, stat.st_uid, stat.st_gid)
        # Mode and extended attributes (SELinux label); then a fresh mtime.
        shutil.copystat(path, tmp)
        os.utime(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise CommandExecutionError(f"{path}: cannot write: {exc}") from None


def _to_values(section, key, value):
    """The value(s) to write, as strings, in order."""
    values = value if isinstance(value, (list, tuple)) else [value]
    result = []
    for raw in values:
        if isinstance(raw, bool):
            item = "true" if raw else "false"
        elif raw is None:
            item = ""
        elif isinstance(raw, (int, float, str)):
            item = str(raw).strip()
        else:
            raise SaltInvocationError(
                f"{section}/{key}: a value must be a string, number, boolean or a list "
                f"of them, not {type(raw).__name__}"
            )
        if "\n" in item:
            raise SaltInvocationError(
                f"{section}/{key}: multi-line values are not supported; "
                "use a list for a multi-valued option"
            )
        result.append(item)
    return result


def _check_name(section, key=None):
    if not isinstance(section, str) or not section or "]" in section or "\n" in section:
        raise SaltInvocationError(f"invalid section name {section!r}")
    if key is not None and (not isinstance(key, str) or not _KEY_RE.match(key.strip())):
        raise SaltInvocationError(f"{section}: invalid option name {key!r}")


def _mask_one(key, value):
    match = _URL_RE.search(value)
    if match and "@" in match["rest"]:
        rest = match["rest"]
        if rest.count("@") > 1:
            return MASK
        userinfo, host = rest.split("@")
        user, colon, _ = userinfo.partition(":")
        if not colon:
            return value
        return f"{value[: match.start()]}{match['scheme']}{user}:{MASK}@{host}"
    if match or not SECRET_KEY_RE.search(key):
        return value
    return MASK


def _mask(key, value):
    """The value (a string, a list of strings or None) fit to show."""
    if value is None:
        return None
    if isinstance(value, list):
        return [_mask_one(key, item) for item in value]
    return _mask_one(key, value)


def _shown(values):
    """A key's values as get() returns them: None, a string or a list."""
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def _change(key, old, new):
    old, new = _shown(old), _shown(new)
    shown_old, shown_new = _mask(key, old), _mask(key, new)
    if shown_old == shown_new:
        shown_new = f"{MASK} (changed)"
    return {"old": shown_old, "new": shown_new}


def _normalize(sections, absent):
    """Check the arguments; return [(section, key, values or None)]."""
    plan = []
    if sections is None:
        sections = {}
    if absent is None:
        absent = {}
    if not isinstance(sections, dict):
        raise SaltInvocationError("sections must be a mapping of section: {key: value}")
    if not isinstance(absent, dict):
        raise SaltInvocationError("absent must be a mapping of section: [key, ...]")
    for section, options in sections.items():
        _check_name(section)
        if not isinstance(options, dict):
            raise SaltInvocationError(f"{section}: options must be a mapping of key: value")
        for key, value in options.items():
            _check_name(section, key)
            plan.append((section, key.strip(), _to_values(section, key, value)))
    wanted = {(section, key) for section, key, _ in plan}
    for section, names in absent.items():
        _check_name(section)
        keys = [names] if isinstance(names, str) else names
        if not isinstance(keys, (list, tuple)):
            raise SaltInvocationError(f"{section}: absent options must be a list of keys")
        for key in keys:
            _check_name(section, key)
            if (section, key.strip()) in wanted:
                raise SaltInvocationError(f"{section}/{key}: both set and absent")
            plan.append((section, key.strip(), None))
    return plan


def apply(filename, sections=None, absent=None, test=False):
    """
    Ensure many options of one INI file at once: set those of ``sections``,
    delete those of ``absent``. The file is written once, only if its text
    changes, keeping its owner, mode and SELinux label.

    Returns the changes as ``{"SECTION/key": {"old": ..., "new": ...}}``
    (``None`` for a key not set), secrets masked; an empty dict when the file
    already is as asked.

    filename
        The INI file; it must exist.

    sections
        ``{section: {key: value}}``; a list value is a multi-valued option
        (the key repeated, in order); an empty list removes the key.

    absent
        ``{section: [key, ...]}``: keys to delete (every occurrence).

    test
        Report what would change; don't write.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_config.apply /etc/nova/nova.conf \\
            sections='{"DEFAULT": {"my_ip": "10.0.0.11"}, "api": {"auth_strategy": "keystone"}}' \\
            absent='{"DEFAULT": ["verbose"]}' test=True
    """
    plan = _normalize(sections, absent)
    path, document = _read(filename)
    changes = {}
    for section, key, values in plan:
        old = document.values(section, key)
        new = values if values is not None else []
        if old == new:
            continue
        document.set_values(section, key, new)
        changes[f"{section}/{key}"] = _change(key, old, new)
    text = document.render()
    if text != document.text and not test:
        _write(path, text)
        log.info("openstack_config: %s: changed %s", filename, ", ".join(changes))
    return changes


def get(filename, section, parameter):
    """
    The value of an option, like ``openstack-config --get``: a string, a list
    of strings for a multi-valued (repeated) key, or ``None`` when the option
    is not set in that section (``[DEFAULT]`` is not inherited).

    filename
        The INI file.

    section
        The section, e.g. ``DEFAULT`` or ``database``.

    parameter
        The key (case-sensitive).

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_config.get /etc/nova/nova.conf DEFAULT state_path
    """
    _check_name(section, parameter)
    _, document = _read(filename)
    return _shown(document.values(section, parameter.strip()))


def set_(filename, section, parameter, value):
    """
    Set an option, like ``openstack-config --set``; returns the change
    (secrets masked), ``{}`` when it was already so.

    filename
        The INI file; it must exist.

    section
        The section; created at the end of the file when missing.

    parameter
        The key (case-sensitive).

    value
        The value; a list sets a multi-valued option (the key repeated).

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_config.set /etc/nova/nova.conf DEFAULT my_ip 10.0.0.11
        salt '*' openstack_config.set /etc/nova/nova.conf pci alias '["{...}", "{...}"]'
    """
    return apply(filename, sections={section: {parameter: value}})


def delete(filename, section, parameter):
    """
    Delete an option (every occurrence of the key), like
    ``openstack-config --del``; returns the change, ``{}`` when it was not set.

    filename
        The INI file; it must exist.

    section
        The section.

    parameter
        The key (case-sensitive).

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_config.delete /etc/nova/nova.conf DEFAULT verbose
    """
    return apply(filename, absent={section: [parameter]})
