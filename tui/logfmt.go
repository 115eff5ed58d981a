package tui

import (
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xp-ml/xp/internal/numfmt"
)

// The run log's lines (runner writes them) hold Go map dumps and full
// float64 precision; the log tab shows them as `xp run` prints its epoch
// lines.
var (
	logStamp  = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (.*)$`)
	logEpoch  = regexp.MustCompile(`^epoch (\d+/\d+) loss (\S+) validation (map\[.*\])$`)
	logMap    = regexp.MustCompile(`map\[([^\[\]]*)\]`)
	logStatus = regexp.MustCompile(`^status (\S+) (.*)$`)
	longFloat = regexp.MustCompile(`-?\b\d+\.\d{5,}(?:[eE][-+]?\d+)?\b`)
)

// formatLogLine rewrites one line of a run's log for reading: the time in
// loc without the date, an epoch line as `epoch 12/20  loss 0.3690  val
// accuracy 0.8066`, other maps as "name value" pairs, long floats to four
// decimals, and a status line without its message when the message only
// repeats the status.
func formatLogLine(line string, loc *time.Location) string {
	stamp, body := "", line
	if m := logStamp.FindStringSubmatch(line); m != nil {
		body = m[2]
		if t, err := time.Parse(time.RFC3339Nano, m[1]); err == nil {
			stamp = t.In(loc).Format("15:04:05") + " "
		}
	}
	switch {
	case logEpoch.MatchString(body):
		m := logEpoch.FindStringSubmatch(body)
		body = "epoch " + m[1] + "  loss " + formatLogNumber(m[2])
		if vals := formatLogMap(m[3][len("map[") : len(m[3])-1]); vals != "" {
			body += "  val " + vals
		}
	case logStatus.MatchString(body):
		m := logStatus.FindStringSubmatch(body)
		switch {
		case strings.TrimSpace(m[2]) == "" || m[2] == m[1]:
			body = "status " + m[1]
		default:
			body = "status " + m[1] + ": " + m[2]
		}
	}
	body = logMap.ReplaceAllStringFunc(body, func(s string) string { return formatLogMap(s[len("map[") : len(s)-1]) })
	body = longFloat.ReplaceAllStringFunc(body, formatLogNumber)
	return stamp + body
}

// formatLogMap writes the inside of a Go map dump, "accuracy:0.80 auc:0.9",
// as `xp run` writes metrics: "accuracy 0.8000  auc 0.9000", loss first.
func formatLogMap(inner string) string {
	type kv struct{ k, v string }
	var kvs []kv
	for _, f := range strings.Fields(inner) {
		k, v, ok := strings.Cut(f, ":")
		if !ok {
			return inner
		}
		kvs = append(kvs, kv{k, formatLogNumber(v)})
	}
	sort.SliceStable(kvs, func(i, j int) bool {
		if (kvs[i].k == "loss") != (kvs[j].k == "loss") {
			return kvs[i].k == "loss"
		}
		return kvs[i].k < kvs[j].k
	})
	parts := make([]string, len(kvs))
	for i, p := range kvs {
		parts[i] = p.k + " " + p.v
	}
	return strings.Join(parts, "  ")
}

// formatLogNumber writes a number as `xp run` does (numfmt.Num, four
// significant digits); what is not a number is left alone.
func formatLogNumber(s string) string {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return s
	}
	return numfmt.Num(v, numfmt.Digits)
}
