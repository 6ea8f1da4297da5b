"""The lab tier: a real lab on this machine (`make lab-test`, as root)."""
