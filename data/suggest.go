package data

import (
	"fmt"

	"github.com/xp-ml/xp/internal/suggest"
)

// didYouMean is "; did you mean \"X\"?" when one of candidates is close to
// name, else "".
func didYouMean(name string, candidates []string) string {
	if c, ok := suggest.Closest(name, candidates); ok {
		return fmt.Sprintf("; did you mean %q?", c)
	}
	return ""
}
