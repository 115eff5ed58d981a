package data

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/xp-ml/xp/cue/spec"
)

// synthStream is the second PCG seed word of the generators (see splitStream).
const synthStream = 0x78702e73796e7468 // "xp.synth"

// Generate makes the rows of a synthetic source. The same parameters give
// the same rows on every machine: the generators draw from PCG and use
// only arithmetic (no math.Exp, no rand's NormFloat64, whose algorithms a
// Go release may change), so the parameters' hash identifies the data.
func Generate(ctx context.Context, s *spec.Synthetic) (*Frame, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch {
	case s.Classification != nil:
		return genClassification(s.Classification)
	case s.Interactions != nil:
		return genInteractions(s.Interactions)
	}
	return nil, fmt.Errorf("synthetic: no generator set")
}

// normal is an approximately standard normal draw: the sum of 12 uniforms
// less 6 (Irwin-Hall), exact arithmetic everywhere, within ±6.
func normal(r *rand.Rand) float64 {
	var s float64
	for range 12 {
		s += r.Float64()
	}
	return s - 6
}

// synthLimit bounds the cells a generator makes, so a typo (rows: 1e9)
// fails at once instead of exhausting memory.
const synthLimit = 1 << 30

func genClassification(c *spec.SynthClassification) (*Frame, error) {
	if c.Rows <= 0 || c.Classes < 2 || c.Features < 0 || c.Categorical < 0 || (c.Features == 0 && c.Categorical == 0) {
		return nil, fmt.Errorf("synthetic classification: need rows > 0, classes >= 2 and at least one feature or categorical column")
	}
	if c.Rows*(c.Features+c.Categorical+1) > synthLimit {
		return nil, fmt.Errorf("synthetic classification: %d rows x %d columns is more than xp generates (%d cells)", c.Rows, c.Features+c.Categorical+1, synthLimit)
	}
	r := rand.New(rand.NewPCG(uint64(c.Seed), synthStream))
	centres := make([]float64, c.Classes*c.Features)
	for i := range centres {
		centres[i] = normal(r) * c.Separation
	}
	// Each class prefers one level of each categorical column.
	prefer := make([]int, c.Classes*c.Categorical)
	for i := range prefer {
		prefer[i] = r.IntN(c.Levels)
	}
	f := &Frame{Path: "synthetic classification", Line: make([]int, c.Rows)}
	num := make([]*Column, c.Features)
	for j := range num {
		num[j] = &Column{Name: "x" + strconv.Itoa(j), Numeric: true, Num: make([]float64, c.Rows), Missing: make([]bool, c.Rows)}
	}
	levels := make([]string, c.Levels)
	for l := range levels {
		levels[l] = "l" + strconv.Itoa(l)
	}
	cat := make([]*Column, c.Categorical)
	for j := range cat {
		cat[j] = &Column{Name: "c" + strconv.Itoa(j), Str: make([]string, c.Rows), Missing: make([]bool, c.Rows)}
	}
	classes := make([]string, c.Classes)
	for k := range classes {
		classes[k] = "class" + strconv.Itoa(k)
	}
	label := &Column{Name: "label", Str: make([]string, c.Rows), Missing: make([]bool, c.Rows)}
	for i := range c.Rows {
		f.Line[i] = i + 1
		y := r.IntN(c.Classes)
		label.Str[i] = classes[y]
		for j, col := range num {
			col.Num[i] = centres[y*c.Features+j] + normal(r)
			if c.Missing > 0 && r.Float64() < c.Missing {
				col.Num[i], col.Missing[i] = math.NaN(), true
			}
		}
		for j, col := range cat {
			l := prefer[y*c.Categorical+j]
			if r.IntN(2) == 0 {
				l = r.IntN(c.Levels)
			}
			col.Str[i] = levels[l]
			if c.Missing > 0 && r.Float64() < c.Missing {
				col.Str[i], col.Missing[i] = "", true
			}
		}
	}
	for _, col := range slices.Concat(num, cat, []*Column{label}) {
		f.Names = append(f.Names, col.Name)
		f.Cols = append(f.Cols, col)
	}
	return f, nil
}

// interactionCandidates is how many random items a user chooses each
// positive among: the larger, the more the latent scores decide.
const interactionCandidates = 8

func genInteractions(c *spec.SynthInteractions) (*Frame, error) {
	if c.Users <= 0 || c.Items < 2 || c.Interactions <= 0 || c.Factors <= 0 || c.Negatives < 1 {
		return nil, fmt.Errorf("synthetic interactions: need users > 0, items > 1, interactions > 0, factors > 0, negatives >= 1")
	}
	rows := c.Interactions * (1 + c.Negatives)
	if rows*3 > synthLimit {
		return nil, fmt.Errorf("synthetic interactions: %d rows is more than xp generates", rows)
	}
	// Half the items would leave too few negatives to draw from.
	if c.Interactions > c.Users*c.Items/2 {
		return nil, fmt.Errorf("synthetic interactions: %d positives for %d users x %d items; at most half the pairs (%d) may be positive",
			c.Interactions, c.Users, c.Items, c.Users*c.Items/2)
	}
	r := rand.New(rand.NewPCG(uint64(c.Seed), synthStream^1))
	scale := 1 / math.Sqrt(float64(c.Factors))
	user := make([]float64, c.Users*c.Factors)
	item := make([]float64, c.Items*c.Factors)
	for i := range user {
		user[i] = normal(r) * scale
	}
	for i := range item {
		item[i] = normal(r)
	}
	pop := make([]float64, c.Items)
	for i := range pop {
		pop[i] = normal(r) * 0.5
	}
	score := func(u, it int) float64 {
		s := pop[it]
		for k := range c.Factors {
			s += user[u*c.Factors+k] * item[it*c.Factors+k]
		}
		return s
	}
	userNames := make([]string, c.Users)
	for u := range userNames {
		userNames[u] = "u" + strconv.Itoa(u)
	}
	itemNames := make([]string, c.Items)
	for i := range itemNames {
		itemNames[i] = "i" + strconv.Itoa(i)
	}
	f := &Frame{Path: "synthetic interactions", Line: make([]int, 0, rows)}
	uc := &Column{Name: "user", Str: make([]string, 0, rows)}
	ic := &Column{Name: "item", Str: make([]string, 0, rows)}
	lc := &Column{Name: "label", Numeric: true, Num: make([]float64, 0, rows)}
	positive := make(map[[2]int]bool, c.Interactions)
	add := func(u, it int, label float64) {
		f.Line = append(f.Line, len(f.Line)+1)
		uc.Str = append(uc.Str, userNames[u])
		ic.Str = append(ic.Str, itemNames[it])
		lc.Num = append(lc.Num, label)
	}
	for n := 0; n < c.Interactions; n++ {
		u := n % c.Users // every user interacts, equally often
		best, bestScore := -1, math.Inf(-1)
		for range interactionCandidates {
			it := r.IntN(c.Items)
			if positive[[2]int{u, it}] {
				continue
			}
			if s := score(u, it) + 0.5*normal(r); s > bestScore {
				best, bestScore = it, s
			}
		}
		if best < 0 { // every candidate taken: any item the user has not picked
			for it := r.IntN(c.Items); ; it = (it + 1) % c.Items {
				if !positive[[2]int{u, it}] {
					best = it
					break
				}
			}
		}
		positive[[2]int{u, best}] = true
		add(u, best, 1)
		for range c.Negatives {
			it := r.IntN(c.Items)
			for tries := 0; positive[[2]int{u, it}] && tries < 4*c.Items; tries++ {
				it = r.IntN(c.Items)
			}
			add(u, it, 0)
		}
	}
	for _, col := range []*Column{uc, ic, lc} {
		col.Missing = make([]bool, len(f.Line))
		f.Names = append(f.Names, col.Name)
		f.Cols = append(f.Cols, col)
	}
	return f, nil
}
