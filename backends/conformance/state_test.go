package conformance_test

import (
	"context"
	"testing"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/backends/conformance"
	"github.com/xp-ml/xp/model"
)

// A state that does not fit the trainer is refused, and a state saved by
// one backend restores into the other (the names are shared).
func TestRestoreChecksAndCrossesBackends(t *testing.T) {
	adam := model.Optimizer{Kind: model.Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	sgd := model.Optimizer{Kind: model.SGD, LR: 0.1}
	data := conformance.Synthetic(40, 5, 3, 1)
	ctx := context.Background()
	compile := func(t *testing.T, name string, m *model.Model) backends.Trainer {
		b, err := backends.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		p0, _ := model.Init(m, 1)
		tr, err := b.Compile(ctx, m, p0, backends.Config{BatchSize: 8, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tr.Close() })
		return tr
	}
	for _, pair := range [][2]string{{"cpu", "gorgonia"}, {"gorgonia", "cpu"}} {
		t.Run(pair[0]+"-to-"+pair[1], func(t *testing.T) {
			m := conformance.MLP(5, 3, []int{6}, model.ActTanh, 0, adam)
			from := compile(t, pair[0], m)
			if _, err := from.Epoch(ctx, data, conformance.Order(40, 1), nil); err != nil {
				t.Fatal(err)
			}
			s, err := from.State()
			if err != nil {
				t.Fatal(err)
			}
			to := compile(t, pair[1], m)
			if err := to.Restore(s); err != nil {
				t.Fatal(err)
			}
			got, _ := to.State()
			if got.Step != 5 || got.Epoch != 1 || got.Params.Digest() != s.Params.Digest() || got.Optimizer.Digest() != s.Optimizer.Digest() {
				t.Errorf("restored step %d epoch %d; parameters or moments changed in transit", got.Step, got.Epoch)
			}
			plain := compile(t, pair[0], conformance.MLP(5, 3, []int{6}, model.ActTanh, 0, sgd))
			ps, _ := plain.State()
			if err := to.Restore(ps); err == nil {
				t.Error("an SGD state without moments restored into Adam")
			}
			wide, _ := compile(t, pair[0], conformance.MLP(5, 3, []int{7}, model.ActTanh, 0, adam)).State()
			if err := to.Restore(wide); err == nil {
				t.Error("a state of another shape restored")
			}
		})
	}
}
