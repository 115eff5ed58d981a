package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// UnmarshalJSON reads "balanced" or an object of label -> weight.
func (w *ClassWeights) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("class_weights: %w", err)
		}
		if s != "balanced" {
			return fmt.Errorf("class_weights: %q is not \"balanced\" or a map of label to weight", s)
		}
		*w = ClassWeights{Balanced: true}
		return nil
	}
	var m map[string]float64
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("class_weights: %w", err)
	}
	*w = ClassWeights{ByLabel: m}
	return nil
}

// MarshalJSON writes the form UnmarshalJSON reads.
func (w ClassWeights) MarshalJSON() ([]byte, error) {
	if w.Balanced {
		return []byte(`"balanced"`), nil
	}
	return json.Marshal(w.ByLabel)
}
