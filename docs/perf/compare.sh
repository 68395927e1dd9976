#!/bin/sh
# compare.sh measures helpdesk against the raw database in one run on one
# machine: pgbench's select-only load and an insert-only script, then the
# load command (cmd/helpdesk-bench) against `helpdesk serve` on PostgreSQL
# and against the embedded default (SQLite), all at the same concurrency.
# It prints the figures and the ratios ours / raw.
#
#   docs/perf/compare.sh                  # 16 clients, 20 s per phase
#   CLIENTS=8 DURATION=10 docs/perf/compare.sh
#
# Needs PostgreSQL (PGHOST, PGPORT, PGUSER; default 127.0.0.1:5432,
# postgres), pgbench, psql, jq and Go. It creates (and drops first) the
# databases helpdesk_perf_raw and helpdesk_perf_app; results go to
# $OUT (default ./perf-out).
set -eu

CLIENTS=${CLIENTS:-16}
DURATION=${DURATION:-20}
PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER
OUT=${OUT:-./perf-out}
THREADS=$(( $(nproc) < CLIENTS ? $(nproc) : CLIENTS ))
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TOKEN=perf-admin-token-0123456789
API=127.0.0.1:18480 METRICS=127.0.0.1:19480

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
echo "compare: building helpdesk and helpdesk-bench into $OUT" >&2
(cd "$ROOT" && go build -o "$OUT/helpdesk" ./cmd/helpdesk && go build -o "$OUT/helpdesk-bench" ./cmd/helpdesk-bench)

for db in helpdesk_perf_raw helpdesk_perf_app; do
	psql -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
done

tps() { sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$1"; }

echo "compare: pgbench -S (select-only), $CLIENTS clients, ${DURATION}s" >&2
pgbench -q -i -s 10 helpdesk_perf_raw >/dev/null 2>&1
pgbench -n -S -c "$CLIENTS" -j "$THREADS" -T "$DURATION" helpdesk_perf_raw >"$OUT/pgbench-select.txt" 2>&1
echo "compare: pgbench insert-only ($HERE/insert.sql), $CLIENTS clients, ${DURATION}s" >&2
psql -q -d helpdesk_perf_raw -c "CREATE TABLE raw_tickets (id bigserial PRIMARY KEY, subject text NOT NULL, description text NOT NULL,
	status text NOT NULL, priority text NOT NULL, organization_id bigint NOT NULL, created_at timestamptz NOT NULL);
	CREATE INDEX ON raw_tickets (organization_id, created_at)"
pgbench -n -f "$HERE/insert.sql" -c "$CLIENTS" -j "$THREADS" -T "$DURATION" helpdesk_perf_raw >"$OUT/pgbench-insert.txt" 2>&1
SELECT_TPS=$(tps "$OUT/pgbench-select.txt")
INSERT_TPS=$(tps "$OUT/pgbench-insert.txt")

# run_helpdesk NAME [DATABASE_URL]: serve on a new data directory, the load
# command against it with the outbox lag, then stop it.
run_helpdesk() {
	name=$1 url=${2:-}
	data="$OUT/data-$name"
	rm -rf "$data"
	mkdir -p "$data"
	echo "compare: helpdesk serve on $name; the load command, $CLIENTS clients, ${DURATION}s per phase" >&2
	env ${url:+DATABASE_URL=$url} HELPDESK_DATA_DIR="$data" HELPDESK_ADDR=$API HELPDESK_METRICS_ADDR=$METRICS \
		HELPDESK_TEMPORAL_LISTEN=127.0.0.1:0 HELPDESK_ADMIN_TOKEN=$TOKEN HELPDESK_RATE_LIMIT=0 HELPDESK_LOG_LEVEL=warn \
		"$OUT/helpdesk" serve >"$OUT/serve-$name.log" 2>&1 &
	pid=$!
	i=0
	until curl -fs "http://$API/readyz" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 240 ] || ! kill -0 $pid 2>/dev/null; then
			echo "compare: helpdesk on $name did not become ready; see $OUT/serve-$name.log" >&2
			kill $pid 2>/dev/null || true
			exit 1
		fi
		sleep 0.5
	done
	status=0
	bench() { "$OUT/helpdesk-bench" -addr "http://$API" -token $TOKEN -clients "$CLIENTS" -duration "${DURATION}s" "$@"; }
	bench -ops createTicket -outbox-metrics "http://$METRICS/metrics" -json "$OUT/$name-create.json" \
		>"$OUT/bench-$name.txt" 2>"$OUT/bench-$name.progress" || status=$?
	# PostgreSQL's autovacuum analyzes a table within a minute of many
	# inserts; the reads must not depend on whether that minute has come
	# (planned on statistics from before the creates, a page scans every
	# ticket of the organization and sorts them).
	[ -z "$url" ] || psql -q -d helpdesk_perf_app -c ANALYZE
	bench -ops ticketByNumber,ticketsPage,mixed -json "$OUT/$name-read.json" \
		>>"$OUT/bench-$name.txt" 2>>"$OUT/bench-$name.progress" || status=$?
	jq -s '.[0] * .[1]' "$OUT/$name-create.json" "$OUT/$name-read.json" >"$OUT/$name.json"
	kill -TERM $pid
	wait $pid || true
	if [ $status -ne 0 ]; then
		echo "compare: the load command on $name exited $status (a phase without success, or the outbox did not keep up); see $OUT/bench-$name.txt" >&2
	fi
	cat "$OUT/bench-$name.txt"
}

run_helpdesk postgres "postgres://$PGUSER@$PGHOST:$PGPORT/helpdesk_perf_app?sslmode=disable"

# The statements of one ticketByNumber and one ticketsPage request, as
# helpdesk sent them in the run above (bynumber.sql, page.sql), replayed by
# pgbench on that data: what PostgreSQL alone does with the SQL of each
# path, with no HTTP, GraphQL or Go at all.
ids=$(psql -Atq -F' ' -d helpdesk_perf_app -c "SELECT c.id, t.id, c.organization_id,
	(SELECT min(id) FROM tickets WHERE organization_id = c.organization_id),
	(SELECT max(id) FROM tickets WHERE organization_id = c.organization_id),
	(SELECT requester_id FROM tickets WHERE organization_id = c.organization_id LIMIT 1),
	(SELECT assignee_id FROM tickets WHERE organization_id = c.organization_id AND assignee_id IS NOT NULL LIMIT 1)
	FROM api_tokens t JOIN contacts c ON c.id = t.contact_id ORDER BY t.id LIMIT 1")
set -- $ids
defs="-D contact=$1 -D token=$2 -D org=$3 -D lo=$4 -D hi=$5 -D requester=$6 -D agent=${7:-0}"
echo "compare: pgbench replaying helpdesk's SQL of ticketByNumber and ticketsPage, $CLIENTS clients, ${DURATION}s each" >&2
pgbench -n -M extended $defs -f "$HERE/bynumber.sql" -c "$CLIENTS" -j "$THREADS" -T "$DURATION" helpdesk_perf_app >"$OUT/pgbench-bynumber.txt" 2>&1
pgbench -n -M extended $defs -f "$HERE/page.sql" -c "$CLIENTS" -j "$THREADS" -T "$DURATION" helpdesk_perf_app >"$OUT/pgbench-page.txt" 2>&1
BYNUMBER_TPS=$(tps "$OUT/pgbench-bynumber.txt")
PAGE_TPS=$(tps "$OUT/pgbench-page.txt")

run_helpdesk sqlite

ratio() { jq -r --arg op "$2" --argjson raw "$3" '(.operations[$op].throughput_per_s / $raw * 100 * 10 | round / 10 | tostring) + " %"' "$1"; }
row() {
	f=$OUT/$1.json
	printf '%-9s %-15s %10s %8s %8s  %s\n' "$1" "$2" \
		"$(jq -r --arg op "$2" '.operations[$op].throughput_per_s' "$f")" \
		"$(jq -r --arg op "$2" '.operations[$op].p99_ms' "$f")" \
		"$(jq -r --arg op "$2" '.operations[$op].errors' "$f")" "$3"
}
echo
echo "machine: $(nproc) cores, $(uname -sr); $(psql -Atc 'SELECT version()' | cut -d, -f1); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "raw: pgbench -S $SELECT_TPS tps; insert-only $INSERT_TPS tps ($CLIENTS clients, ${DURATION}s)"
echo "raw, helpdesk's own SQL replayed by pgbench: ticketByNumber $BYNUMBER_TPS tps ($(awk "BEGIN{printf \"%.1f\", $BYNUMBER_TPS/$SELECT_TPS*100}") % of -S), ticketsPage $PAGE_TPS tps ($(awk "BEGIN{printf \"%.1f\", $PAGE_TPS/$SELECT_TPS*100}") % of -S)"
printf '%-9s %-15s %10s %8s %8s  %s\n' db operation "req/s" "p99 ms" errors "ours / raw"
for db in postgres sqlite; do
	row $db createTicket "$(ratio "$OUT/$db.json" createTicket "$INSERT_TPS") of insert-only"
	own() { [ $db = postgres ] && echo ", $(ratio "$OUT/$db.json" "$1" "$2") of its SQL"; }
	row $db ticketByNumber "$(ratio "$OUT/$db.json" ticketByNumber "$SELECT_TPS") of pgbench -S$(own ticketByNumber "$BYNUMBER_TPS")"
	row $db ticketsPage "$(ratio "$OUT/$db.json" ticketsPage "$SELECT_TPS") of pgbench -S$(own ticketsPage "$PAGE_TPS")"
	row $db mixed "$(ratio "$OUT/$db.json" mixed "$SELECT_TPS") of pgbench -S"
	jq -r --arg db $db '.operations.createTicket.outbox_lag // empty | "\($db)   outbox lag of createTicket: p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, max ≤ \(.max_ms) ms over \(.changes) changes, drained \(.drain_ms) ms after the phase"' "$OUT/$db.json"
done
