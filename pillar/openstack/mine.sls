# The Salt mine: what each minion publishes for the others. Compute hosts
# publish their SSH host keys so kvm.migration can write nova's known_hosts
# (live migration over SSH, without trusting a key on first sight).
mine_functions:
  openstack_ssh_host_keys:
    mine_function: ssh.host_keys
    private: false
    certs: false
