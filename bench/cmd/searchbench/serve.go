package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// serve evaluates points for a driver in another process (Optuna's side
// of bench/search.sh, search_optuna.py), one JSON line each way. It
// first writes the objectives' spaces, {"spaces": {name: space}} (see
// spaceJSON); then, for each request {"objective": name, "params": {path:
// value}}, the value, {"value": v}, null for a point that did not
// succeed; and stops at the end of its input, or at the first error, which
// it returns after writing {"error": message}.
func serve(in io.Reader, out io.Writer, objs map[string]objective) error {
	enc := json.NewEncoder(out)
	spaces := map[string]any{}
	for name, o := range objs {
		spaces[name] = spaceJSON(o)
	}
	if err := enc.Encode(map[string]any{"spaces": spaces}); err != nil {
		return err
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		v, err := answer(objs, sc.Bytes())
		if err != nil {
			return fmt.Errorf("serve: %w", errors.Join(err, enc.Encode(map[string]string{"error": err.Error()})))
		}
		var value any
		if !math.IsInf(v, 1) {
			value = v
		}
		if err := enc.Encode(map[string]any{"value": value}); err != nil {
			return err
		}
	}
	return sc.Err()
}

// answer evaluates one request.
func answer(objs map[string]objective, line []byte) (float64, error) {
	var req struct {
		Objective string         `json:"objective"`
		Params    map[string]any `json:"params"`
	}
	if err := json.Unmarshal(line, &req); err != nil {
		return 0, fmt.Errorf("request %q: %w", line, err)
	}
	o, ok := objs[req.Objective]
	if !ok {
		return 0, fmt.Errorf("request %q: unknown objective %q", line, req.Objective)
	}
	return o.eval(req.Params)
}
