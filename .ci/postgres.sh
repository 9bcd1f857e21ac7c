# shellcheck shell=bash
# Sourced by .ci/run: a throwaway PostgreSQL cluster for the decision-service tests.
#
#   source .ci/postgres.sh      # installs PostgreSQL from the Debian packages when missing,
#                               # starts a cluster in a temporary folder as the unprivileged
#                               # user 'postgres' on a free 127.0.0.1 port, and exports
#                               # POLICYENGINE_TEST_PG_URL=postgresql://postgres@127.0.0.1:PORT/postgres
#   ...run the tests...
#   pe_pg_stop                  # stops it and deletes the folder; also run on EXIT (chained
#                               # before any EXIT trap the caller had set)
#
# It never aborts the caller: when PostgreSQL cannot be started it says why on stderr and
# exports nothing, and the tests that need PostgreSQL then fail (CI is set) — loudly, never skipped.

pe_pg_log() { echo "postgres.sh: $*" >&2; }

pe_pg_bindir() {
  local b
  for b in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$b/initdb" ] && [ -x "$b/pg_ctl" ] && { echo "$b"; return 0; }
  done
  b="$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")"
  [ -x "$b/initdb" ] && [ -x "$b/pg_ctl" ] && { echo "$b"; return 0; }
  return 1
}

pe_pg_stop() {
  if [ -n "${PE_PG_DIR:-}" ] && [ -d "$PE_PG_DIR" ]; then
    if [ -n "${PE_PG_BIN:-}" ] && [ -f "$PE_PG_DIR/data/postmaster.pid" ]; then
      runuser -u "$PE_PG_USER" -- "$PE_PG_BIN/pg_ctl" -D "$PE_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PE_PG_DIR"
  fi
  unset PE_PG_DIR POLICYENGINE_TEST_PG_URL
}

pe_pg_start() {
  PE_PG_USER="${PE_PG_USER:-postgres}"
  if ! PE_PG_BIN="$(pe_pg_bindir)"; then
    pe_pg_log "PostgreSQL is not installed: apt-get install -y postgresql"
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null ||
        { pe_pg_log "apt-get install postgresql failed"; return 1; }
      # the package starts a cluster of its own; ours is separate, so stop that one
      service postgresql stop >/dev/null 2>&1 || true
    else
      pe_pg_log "not root or no apt-get: cannot install PostgreSQL"; return 1
    fi
    PE_PG_BIN="$(pe_pg_bindir)" || { pe_pg_log "PostgreSQL installed but initdb not found"; return 1; }
  fi
  if [ "$(id -u)" -eq 0 ]; then
    id "$PE_PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PE_PG_USER" ||
      { pe_pg_log "cannot create the user $PE_PG_USER"; return 1; }
    pe_pg_as() { runuser -u "$PE_PG_USER" -- "$@"; }
  else
    PE_PG_USER="$(id -un)"
    pe_pg_as() { "$@"; }
  fi
  PE_PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/policyengine-pg.XXXXXX")" || return 1
  chown "$PE_PG_USER" "$PE_PG_DIR" && chmod 700 "$PE_PG_DIR" || return 1
  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')" || return 1
  pe_pg_as "$PE_PG_BIN/initdb" -D "$PE_PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$PE_PG_DIR/initdb.log" 2>&1 || { pe_pg_log "initdb failed:"; cat "$PE_PG_DIR/initdb.log" >&2; return 1; }
  pe_pg_as "$PE_PG_BIN/pg_ctl" -D "$PE_PG_DIR/data" -l "$PE_PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PE_PG_DIR -c max_connections=200" start >/dev/null ||
    { pe_pg_log "the cluster did not start:"; cat "$PE_PG_DIR/server.log" >&2; return 1; }
  export POLICYENGINE_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  pe_pg_log "PostgreSQL $("$PE_PG_BIN/pg_ctl" --version | awk '{print $3}') at $POLICYENGINE_TEST_PG_URL (folder $PE_PG_DIR)"
}

if pe_pg_start; then
  # stop it on exit, before whatever EXIT trap the caller already has
  pe_pg_prev_trap="$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")"
  # shellcheck disable=SC2064
  trap "pe_pg_rc=\$?; pe_pg_stop; (exit \$pe_pg_rc); ${pe_pg_prev_trap}" EXIT  # the caller's trap still sees \$?
else
  pe_pg_log "no PostgreSQL for the tests; with CI set, the PostgreSQL tests will fail"
  pe_pg_stop
fi
true
