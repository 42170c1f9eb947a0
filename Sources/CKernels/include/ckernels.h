// Elementwise loops in C, vectorised for the CPU at hand: each function is compiled for
// AVX-512, AVX2 + FMA and baseline x86-64, and the loader picks the best one the CPU runs
// (clang's target_clones). Floating-point contraction is off, so every variant computes
// exactly what the plain loop does and results do not depend on the CPU.
#ifndef FASHION_CKERNELS_H
#define FASHION_CKERNELS_H

#include <stddef.h>

/// Adam (PyTorch's form) on n elements; see Kernels/OptimizerKernels.swift.
void fashion_adam(float *p, const float *g, float *m, float *v, ptrdiff_t n, float step_size,
                  float beta1, float beta2, float inverse_root_correction2, float epsilon, float keep);

/// SGD with momentum buffer b (PyTorch's form, dampening 0); see Kernels/OptimizerKernels.swift.
void fashion_sgd_momentum(float *p, const float *g, float *b, ptrdiff_t n, float lr, float momentum,
                          int first_step, float weight_decay, int nesterov);

/// x[i] = max(x[i], 0) (NaN stays NaN).
void fashion_relu(float *x, ptrdiff_t n);

/// dy[i] = y[i] > 0 ? dy[i] : 0.
void fashion_relu_backward(float *dy, const float *y, ptrdiff_t n);

/// x[i] *= mask[i].
void fashion_multiply(float *x, const float *mask, ptrdiff_t n);

/// y[i] += x[i].
void fashion_add(const float *x, float *y, ptrdiff_t n);

/// y[i] = x[i] rounded to the nearest bfloat16 (ties to even; NaN stays NaN), kept in float
/// storage: the low 16 bits become 0. x and y may be the same array.
void fashion_round_bf16(const float *x, float *y, ptrdiff_t n);

/// Whether the CPU has AVX512-BF16 (bf16 dot products, vdpbf16ps).
int fashion_cpu_has_bf16(void);

/// The name of the instruction set the loader chose for these loops ("avx512f", "avx2", "baseline").
const char *fashion_ckernels_isa(void);

#endif
