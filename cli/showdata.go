package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/xp-ml/xp/runner"
)

// printDataReport prints what a run's data preparation did, for xp show.
func printDataReport(w io.Writer, rep *runner.DataReport) {
	target := "classes " + strings.Join(rep.Classes, ", ")
	if rep.Scale != nil {
		target = fmt.Sprintf("regression target standardized with the training %s", rep.Scale)
	}
	fmt.Fprintf(w, "rows        train %d, validation %d, test %d; %d features; %s\n",
		rep.Rows["train"], rep.Rows["validation"], rep.Rows["test"], rep.Features, target)
	if rep.Head != "" {
		fmt.Fprintf(w, "model       %s head, loss %s\n", rep.Head, rep.Loss)
	}
	for _, e := range rep.Embeddings {
		fmt.Fprintf(w, "embedding   %s: %d rows (the last shared by rare, unseen and missing values) × dim %d\n", e.Name, e.Vocab, e.Dim)
	}
	if rep.DroppedTarget > 0 {
		fmt.Fprintf(w, "            %d rows without a target dropped\n", rep.DroppedTarget)
	}
	for _, r := range rep.Rules {
		fmt.Fprintf(w, "  %-26s %s\n", r.Where(), r.Detail)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "  note  %s\n", n)
	}
}
