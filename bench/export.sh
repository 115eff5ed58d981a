#!/usr/bin/env bash
# make bench-export: xp export runs and points on a store of 100,000 runs
# and 5,000,000 points (bench/cmd/exportgen: synthetic runs of the credit
# example's shape, each with its own spec), against sqlite3 -csv reading
# the same tables from the same store: the floor, a C program printing rows
# with no spec flattened and no summary joined.
#
# Environment: EXPORT_BENCH_RUNS (default 100000), EXPORT_BENCH_POINTS
# (points per run, default 50), EXPORT_BENCH_DIR (where the store is made
# and kept between runs; default a temporary directory, removed after).
#
# Each line: what, rows, wall seconds and rows a second, CPU seconds and
# rows a CPU second, peak resident memory (/usr/bin/time's maximum RSS),
# output size; then the machine's load average, which the wall times
# depend on.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${EXPORT_BENCH_RUNS:-100000}
PER_RUN=${EXPORT_BENCH_POINTS:-50}
dir=${EXPORT_BENCH_DIR:-}
keep=yes
if [[ -z $dir ]]; then
	dir=$(mktemp -d)
	keep=no
fi
cleanup() { [[ $keep == yes ]] || rm -rf "$dir"; }
trap cleanup EXIT

for tool in sqlite3 /usr/bin/time; do
	if ! command -v "$tool" >/dev/null; then
		echo "bench-export: $tool not found (apt-get install sqlite3 time)" >&2
		exit 1
	fi
done
mkdir -p "$dir/bin"
go build -o "$dir/bin/xp" ./cmd/xp
go build -o "$dir/bin/exportgen" ./bench/cmd/exportgen
project="$dir/store-$RUNS-$PER_RUN"
if [[ ! -e $project/.xp/xp.db ]]; then
	rm -rf "$project"
	"$dir/bin/exportgen" -dir "$project" -runs "$RUNS" -points "$PER_RUN"
fi
cd "$project"
echo "store: $RUNS runs, $((RUNS * PER_RUN)) points, $(du -h .xp/xp.db | cut -f1) database"

# measure NAME ROWS OUT CMD...: one line of figures for CMD writing OUT:
# wall seconds and rows a second, CPU seconds (user and system, every
# thread) and rows a CPU second, which other work on the machine changes
# less, peak resident memory and the output's size.
measure() {
	local name=$1 rows=$2 out=$3
	shift 3
	/usr/bin/time -f '%e %U %S %M' -o "$dir/time.out" "$@" >/dev/null 2>&1
	read -r wall user sys kib < <(tail -1 "$dir/time.out")
	awk -v n="$name" -v r="$rows" -v w="$wall" -v c="$(echo "$user + $sys" | bc)" -v k="$kib" -v b="$(stat -c %s "$out")" \
		'BEGIN { printf "%-26s %8d rows %6.1f s %8.0f rows/s %6.1f cpu s %8.0f rows/cpu s %5.0f MiB peak %6.1f MiB out\n", n, r, w, r / (w > 0 ? w : 0.01), c, r / (c > 0 ? c : 0.01), k / 1024, b / 1048576 }'
}

xp="$dir/bin/xp"
measure "xp export runs csv" "$RUNS" runs.csv "$xp" export runs -o runs.csv
measure "xp export runs jsonl" "$RUNS" runs.jsonl "$xp" export runs --format jsonl -o runs.jsonl
measure "xp export runs parquet" "$RUNS" runs.parquet "$xp" export runs --format parquet -o runs.parquet
measure "sqlite3 -csv runs" "$RUNS" floor-runs.csv sh -c 'sqlite3 -csv -header .xp/xp.db "SELECT * FROM runs ORDER BY id" > floor-runs.csv'
points=$((RUNS * PER_RUN))
measure "xp export points csv" "$points" points.csv "$xp" export points -o points.csv
measure "xp export points jsonl" "$points" points.jsonl "$xp" export points --format jsonl -o points.jsonl
measure "xp export points parquet" "$points" points.parquet "$xp" export points --format parquet -o points.parquet
measure "sqlite3 -csv points" "$points" floor-points.csv sh -c 'sqlite3 -csv -header .xp/xp.db "SELECT r.id, r.key, p.split, p.name, p.epoch, p.step, p.value, p.time FROM runs r JOIN points p ON p.run_id = r.id ORDER BY r.id, p.split, p.name, p.epoch, p.step, p.id" > floor-points.csv'
echo "columns of runs.csv: $(head -1 runs.csv | tr ',' '\n' | wc -l); $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
