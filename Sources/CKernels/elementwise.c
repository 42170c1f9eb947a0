// See include/ckernels.h. Compiled with -O3, -ffp-contract=off and -fno-math-errno (Package.swift).
#include "ckernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__clang__) && defined(__linux__)
#define VARIANTS __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define VARIANTS
#endif

VARIANTS
void fashion_adam(float *restrict p, const float *restrict g, float *restrict m, float *restrict v, ptrdiff_t n,
                  float step_size, float beta1, float beta2, float inverse_root_correction2, float epsilon, float keep) {
    for (ptrdiff_t i = 0; i < n; i++) {
        float gi = g[i];
        float mi = beta1 * m[i] + (1 - beta1) * gi;
        float vi = beta2 * v[i] + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * keep - step_size * mi / (sqrtf(vi) * inverse_root_correction2 + epsilon);
    }
}

VARIANTS
void fashion_sgd_momentum(float *restrict p, const float *restrict g, float *restrict b, ptrdiff_t n, float lr,
                          float momentum, int first_step, float weight_decay, int nesterov) {
    for (ptrdiff_t i = 0; i < n; i++) {
        float di = g[i] + weight_decay * p[i];
        float bi = first_step ? di : momentum * b[i] + di;
        b[i] = bi;
        p[i] -= lr * (nesterov ? di + momentum * bi : bi);
    }
}

VARIANTS
void fashion_relu(float *restrict x, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) x[i] = x[i] > 0 || x[i] != x[i] ? x[i] : 0;
}

VARIANTS
void fashion_relu_backward(float *restrict dy, const float *restrict y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) dy[i] = y[i] > 0 ? dy[i] : 0;
}

VARIANTS
void fashion_multiply(float *restrict x, const float *restrict mask, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) x[i] *= mask[i];
}

VARIANTS
void fashion_add(const float *restrict x, float *restrict y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) y[i] += x[i];
}

VARIANTS
void fashion_round_bf16(const float *x, float *y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
        // NaN: keep the sign and exponent, force a quiet mantissa bit (rounding could carry it into Inf).
        uint32_t out = (u & 0x7FFFFFFFu) > 0x7F800000u ? ((u & 0xFFFF0000u) | 0x00400000u) : rounded;
        memcpy(&y[i], &out, 4);
    }
}

int fashion_cpu_has_bf16(void) {
#if defined(__x86_64__) && defined(__clang__) && defined(__linux__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16");
#else
    return 0;
#endif
}

const char *fashion_ckernels_isa(void) {
#if defined(__x86_64__) && defined(__clang__) && defined(__linux__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) return "avx512f";
    if (__builtin_cpu_supports("x86-64-v3")) return "avx2";
#endif
    return "baseline";
}
