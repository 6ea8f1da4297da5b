"""
The guide's sections 5.4.2 to 5.4.4 deployed into the lab (issue 4): the
orchestration up to the kvm stage, then the guide's own checks and more:
NAT for LAN-only hosts, the replicated volume seen from every host, a second
run that changes nothing, drift put back by highstate, a dead compute host
survived and healed, and refusals that change nothing.
"""

import json
import os
import time
import uuid

import pytest
import yaml

from tests.lab.labkit import (
    BIN,
    CLOUD,
    COMPUTES,
    GATEWAY,
    HOSTS,
    LAB,
    LABCFG,
    LAN_ONLY,
    PROJECT,
    on,
    orchestrate,
    run,
    salt,
)

pytestmark = pytest.mark.lab

VOLUME = CLOUD["storage"]["volume"]
MOUNT = CLOUD["storage"]["mountpoint"]
BRICK = f"{CLOUD['storage']['brick_path']}/{VOLUME}"
CONTROLLER = next(n for n, h in HOSTS.items() if "controller" in h["roles"])
MIRROR = "http://deb.debian.org/debian/dists/bookworm/Release"


STAGES_1_TO_6 = ("validate", "sync", "gateway", "common", "glusterfs", "kvm")


@pytest.fixture(scope="module")
def deployed(lab):
    """The whole orchestration (so a later highstate has nothing left to
    install); these checks need its stages 1 to 6 only."""
    _, _, _, steps, tail = orchestrate()
    early = {
        s["id"]: s["result"] for s in steps if int(s["id"].split("-")[2]) <= len(STAGES_1_TO_6)
    }
    assert early, tail
    assert early and all(early.values()), early
    return early


def test_lan_only_host_reaches_the_mirror_through_the_gateway(deployed):
    for host in LAN_ONLY:
        on(
            host,
            f"python3 -c \"import urllib.request; urllib.request.urlopen('{MIRROR}', timeout=30)\"",
        )
        route = on(host, "ip route show default").stdout
        assert f"via {HOSTS[GATEWAY]['ip']}" in route, (host, route)


def test_volume_is_replicated_over_the_compute_hosts(deployed):
    info = salt(CONTROLLER, "gluster.volume_info", VOLUME)[CONTROLLER]
    info = info.get(VOLUME, info)
    print(json.dumps(info, indent=1)[:2000])
    assert info["status"] == "Started"
    assert info["replica_count"] == CLOUD["storage"]["replica"]
    hosts = [b["host"] if isinstance(b, dict) else b.split(":")[0] for b in info["bricks"]]
    assert sorted(hosts) == COMPUTES


def test_a_file_is_seen_everywhere_and_held_by_every_brick(deployed):
    name = f"probe-{uuid.uuid4().hex[:8]}"
    on("compute2", f"echo guide-step-10 > {MOUNT}/{name}")
    for host in ("compute3", CONTROLLER):
        assert on(host, f"cat {MOUNT}/{name}").stdout.strip() == "guide-step-10"
    for host in COMPUTES:
        assert on(host, f"cat {BRICK}/{name}").stdout.strip() == "guide-step-10", host
    owner = on("compute3", f"stat -c %u:%g {MOUNT}").stdout.strip()
    assert owner == f"{CLOUD['nova']['uid']}:{CLOUD['nova']['gid']}"
    on("compute3", f"rm {MOUNT}/{name}")


def test_o_direct_works_on_the_mount(deployed):
    on(
        "compute2",
        f"dd if=/dev/zero of={MOUNT}/odirect bs=4k count=16 oflag=direct && rm {MOUNT}/odirect",
    )


def test_libvirt_is_local_only_and_migration_goes_over_ssh(deployed):
    for host in COMPUTES:
        listening = on(host, "ss -ltn").stdout
        assert ":16509 " not in listening and ":16514 " not in listening, (host, listening)
        on(host, "su -s /bin/sh -c 'virsh -c qemu:///system version' nova")
    # nova on compute2 reaches compute3's libvirt over SSH with the cloud's key
    on("compute2", "su -s /bin/sh -c 'virsh -c qemu+ssh://nova@compute3/system hostname' nova")


def test_second_run_changes_nothing(deployed):
    seconds, code, changed, _, out = orchestrate('pillar={"stop_after": "kvm"}')
    assert code == 0, out
    assert changed == [], changed
    print(f"second run: {seconds:.0f}s")


def test_highstate_puts_back_drift(deployed):
    on("compute3", f"umount {MOUNT} && sed -i '\\#{MOUNT}#d' /etc/fstab")
    on("compute4", "systemctl stop glusterd")
    on(GATEWAY, "sysctl -w net.ipv4.ip_forward=0")
    # a whole highstate: later stages' states are in it too, so allow time
    result = salt(
        "-t", "1800", "-L", "compute3,compute4," + GATEWAY, "state.highstate", timeout=1900
    )
    changed = {
        minion: sorted(s["__id__"] for s in states.values() if s.get("changes"))
        for minion, states in result.items()
    }
    print(changed)
    assert f"glusterfs-mount-{VOLUME}" in changed["compute3"]
    assert "glusterfs-server-service" in changed["compute4"]
    assert "network-nat-ip-forward" in changed[GATEWAY]
    assert (
        on("compute3", f"mountpoint -q {MOUNT} && grep -c {MOUNT} /etc/fstab").stdout.strip() == "1"
    )
    assert on("compute4", "systemctl is-active glusterd").stdout.strip() == "active"
    assert on(GATEWAY, "cat /proc/sys/net/ipv4/ip_forward").stdout.strip() == "1"


def test_volume_survives_a_dead_compute_host_and_heals(deployed):
    lxc = ["nsenter", f"--net=/run/netns/{LABCFG['netns']}"]
    run(lxc + ["lxc-stop", "-P", os.path.join(LAB, "lxc"), "-n", "compute4"])
    try:
        on("compute2", f"echo written-while-compute4-was-down > {MOUNT}/heal-probe")
        assert (
            on("compute3", f"cat {MOUNT}/heal-probe").stdout.strip()
            == "written-while-compute4-was-down"
        )
    finally:
        # lxc-start needs the namespace's /sys and this machine's cgroups
        netns_exec = os.path.join(PROJECT, "lab", "netns-exec.sh")
        run(
            [
                netns_exec,
                LABCFG["netns"],
                "lxc-start",
                "-P",
                os.path.join(LAB, "lxc"),
                "-n",
                "compute4",
            ]
        )
    deadline = time.time() + 300
    pending = None
    while time.time() < deadline:
        time.sleep(10)
        heal = salt(CONTROLLER, "gluster.heal_info", VOLUME).get(CONTROLLER)
        pending = heal.get("total") if isinstance(heal, dict) else heal
        if pending == 0:
            break
    assert pending == 0, heal
    assert (
        on("compute4", f"cat {BRICK}/heal-probe").stdout.strip()
        == "written-while-compute4-was-down"
    )
    on("compute2", f"rm {MOUNT}/heal-probe")


def test_shrinking_the_replica_is_refused_and_changes_nothing(deployed):
    before = salt(CONTROLLER, "gluster.volume_info", VOLUME)[CONTROLLER]
    result = salt(
        CONTROLLER,
        "state.apply",
        "glusterfs.volume",
        'pillar={"openstack": {"storage": {"replica": 2}}}',
    )[CONTROLLER]
    (volume_state,) = [s for s in result.values() if s["__id__"] == f"glusterfs-volume-{VOLUME}"]
    print(volume_state["comment"])
    assert volume_state["result"] is False
    assert "replica" in volume_state["comment"].lower()
    assert salt(CONTROLLER, "gluster.volume_info", VOLUME)[CONTROLLER] == before


def test_replica_three_over_four_bricks_is_refused_by_validation(deployed, tmp_path):
    """The lab's own pillar with one edit, checked before deploying it."""
    merged = {}
    for path in ("openstack/hosts.sls", "openstack/cloud.sls", "lab.sls", "secrets/generated.sls"):
        with open(os.path.join(PROJECT, "pillar", path), encoding="utf-8") as fh_:
            data = yaml.safe_load(fh_)["openstack"]
        for key, value in data.items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            else:
                merged[key] = value
    merged["storage"]["replica"] = 3
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump({"openstack": merged}))
    proc = run([os.path.join(BIN, "salt-run"), "openstack.validate", f"path={edited}"], check=False)
    assert proc.returncode != 0
    assert "replica 3 does not divide the 4 brick (compute) hosts" in proc.stdout
