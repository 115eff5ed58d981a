package gorgonia

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/model"
)

// BenchmarkEpoch is one epoch over 10000 rows of 30 features through an MLP
// with one hidden layer of 64 ReLUs, batch 32, Adam: the shape of bench/'s
// synthetic job (README, "Backends and speed").
func BenchmarkEpoch(b *testing.B) {
	const n, d, classes = 10000, 30, 2
	data := randomData(1, n, d, classes)
	m := &model.Model{Inputs: d, Classes: classes, Optimizer: adam, Layers: []model.Layer{
		dense(d, 64, model.ActReLU), dense(64, classes, model.ActNone),
	}}
	params, err := model.Init(m, 1)
	if err != nil {
		b.Fatal(err)
	}
	tr := compile(b, m, params, backends.Config{BatchSize: 32, Seed: 1})
	order := identity(n)
	rng := rand.New(rand.NewPCG(1, 1))
	ctx := context.Background()
	for b.Loop() {
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		if _, err := tr.Epoch(ctx, data, order, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
}
