package remote

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/xp-ml/xp/store"
)

// exactFloat is a float64 in JSON that reads back to the same bits: a
// number in its shortest round-trip form, or "NaN", "+Inf", "-Inf", which
// JSON numbers cannot hold.
type exactFloat float64

func (f exactFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func (f *exactFloat) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) > 1 && s[0] == '"' {
		s = s[1 : len(s)-1]
		if s != "NaN" && s != "+Inf" && s != "-Inf" {
			return fmt.Errorf("float %q: want a number, NaN, +Inf or -Inf", s)
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("float %s: %w", b, err)
	}
	*f = exactFloat(v)
	return nil
}

// point is a store.Point as a line of a bundle's points object.
type point struct {
	Split string     `json:"split"`
	Name  string     `json:"name"`
	Epoch int        `json:"epoch"`
	Step  int        `json:"step"`
	Value exactFloat `json:"value"`
	Time  int64      `json:"time"` // unix nanoseconds
}

// encodePoints writes pts as JSON Lines, in their order.
func encodePoints(pts []store.Point) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, p := range pts {
		if err := enc.Encode(point{Split: p.Split, Name: p.Name, Epoch: p.Epoch, Step: p.Step,
			Value: exactFloat(p.Value), Time: p.Time.UnixNano()}); err != nil {
			return nil, fmt.Errorf("encode points: %w", err)
		}
	}
	return b.Bytes(), nil
}

// decodePoints reads what encodePoints wrote.
func decodePoints(raw []byte) ([]store.Point, error) {
	var pts []store.Point
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var p point
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return nil, fmt.Errorf("points, line %d: %w", line, err)
		}
		pts = append(pts, store.Point{Split: p.Split, Name: p.Name, Epoch: p.Epoch, Step: p.Step,
			Value: float64(p.Value), Time: fromNanos(p.Time)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("points: %w", err)
	}
	return pts, nil
}

// nanos and fromNanos carry times exactly; the zero time is 0.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// decodeJSON reads one JSON value of at most 1 MiB from r into v.
func decodeJSON(r io.Reader, v any) error {
	return json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(v)
}
