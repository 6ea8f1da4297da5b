# The guide's 02-04 (GlusterFS): the whole concern, as highstate applies it.
# The orchestration runs the pieces in order across hosts (stage 5).
include:
  - glusterfs.server
  - glusterfs.brick
  - glusterfs.peers
  - glusterfs.volume
  - glusterfs.mount
