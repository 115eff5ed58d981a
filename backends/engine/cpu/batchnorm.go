package cpu

import (
	"math"

	"github.com/xp-ml/xp/backends/engine/device"
)

// BatchNormTrain implements device.Device. Column statistics are summed in
// float64; a batch of one row has variance 0 and leaves the running
// variance's batch term at 0 (PyTorch refuses such a batch).
func (d *Device) BatchNormTrain(xb, outb, xhatb, invstdb, gammab, betab, rmb, rvb device.Buffer, rows, cols int, eps, momentum float64) {
	x, out, xhat := buf(xb)[:rows*cols], buf(outb)[:rows*cols], buf(xhatb)[:rows*cols]
	invstd, gamma, beta := buf(invstdb)[:cols], buf(gammab)[:cols], buf(betab)[:cols]
	rm, rv := buf(rmb)[:cols], buf(rvb)[:cols]
	mean := d.scratch(2 * cols)
	vari := mean[cols:]
	mean = mean[:cols]
	clear(mean)
	clear(vari)
	for r := range rows {
		row := x[r*cols : (r+1)*cols]
		for j, v := range row {
			mean[j] += float64(v)
		}
	}
	n := float64(rows)
	for j := range mean {
		mean[j] /= n
	}
	for r := range rows {
		row := x[r*cols : (r+1)*cols]
		for j, v := range row {
			c := float64(v) - mean[j]
			vari[j] += c * c
		}
	}
	m := float32(momentum)
	for j := range vari {
		vari[j] /= n
		invstd[j] = float32(1 / math.Sqrt(vari[j]+eps))
		unbiased := 0.0
		if rows > 1 {
			unbiased = vari[j] * n / (n - 1)
		}
		rm[j] = float32((1-m)*rm[j]) + float32(m*float32(mean[j]))
		rv[j] = float32((1-m)*rv[j]) + float32(m*float32(unbiased))
	}
	for r := range rows {
		xr, or, hr := x[r*cols:(r+1)*cols], out[r*cols:(r+1)*cols], xhat[r*cols:(r+1)*cols]
		for j, v := range xr {
			h := float32((float64(v) - mean[j]) * float64(invstd[j]))
			hr[j] = h
			or[j] = float32(h*gamma[j]) + beta[j]
		}
	}
}

// BatchNormBackward implements device.Device: dγ = Σ dy·x̂, dβ = Σ dy and,
// when dx is not nil, dx = γ·invstd/n · (n·dy - Σdy - x̂·Σ(dy·x̂)).
func (d *Device) BatchNormBackward(dyb, xhatb, invstdb, gammab, dxb, dgammab, dbetab device.Buffer, rows, cols int) {
	dy, xhat := buf(dyb)[:rows*cols], buf(xhatb)[:rows*cols]
	invstd, gamma := buf(invstdb)[:cols], buf(gammab)[:cols]
	dgamma, dbeta := buf(dgammab)[:cols], buf(dbetab)[:cols]
	sums := d.scratch(2 * cols)
	sumDy, sumDyX := sums[:cols], sums[cols:]
	clear(sums)
	for r := range rows {
		dr, hr := dy[r*cols:(r+1)*cols], xhat[r*cols:(r+1)*cols]
		for j, g := range dr {
			sumDy[j] += float64(g)
			sumDyX[j] += float64(g) * float64(hr[j])
		}
	}
	for j := range dgamma {
		dgamma[j], dbeta[j] = float32(sumDyX[j]), float32(sumDy[j])
	}
	if dxb == nil {
		return
	}
	dx := buf(dxb)[:rows*cols]
	n := float64(rows)
	for r := range rows {
		dr, hr, xr := dy[r*cols:(r+1)*cols], xhat[r*cols:(r+1)*cols], dx[r*cols:(r+1)*cols]
		for j, g := range dr {
			k := float64(gamma[j]) * float64(invstd[j]) / n
			xr[j] = float32(k * (n*float64(g) - sumDy[j] - float64(hr[j])*sumDyX[j]))
		}
	}
}

// BatchNormInfer implements device.Device with the running statistics.
func (d *Device) BatchNormInfer(xb, outb, gammab, betab, rmb, rvb device.Buffer, rows, cols int, eps float64) {
	x, out := buf(xb)[:rows*cols], buf(outb)[:rows*cols]
	gamma, beta, rm, rv := buf(gammab)[:cols], buf(betab)[:cols], buf(rmb)[:cols], buf(rvb)[:cols]
	for r := range rows {
		xr, or := x[r*cols:(r+1)*cols], out[r*cols:(r+1)*cols]
		for j, v := range xr {
			h := float32((float64(v) - float64(rm[j])) / math.Sqrt(float64(rv[j])+eps))
			or[j] = float32(h*gamma[j]) + beta[j]
		}
	}
}
