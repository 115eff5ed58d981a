#!/usr/bin/env bash
# make bench-report: how long xp report takes and how large its files are,
# on real runs trained here: the credit run, two credit runs compared, a
# 12-point sweep and a 100-point sweep of credit (random learning rate and
# width, 20 epochs each, trained on the CPU: a few minutes on two cores).
# With Chromium on PATH it also saves a screenshot of each report, as a
# reader sees it (1200 pixels wide), into REPORT_BENCH_OUT.
#
# Environment: REPORT_BENCH_OUT (default bench-report/): the reports and
# screenshots are written there; REPORT_BENCH_PARALLEL (default 2): points
# trained at once.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$(realpath -m "${REPORT_BENCH_OUT:-bench-report}")
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/xp" ./cmd/xp
xp="$tmp/xp"

cd "$tmp"
mkdir -p proj/experiments/data
cd proj
cp "$root/experiments/credit.cue" experiments/
# credit_fast: credit at three times the learning rate, to compare with.
sed -e 's/^credit: /credit_fast: /' -e 's/lr: 1e-3/lr: 3e-3/' "$root/experiments/credit.cue" > experiments/credit_fast.cue
cp "$root/experiments/data/credit_data.csv" experiments/data/
# The two sweeps: credit's model and data, a grid of 12 points and 100
# random ones.
base='data: {
		source: file: "data/credit_data.csv"
		target: "Status"
		clean: [{fill_na: {column: "Income", with: "median"}}, {drop_na: {}}]
		split: {test: 0.2, validation: 0.1, seed: 1, stratify: true}
	}
	model: layers: [{dense: 64, activation: "relu"}]
	train: {epochs: 20, batch_size: 32, seed: 1, optimizer: adam: lr: 1e-3}
	metrics: ["accuracy", "log_loss", "f1", "auc"]
	device: "cpu"'
cat > experiments/credit_sweep.cue <<CUE
credit_sweep12: #Experiment & {
	$base
	sweep: {
		params: {
			"train.optimizer.adam.lr": [3e-4, 1e-3, 3e-3, 1e-2]
			"model.layers[0].dense": [16, 64, 128]
		}
		metric: "validation.auc"
	}
}
credit_sweep100: #Experiment & {
	$base
	sweep: {
		method: "random"
		trials: 100
		seed:   1
		params: {
			"train.optimizer.adam.lr": {log_uniform: [1e-4, 1e-2]}
			"model.layers[0].dense": {int_uniform: [16, 128]}
		}
		metric: "validation.auc"
	}
}
CUE
printf '.xp/\n' > .gitignore
git init -q
git add -A
git -c user.name=xp -c user.email=xp@example.com commit -qm bench
"$xp" run credit >"$tmp/train.log" 2>&1 || { tail -20 "$tmp/train.log"; exit 1; }
"$xp" run credit_fast >"$tmp/train.log" 2>&1 || { tail -20 "$tmp/train.log"; exit 1; }
"$xp" run --parallel "${REPORT_BENCH_PARALLEL:-2}" credit_sweep12 >"$tmp/train.log" 2>&1 || { tail -20 "$tmp/train.log"; exit 1; }
start=$SECONDS
"$xp" run --parallel "${REPORT_BENCH_PARALLEL:-2}" credit_sweep100 >"$tmp/train.log" 2>&1 || { tail -20 "$tmp/train.log"; exit 1; }
echo "trained the 100-point sweep in $((SECONDS - start)) s"

# report NAME ARGS...: time xp report, three times, and keep the fastest.
report() {
	local name=$1
	shift
	local best=""
	for _ in 1 2 3; do
		local s e
		s=$(date +%s.%N)
		"$xp" report "$@" -o "$out/$name.html" 2>/dev/null
		e=$(date +%s.%N)
		best=$(awk -v a="$best" -v b="$(echo "$e - $s" | bc)" 'BEGIN { if (a == "" || b < a) print b; else print a }')
	done
	printf '%-22s %6.3f s  %8.1f KiB  %3d figures\n' "$name" "$best" "$(echo "$(stat -c %s "$out/$name.html") / 1024" | bc -l)" \
		"$(grep -c '<svg role="img"' "$out/$name.html")"
}
report credit credit
report compare credit credit_fast
report sweep12 credit_sweep12
report sweep100 credit_sweep100
"$xp" report credit_sweep100 --format md -o "$out/sweep100-md" 2>/dev/null
echo "sweep100 as Markdown: $(du -sh "$out/sweep100-md" | cut -f1) with its SVG and PNG figures"

browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [[ -z $browser ]]; then
	echo "no Chromium on PATH: no screenshots"
	exit 0
fi
for name in credit compare sweep12 sweep100; do
	# The page's full height: screenshots are cut at the window's.
	timeout 60 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,2400 \
		--screenshot="$out/$name.png" "file://$out/$name.html" >/dev/null 2>&1
	echo "screenshot $out/$name.png: $(stat -c %s "$out/$name.png") bytes"
done
