#!/bin/bash
# shop-probe PATH [PORT] — exit 0 when GET http://127.0.0.1:PORT/PATH answers 2xx within 3 s, else 1.
# PORT defaults to $SERVICE_PORT. The service images carry it as /usr/local/bin/shop-probe for their
# HEALTHCHECK (/healthz) and the compose healthchecks (/readyz), which run every few seconds: bash's
# /dev/tcp costs ~1 ms of CPU and 3 MiB per check, `node -e "fetch(…)"` ~175 ms and 60 MiB (four
# services every 5 s were ~14 % of a core on an idle stack).
set -uo pipefail
path=${1:?usage: shop-probe PATH [PORT]}
port=${2:-${SERVICE_PORT:?shop-probe: SERVICE_PORT is not set and no PORT was given}}
{ exec 3<>"/dev/tcp/127.0.0.1/${port}"; } 2>/dev/null || exit 1
printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUser-Agent: shop-probe\r\nConnection: close\r\n\r\n' \
  "$path" "$port" >&3 || exit 1
# The status line, e.g. `HTTP/1.1 200 OK`; a server that accepts and never answers costs at most 3 s.
read -r -t 3 _ status _ <&3 || exit 1
[[ $status == 2[0-9][0-9] ]]
