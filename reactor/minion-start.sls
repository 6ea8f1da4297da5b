{#- A minion (re)starts: give it the project's custom modules at once, so a
    highstate on it works without waiting for the next orchestration. Only
    minions whose key was accepted ever send this event. #}
reactor-minion-start-sync:
  local.saltutil.sync_all:
    - tgt: {{ data['id'] }}
