#!/usr/bin/env bash
# Checks the files of deploy/ with the tools that read them, where they are on this machine:
# `systemd-analyze verify` on the unit, `nginx -t` and `caddy validate` on the proxy
# configurations (with a throwaway self-signed certificate in place of the real one).
# NGINX_BIN and CADDY_BIN may name the binaries (e.g. unpacked from the Debian packages with
# `apt-get download nginx caddy && dpkg -x ...`). Exits 1 if a check that could run failed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
nginx="${NGINX_BIN:-$(command -v nginx || true)}"
caddy="${CADDY_BIN:-$(command -v caddy || true)}"

if command -v systemd-analyze >/dev/null; then
  out="$(systemd-analyze verify "$here/credits.service" 2>&1)"
  if [ $? -ne 0 ] || [ -n "$out" ]; then echo "credits.service: systemd-analyze verify: FAILED"; echo "$out"; status=1
  else echo "credits.service: systemd-analyze verify: ok ($(systemd-analyze security --offline=true "$here/credits.service" 2>/dev/null | tail -1 | sed 's/.*level for //'))"; fi
else echo "credits.service: systemd-analyze not found, not checked"; fi

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=credits.example.com \
  -keyout "$work/privkey.pem" -out "$work/fullchain.pem" >/dev/null 2>&1

if [ -n "$nginx" ]; then
  mkdir -p "$work/nginx/logs"
  sed "s#/etc/letsencrypt/live/credits.example.com#$work#" "$here/nginx.conf" > "$work/credits.conf"
  cat > "$work/nginx/nginx.conf" <<CONF
error_log stderr;
pid $work/nginx/nginx.pid;
events {}
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  include $work/credits.conf;
}
CONF
  if out="$("$nginx" -t -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>&1)"; then echo "nginx.conf: nginx -t: ok ($("$nginx" -v 2>&1))"
  else echo "nginx.conf: nginx -t: FAILED"; echo "$out"; status=1; fi
else echo "nginx.conf: nginx not found, not checked"; fi

if [ -n "$caddy" ]; then
  sed "s#^credits.example.com {#credits.example.com {\n\ttls $work/fullchain.pem $work/privkey.pem#" "$here/Caddyfile" > "$work/Caddyfile"
  if out="$(HOME="$work" XDG_DATA_HOME="$work" XDG_CONFIG_HOME="$work" "$caddy" validate --adapter caddyfile --config "$work/Caddyfile" 2>&1)"; then echo "Caddyfile: caddy validate: ok ($("$caddy" version))"
  else echo "Caddyfile: caddy validate: FAILED"; echo "$out"; status=1; fi
else echo "Caddyfile: caddy not found, not checked"; fi
exit $status
