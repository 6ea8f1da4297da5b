# Guide 07-openstack-controller steps 23-30: Keystone, the identity service
# every other service asks who a caller is.
include:
  - keystone.server
  - keystone.catalog
