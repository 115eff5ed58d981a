#include "textflag.h"

// func adamAVX(params, grads, mean, vari *float32, n int, k *adamConsts)
//
// Eight parameters per iteration, the operations of adamScalar in its
// order, without FMA (each product rounded on its own, as PyTorch's CPU
// kernels and adamScalar do). Go's operand order: VOP a, b, dst is
// dst = b OP a.
TEXT ·adamAVX(SB), NOSPLIT, $0-48
	MOVQ params+0(FP), DI
	MOVQ grads+8(FP), SI
	MOVQ mean+16(FP), R8
	MOVQ vari+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ k+40(FP), AX
	VBROADCASTSS 0(AX), Y0  // wd
	VBROADCASTSS 4(AX), Y1  // beta1
	VBROADCASTSS 8(AX), Y2  // 1 - beta1
	VBROADCASTSS 12(AX), Y3 // beta2
	VBROADCASTSS 16(AX), Y4 // 1 - beta2
	VBROADCASTSS 20(AX), Y5 // sqrt(bias correction 2)
	VBROADCASTSS 24(AX), Y6 // eps
	VBROADCASTSS 28(AX), Y7 // -step size
	XORQ BX, BX

loop:
	CMPQ BX, CX
	JGE  done
	VMOVUPS (DI)(BX*4), Y8    // p
	VMOVUPS (SI)(BX*4), Y9    // g
	VMULPS  Y8, Y0, Y10       // wd*p
	VADDPS  Y10, Y9, Y9       // g = g + wd*p
	VMOVUPS (R8)(BX*4), Y11   // m
	VMULPS  Y1, Y11, Y11      // m*beta1
	VMULPS  Y9, Y2, Y12       // (1-beta1)*g
	VADDPS  Y12, Y11, Y11     // m = m*beta1 + (1-beta1)*g
	VMOVUPS Y11, (R8)(BX*4)
	VMOVUPS (R9)(BX*4), Y13   // v
	VMULPS  Y3, Y13, Y13      // v*beta2
	VMULPS  Y9, Y4, Y14       // (1-beta2)*g
	VMULPS  Y9, Y14, Y14      // ((1-beta2)*g)*g
	VADDPS  Y14, Y13, Y13     // v = v*beta2 + ((1-beta2)*g)*g
	VMOVUPS Y13, (R9)(BX*4)
	VSQRTPS Y13, Y14          // sqrt(v)
	VDIVPS  Y5, Y14, Y14      // sqrt(v) / sqrt(bc2)
	VADDPS  Y6, Y14, Y14      // denom = ... + eps
	VMULPS  Y11, Y7, Y15      // -step*m
	VDIVPS  Y14, Y15, Y15     // (-step*m) / denom
	VADDPS  Y15, Y8, Y8       // p + ...
	VMOVUPS Y8, (DI)(BX*4)
	ADDQ    $8, BX
	JMP     loop

done:
	VZEROUPPER
	RET
