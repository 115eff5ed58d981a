package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MinPrefix is the shortest key prefix Resolve accepts.
const MinPrefix = 4

// maxCandidates is how many keys an AmbiguousError lists.
const maxCandidates = 10

// AmbiguousError is Resolve's answer to a prefix that matches runs of several
// keys. errors.Is(err, ErrAmbiguous) holds.
type AmbiguousError struct {
	Prefix string
	// Candidates holds the newest run of each matching key, by key, with
	// only ID, Key, Experiment and CreatedAt filled.
	Candidates []Run
	// More is how many matching keys Candidates leaves out.
	More int
}

func (e *AmbiguousError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "run key prefix %q is ambiguous:", e.Prefix)
	n := displayLen(e.Candidates)
	for i, c := range e.Candidates {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %s (%s)", c.Key[:min(n, len(c.Key))], c.Experiment)
	}
	if e.More > 0 {
		fmt.Fprintf(&b, " and %d more", e.More)
	}
	return b.String()
}

func (e *AmbiguousError) Is(target error) bool { return target == ErrAmbiguous }

// displayLen is the shortest length from 12 that still tells the candidates'
// keys apart.
func displayLen(cs []Run) int {
	for n := 12; n < 64; n++ {
		seen := make(map[string]bool, len(cs))
		unique := true
		for _, c := range cs {
			k := c.Key[:min(n, len(c.Key))]
			if seen[k] {
				unique = false
				break
			}
			seen[k] = true
		}
		if unique {
			return n
		}
	}
	return 64
}

// Resolve finds the run a person means by a reference: a key prefix (at
// least MinPrefix hex digits, any case), which names the newest succeeded
// run of its key when the key has one (the run that answers for the key:
// its cache entry), else the newest run of the key; or KEY#N, run N (its
// id, as `xp ls` shows it), which must be a run of a key starting with
// KEY. A prefix that matches runs of several keys is an *AmbiguousError;
// none, an error wrapping ErrNotFound.
func (s *Store) Resolve(ctx context.Context, ref string) (*Run, error) {
	return s.resolve(ctx, ref, true)
}

// ResolveNewest is Resolve, but a key prefix names the newest run of its
// key whatever its status: the attempt that xp resume continues or xp
// cancel stops.
func (s *Store) ResolveNewest(ctx context.Context, ref string) (*Run, error) {
	return s.resolve(ctx, ref, false)
}

func (s *Store) resolve(ctx context.Context, ref string, succeeded bool) (*Run, error) {
	prefix, num, hasNum := strings.Cut(strings.TrimSpace(ref), "#")
	p := strings.ToLower(prefix)
	if len(p) < MinPrefix || len(p) > 64 || !isHex(p) {
		return nil, fmt.Errorf("resolve %q: a run key prefix is %d to 64 hex digits (KEY#N names run N of the key): %w", ref, MinPrefix, ErrInvalid)
	}
	if hasNum {
		return s.resolveNumber(ctx, ref, p, num)
	}
	key, err := s.resolveKey(ctx, ref, p)
	if err != nil {
		return nil, err
	}
	// The newest by (created, id), as everywhere else; with succeeded,
	// a succeeded run first.
	order := `ORDER BY created DESC, id DESC`
	if succeeded {
		order = `ORDER BY status = 'succeeded' DESC, created DESC, id DESC`
	}
	r, err := s.getRun(ctx, `SELECT `+runColumns+` FROM runs WHERE key = ? `+order+` LIMIT 1`, key)
	if errors.Is(err, sql.ErrNoRows) {
		// Deleted since the first read.
		return nil, fmt.Errorf("no run key starts with %q: %w", p, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("resolve %q: %w", ref, err)
	}
	return r, nil
}

// resolveNumber is run num of a key starting with p.
func (s *Store) resolveNumber(ctx context.Context, ref, p, num string) (*Run, error) {
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 {
		return nil, fmt.Errorf("resolve %q: after # comes a run number, as xp ls shows it in RUN: %w", ref, ErrInvalid)
	}
	r, err := s.Run(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("resolve %q: no run %d: %w", ref, id, ErrNotFound)
	}
	if !strings.HasPrefix(r.Key, p) {
		return nil, fmt.Errorf("resolve %q: run %d is a run of key %s, not of %s…: %w", ref, id, r.Short(), p, ErrNotFound)
	}
	return r, nil
}

// resolveKey is the one key that starts with p.
func (s *Store) resolveKey(ctx context.Context, ref, p string) (string, error) {
	// Keys are lowercase hex, so every key starting with p lies in [p, p+"g"):
	// a range the key index answers, unlike LIKE, which it cannot use here.
	lo, hi := p, p+"g"
	var (
		cands []Run
		total int
	)
	err := s.read(ctx, func(tx *sql.Tx) error {
		// SQLite takes the bare columns of a max() aggregate from the row
		// holding the maximum: the newest run of each key.
		rows, err := tx.QueryContext(ctx, `SELECT id, key, experiment, max(created) FROM runs
			WHERE key >= ? AND key < ? GROUP BY key ORDER BY key LIMIT ?`, lo, hi, maxCandidates+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				c       Run
				created int64
			)
			if err := rows.Scan(&c.ID, &c.Key, &c.Experiment, &created); err != nil {
				return err
			}
			c.CreatedAt = fromNanos(created)
			cands = append(cands, c)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		total = len(cands)
		if total > maxCandidates {
			return tx.QueryRowContext(ctx, `SELECT count(DISTINCT key) FROM runs WHERE key >= ? AND key < ?`,
				lo, hi).Scan(&total)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("resolve %q: %w", ref, err)
	}
	switch len(cands) {
	case 0:
		return "", fmt.Errorf("no run key starts with %q: %w", p, ErrNotFound)
	case 1:
		return cands[0].Key, nil
	}
	cands = cands[:min(len(cands), maxCandidates)]
	return "", &AmbiguousError{Prefix: p, Candidates: cands, More: total - len(cands)}
}
