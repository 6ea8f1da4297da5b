#!/bin/sh
# Managed by Salt (neutron.agent). Found first in PATH by neutron's
# linuxbridge agent, it runs the real ebtables and mends one case:
# ebtables-nft of Debian 12 (iptables 1.8.9) cannot delete an --among-src
# rule by its specification ("RULE_DELETE failed (Invalid argument)"), and
# the agent retries that delete forever: the host stops wiring new ports once
# one of its instances is gone. Such a rule is deleted by its position.
/usr/sbin/ebtables "$@"
rc=$?
[ "$rc" -eq 0 ] && exit 0
table=filter chain='' spec='' take=''
for arg in "$@"; do
  case "$take" in
    table) table=$arg; take=''; continue ;;
    chain) chain=$arg; take=spec; continue ;;
    spec) spec="$spec $arg"; continue ;;
  esac
  case "$arg" in
    -t) take=table ;;
    -D) take=chain ;;
  esac
done
spec=$(echo "${spec# }" | tr 'A-F' 'a-f')
case "$spec" in
  *--among-src*) ;;
  *) exit "$rc" ;;
esac
# `-L CHAIN --Ln` prints "N <rule>" per rule.
num=$(/usr/sbin/ebtables -t "$table" -L "$chain" --Ln 2>/dev/null |
  while read -r n rule; do
    case "$n" in '' | *[!0-9]*) continue ;; esac
    if [ "$(echo "$rule" | tr 'A-F' 'a-f')" = "$spec" ]; then echo "$n"; break; fi
  done)
[ -n "$num" ] || exit "$rc"
exec /usr/sbin/ebtables -t "$table" --concurrent -D "$chain" "$num"
