"""
A salt-master's options over the project's code, as ``conf/master`` and the
``Saltfile`` give them to a master run from the checkout: the state tree,
a pillar tree, the project's runners and their ``_utils``, and the pillar
merging of ``conf/master``.

- :func:`master_overrides`: those options, for a master daemon of
  pytest-salt-factories (``salt_master_daemon(..., overrides=...)``);
- :func:`master_opts`: a master's loaded options with its runtime
  directories under a test's temporary directory, for Salt's own loaders
  (``salt.loader.runner(opts)``) without a daemon.
"""

import pathlib

import salt.config
import yaml

from tests.support.paths import REPO, SALT


def master_overrides(pillar_root, salt_root=SALT):
    """The project's master options over ``salt_root`` and ``pillar_root``."""
    return {
        "file_roots": {"base": [str(salt_root)]},
        "pillar_roots": {"base": [str(pillar_root)]},
        "runner_dirs": [str(REPO / "_runners")],
        "utils_dirs": [str(REPO / "_utils")],
        "pillar_source_merging_strategy": "recurse",
        "pillar_merge_lists": False,
    }


def master_opts(tmp_path, pillar_root):
    """A master's options (config file, keys, cache under ``tmp_path``)."""
    tmp_path = pathlib.Path(tmp_path)
    run = tmp_path / "run"
    config = tmp_path / "master"
    config.write_text(
        yaml.safe_dump(
            {
                "root_dir": str(run),
                "pki_dir": str(run / "pki"),
                "cachedir": str(run / "cache"),
                **master_overrides(pillar_root),
            }
        )
    )
    return salt.config.master_config(str(config))
