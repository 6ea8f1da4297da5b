"""
A stand-in for ``cmd.run_all`` that answers gluster command lines with the
output captured from a real glusterd 10.3 (tests/unit/gluster_xml, see its
README), and the bricks of the captured volumes.
"""

from tests.support.paths import GLUSTER_XML as XML

B = "/tmp/glx/bricks"  # where the captured volumes' bricks were
VM_BRICKS = [f"compute{n}:{B}/n{n}/vm" for n in (1, 2, 3)]
DISTREP_BRICKS = [f"compute{n}:{B}/n{n}/d{d}" for d in (1, 2) for n in (1, 2, 3)]
MUTATING = {"create", "start", "stop", "set", "probe", "add-brick", "remove-brick", "delete"}


class FakeGluster:
    """
    ``cmd.run_all`` for ``gluster --xml --mode=script ARGS``: ``answers`` maps
    the ARGS (a tuple, or a string split on spaces) to a capture's file name,
    or to a (file name, exit code) pair.
    """

    def __init__(self, answers=None):
        self.answers = {}
        self.calls = []
        self.answer(answers or {})

    def answer(self, answers):
        for args, capture in answers.items():
            key = tuple(args.split()) if isinstance(args, str) else tuple(args)
            self.answers[key] = capture if isinstance(capture, tuple) else (capture, 0)

    def __call__(self, cmd, **kwargs):
        assert cmd[:3] == ["gluster", "--xml", "--mode=script"], cmd
        assert kwargs.get("python_shell") is False
        args = tuple(cmd[3:])
        self.calls.append(args)
        if args not in self.answers:
            raise AssertionError(f"unexpected gluster call: {' '.join(args)}")
        name, retcode = self.answers[args]
        return {"pid": 4242, "retcode": retcode, "stdout": (XML / name).read_text(), "stderr": ""}

    def mutating_calls(self):
        return [call for call in self.calls if MUTATING & set(call[:2])]
