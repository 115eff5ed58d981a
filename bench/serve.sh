#!/usr/bin/env bash
# make bench-serve: a bounded load test of xp serve on loopback, next to a
# minimal Python HTTP server around the same model in PyTorch
# (bench/serve_torch.py), in the same run.
#
# The shipped credit experiment is trained in a scratch repository; each
# request is one row as JSON. For each core count the server is pinned with
# taskset to cores 0..n-1 (xp with GOMAXPROCS=n, PyTorch with n threads),
# then loadgen sends from concurrent clients for a fixed time: closed loops
# (each client sends its next request when the last is answered: the
# throughput sustained) and an open loop at a fixed rate (latency counted
# from when each request was due). loadgen runs on the cores the server
# does not have when there are enough; on a machine with fewer, it shares
# them, which the output says, and the figures are then the server's and
# the load generator's together.
#
# Environment: PYTHON (default /usr/bin/python3, with Debian's
# python3-torch); SERVE_BENCH_CORES (default "1 2"); SERVE_BENCH_CLIENTS
# (closed-loop client counts, default "1 8 32"); SERVE_BENCH_RATE (open
# loop, requests a second, default 1000); SERVE_BENCH_SECONDS (each
# measurement, default 5, after 1 s of warm-up).
#
# Besides throughput and latency, each row has the server's CPU time per
# request (user and system, every thread, from /proc): what a request
# costs the server, which other work on the machine does not change.
#
# Three controls are measured the same way (closed loops only), each
# answering fixed bytes and computing nothing (bench/cmd/fixedserver): a
# net/http server, a bare TCP loop in goroutines, and one thread that calls
# epoll, read and write itself. They show what answering alone costs on
# this machine, and so the most any server built like them could reach
# against PyTorch here; the last is the kernel's TCP alone, the floor of
# any server in any language.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-/usr/bin/python3}
CORES=${SERVE_BENCH_CORES:-1 2}
CLIENTS=${SERVE_BENCH_CLIENTS:-1 8 32}
RATE=${SERVE_BENCH_RATE:-1000}
SECS=${SERVE_BENCH_SECONDS:-5}
tmp=$(mktemp -d)
server=""
stop_server() {
	if [[ -n $server ]]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
		server=""
	fi
}
trap 'stop_server; rm -rf "$tmp"' EXIT

baseline=yes
if ! "$PYTHON" -c 'import numpy, torch' 2>/dev/null; then
	echo "note: $PYTHON has no torch (apt-get install -y --no-install-recommends python3-torch): xp alone" >&2
	baseline=no
fi
command -v taskset >/dev/null || { echo "bench-serve needs taskset (util-linux)" >&2; exit 1; }

CGO_ENABLED=0 go build -trimpath -o "$tmp/xp" ./cmd/xp
go build -o "$tmp/loadgen" ./bench/cmd/loadgen
go build -o "$tmp/fixedserver" ./bench/cmd/fixedserver

# The shipped credit experiment, trained once in a scratch repository.
mkdir "$tmp/proj"
cp -r experiments "$tmp/proj/"
(
	cd "$tmp/proj"
	git init -q
	git add -A
	git -c user.name=bench -c user.email=bench@localhost commit -qm credit
	"$tmp/xp" run credit >"$tmp/run.log" 2>&1
)
run_dir=$tmp/proj/$(awk '/^  artifacts /{print $2}' "$tmp/run.log")
key=$(basename "$(dirname "$run_dir")")
echo "credit run ${key:0:12}, $(nproc) cores here"

# One row of credit_data.csv, as a client sends it.
cat >"$tmp/row.json" <<'ROW'
{"rows":[{"Seniority":9,"Home":"rent","Time":60,"Age":30,"Marital":"married","Records":"no","Job":"freelance","Expenses":73,"Income":129,"Assets":0,"Debt":0,"Amount":800,"Price":846}]}
ROW

port=$((20000 + RANDOM % 20000))
url=http://127.0.0.1:$port/v1/models/credit:predict
results=$tmp/results.jsonl
: >"$results"

wait_ready() {
	for _ in $(seq 1 600); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		kill -0 "$server" 2>/dev/null || { echo "the server exited" >&2; return 1; }
		sleep 0.2
	done
	echo "the server did not answer within 120 s" >&2
	return 1
}

measure() { # name cores client-cpus [closed]
	local args=(-url "$url" -body "$tmp/row.json" -seconds "$SECS" -server "$1" -cores "$2" -pid "$server" -hz "$(getconf CLK_TCK)")
	for c in $CLIENTS; do
		taskset -c "$3" "$tmp/loadgen" "${args[@]}" -c "$c" >>"$results"
	done
	if [[ ${4:-} != closed ]]; then
		taskset -c "$3" "$tmp/loadgen" "${args[@]}" -c 16 -rate "$RATE" >>"$results"
	fi
}

n=$(nproc)
for cores in $CORES; do
	server_cpus=0-$((cores - 1))
	client_cpus=$cores-$((n - 1))
	if ((n < cores + 1)); then
		client_cpus=0-$((n - 1))
		echo "== $cores cores: only $n here, so loadgen shares the server's cores"
	else
		echo "== $cores cores: server on $server_cpus, loadgen on $client_cpus"
	fi
	(cd "$tmp/proj" && GOMAXPROCS=$cores exec taskset -c "$server_cpus" "$tmp/xp" serve "$key" --addr "127.0.0.1:$port" 2>"$tmp/serve.log") &
	server=$!
	wait_ready
	measure xp "$cores" "$client_cpus"
	stop_server
	if [[ $baseline == yes ]]; then
		OMP_NUM_THREADS=$cores OPENBLAS_NUM_THREADS=$cores MKL_NUM_THREADS=$cores \
			taskset -c "$server_cpus" "$PYTHON" bench/serve_torch.py "$run_dir" "$port" "$cores" &
		server=$!
		wait_ready
		measure pytorch "$cores" "$client_cpus"
		stop_server
	fi
	for control in fixed-http fixed-raw fixed-epoll; do
		flags=()
		[[ $control == fixed-raw ]] && flags=(-raw)
		[[ $control == fixed-epoll ]] && flags=(-epoll)
		GOMAXPROCS=$cores taskset -c "$server_cpus" "$tmp/fixedserver" -addr "127.0.0.1:$port" "${flags[@]}" &
		server=$!
		wait_ready
		measure "$control" "$cores" "$client_cpus" closed
		stop_server
	done
done
echo
"$tmp/loadgen" -table "$results"
