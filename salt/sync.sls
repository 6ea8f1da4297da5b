# Orchestration stage 2: send the project's custom modules (_modules,
# _states, and the _utils they share) to the minion, so the stages after it
# can use them.
sync-custom-modules:
  saltutil.sync_all:
    - refresh: true
