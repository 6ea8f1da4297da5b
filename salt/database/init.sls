# The controller's database (guide 07-openstack-controller steps 21-22, 24,
# 32, 40): MariaDB and one database and user per OpenStack service.
include:
  - database.server
  - database.schemas
