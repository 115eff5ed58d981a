package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
)

// printTable pairs the xp and torch lines of each (job, threads) in the
// order they first appear and prints samples/s, their ratio and test
// accuracy. When a side ran more than once, its fastest run counts: on a
// shared machine other work only ever slows a run down.
func printTable(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	type key struct {
		job     string
		threads int
	}
	var keys []key
	rows := map[key]map[string]result{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.Side == "" {
			continue // not a result line (a warning from a side)
		}
		k := key{r.Job, r.Threads}
		if rows[k] == nil {
			rows[k] = map[string]result{}
			keys = append(keys, k)
		}
		if best, ok := rows[k][r.Side]; !ok || r.SamplesPerSec > best.SamplesPerSec {
			rows[k][r.Side] = r
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "job\tthreads\txp samples/s\ttorch samples/s\tratio\txp acc\ttorch acc\t")
	for _, k := range keys {
		xp, hasXP := rows[k]["xp"]
		torch, hasTorch := rows[k]["torch"]
		cell := func(ok bool, f string, v float64) string {
			if !ok {
				return "-"
			}
			return fmt.Sprintf(f, v)
		}
		ratio := "-"
		if hasXP && hasTorch && torch.SamplesPerSec > 0 {
			ratio = fmt.Sprintf("%.2f", xp.SamplesPerSec/torch.SamplesPerSec)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", k.job, k.threads,
			cell(hasXP, "%.0f", xp.SamplesPerSec), cell(hasTorch, "%.0f", torch.SamplesPerSec), ratio,
			cell(hasXP, "%.4f", xp.Accuracy), cell(hasTorch, "%.4f", torch.Accuracy))
	}
	return tw.Flush()
}
