package kubernetes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xp-ml/xp/remote"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
	"github.com/xp-ml/xp/sweep/cluster"
)

// RunTask is the pod's side (`xp kube-task <dir>`): it trains the point of
// the completion index the Job controller gave the pod ($JOB_COMPLETION_INDEX),
// in the attempt its failure count says ($XP_TASK_ATTEMPT), through
// cluster.RunAttempt, and appends what it says to the task's log on the
// shared volume as well as to stderr (the pod's log). It returns the exit
// code the Job's pod failure policy reads: 0, ExitFailed (retried),
// ExitInvalid, ExitDiverged or ExitCanceled (not retried).
func RunTask(ctx context.Context, dir string, getenv func(string) string, stderr io.Writer) int {
	index, attempt, code := taskOf(getenv, stderr)
	if code != 0 {
		return code
	}
	w := stderr
	if f, err := os.OpenFile(cluster.LogPath(dir, index), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
		defer f.Close()
		w = io.MultiWriter(stderr, f)
	}
	hello(w, index, attempt)
	err := cluster.RunAttempt(ctx, dir, index, attempt, notices(w))
	var res cluster.TaskResult
	b, rerr := os.ReadFile(filepath.Join(cluster.AttemptDir(dir, index, attempt), "result.json"))
	if rerr == nil {
		rerr = json.Unmarshal(b, &res)
	}
	return report(w, err, &res, rerr)
}

// RunRemoteTask is the pod's side when it reports through the remote rm
// (`xp kube-task --remote-url <url> <name>`, report "remote"): the run
// directory, named name there, is not on a volume the pod sees, and the
// project is the pod's working directory (the image's copy).
// cluster.RunRelayed reads the manifest from the remote, sends the run's
// progress and result there and pushes the run; the task's log goes to
// stderr and, with the result, to the remote. It returns the exit code as
// RunTask does.
func RunRemoteTask(ctx context.Context, rm *remote.Remote, name string, getenv func(string) string, stderr io.Writer) int {
	index, attempt, code := taskOf(getenv, stderr)
	if code != 0 {
		return code
	}
	w, logPath := stderr, ""
	if f, err := os.CreateTemp("", "xp-task-*.log"); err == nil {
		defer os.Remove(f.Name())
		defer f.Close()
		w, logPath = io.MultiWriter(stderr, f), f.Name()
	}
	hello(w, index, attempt)
	root, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(w, "xp: %v\n", err)
		return ExitFailed
	}
	res, err := cluster.RunRelayed(ctx, rm, cluster.RelayedTask{Name: name, Index: index, Attempt: attempt, Root: root,
		Log: logPath, Events: notices(w)})
	var rerr error
	if res == nil {
		res, rerr = &cluster.TaskResult{}, errors.New("no result")
	}
	return report(w, err, res, rerr)
}

// taskOf is the pod's completion index and attempt; code is not 0 when
// the pod is not one of an Indexed Job.
func taskOf(getenv func(string) string, stderr io.Writer) (index, attempt, code int) {
	index, err := strconv.Atoi(getenv(EnvIndex))
	if err != nil {
		fmt.Fprintf(stderr, "xp: $%s is %q: kube-task runs in a pod of an Indexed Job\n", EnvIndex, getenv(EnvIndex))
		return 0, 0, ExitInvalid
	}
	attempt, _ = strconv.Atoi(getenv(EnvAttempt))
	return index, attempt, 0
}

func hello(w io.Writer, index, attempt int) {
	host, _ := os.Hostname()
	fmt.Fprintf(w, "xp: task %d, attempt %d, on %s\n", index, attempt+1, host)
}

// notices writes the task's notices to w.
func notices(w io.Writer) func(sweep.Event) {
	return func(e sweep.Event) {
		if e.Kind == sweep.Notice {
			fmt.Fprintf(w, "xp: %s\n", e.Message)
		}
	}
}

// report says how the task ended, to w, and is its exit code.
func report(w io.Writer, err error, res *cluster.TaskResult, rerr error) int {
	code := exitCode(err, res, rerr)
	switch {
	case code == 0:
	case res.Run != nil:
		fmt.Fprintf(w, "xp: point %d %s: %s\n", res.Point, res.Run.Status, firstLine(res.Error))
	case err != nil:
		fmt.Fprintf(w, "xp: %v\n", err)
	}
	return code
}

// exitCode is how a task ended, for the pod failure policy.
func exitCode(err error, res *cluster.TaskResult, rerr error) int {
	if rerr != nil {
		// Not even a result written: the shared volume is the trouble,
		// which another attempt may not have.
		return ExitFailed
	}
	if res.Run == nil {
		var inv *cluster.InvalidError
		switch {
		case errors.Is(err, context.Canceled):
			return ExitCanceled
		case errors.As(err, &inv):
			// It does not fit here, its key is not the planned one: the
			// same again would fail the same way.
			return ExitInvalid
		}
		// Its data could not be read, its store not made: another
		// attempt, maybe on another node, may do better.
		return ExitFailed
	}
	switch res.Run.Status {
	case store.StatusSucceeded:
		if err != nil {
			return ExitFailed
		}
		return 0
	case store.StatusDiverged:
		return ExitDiverged
	case store.StatusCanceled:
		return ExitCanceled
	}
	return ExitFailed
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
