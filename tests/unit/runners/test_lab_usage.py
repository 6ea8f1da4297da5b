"""The lab's CPU accounting (_runners/_lab/usage.py) on cgroup trees made
in a temporary directory, in both layouts LXC uses."""

from _runners._lab import usage


def _v2(root, name, usec):
    path = root / f"lxc.payload.{name}"
    path.mkdir(parents=True)
    (path / "cpu.stat").write_text(f"usage_usec {usec}\nuser_usec 1\nsystem_usec 2\n")


def _v1(root, name, nsec):
    path = root / "cpuacct" / f"lxc.payload.{name}"
    path.mkdir(parents=True)
    (path / "cpuacct.usage").write_text(f"{nsec}\n")


def test_cgroup_v2_and_v1(tmp_path):
    _v2(tmp_path, "controller", 12_500_000)
    _v1(tmp_path, "compute1", 3_000_000_000)
    assert usage.cpu_seconds("controller", tmp_path) == 12.5
    assert usage.cpu_seconds("compute1", tmp_path) == 3.0
    assert usage.cpu_seconds("compute9", tmp_path) is None
    assert usage.snapshot(["compute9", "controller", "compute1"], tmp_path) == {
        "compute1": 3.0,
        "controller": 12.5,
    }


def test_report_is_the_difference_and_the_ratio():
    before = {"controller": 10.0, "compute1": 5.0}
    after = {"controller": 510.0, "compute1": 105.0, "compute2": 100.0}
    got = usage.report(before, after, wall=700.0, cores=2)
    # compute2 started in between: counted from zero
    assert got["cpu seconds"] == {"compute1": 100.0, "compute2": 100.0, "controller": 500.0}
    assert got["total"] == 700.0
    assert got["ratio"] == 2.0
    # a host restarted in between (its counter went back) is left out
    assert usage.report({"compute1": 50.0}, {"compute1": 5.0}, 10.0, 2)["cpu seconds"] == {}
    assert usage.report({}, {}, 10.0, 2)["ratio"] is None


def test_save_and_load(tmp_path):
    path = tmp_path / "cpu.json"
    assert usage.load(path) == {}
    usage.save(path, {"controller": 1.5})
    assert usage.load(path) == {"controller": 1.5}
