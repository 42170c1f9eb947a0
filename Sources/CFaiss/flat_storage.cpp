#include "flat_storage.hpp"

#include <faiss/impl/DistanceComputer.h>

#include <atomic>
#include <cstring>

namespace cfaiss {
namespace {

typedef float float8 __attribute__((ext_vector_type(8)));
typedef float float4 __attribute__((ext_vector_type(4)));

/// Two 8-wide accumulators over 16 floats a step (FMA-contracted), then the tail.
__attribute__((target("avx2,fma"))) float inner_product_avx2(const float *a, const float *b, size_t n) {
    float8 s0 = 0, s1 = 0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        float8 a0, a1, b0, b1;
        std::memcpy(&a0, a + i, sizeof a0);
        std::memcpy(&a1, a + i + 8, sizeof a1);
        std::memcpy(&b0, b + i, sizeof b0);
        std::memcpy(&b1, b + i + 8, sizeof b1);
        s0 += a0 * b0;
        s1 += a1 * b1;
    }
    float8 s = s0 + s1;
    float sum = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

/// The same with four 4-wide accumulators (SSE2, every x86-64).
float inner_product_sse2(const float *a, const float *b, size_t n) {
    float4 s[4] = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int j = 0; j < 4; j++) {
            float4 x, y;
            std::memcpy(&x, a + i + 4 * j, sizeof x);
            std::memcpy(&y, b + i + 4 * j, sizeof y);
            s[j] += x * y;
        }
    }
    float4 t = (s[0] + s[1]) + (s[2] + s[3]);
    float sum = (t[0] + t[2]) + (t[1] + t[3]);
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

using Kernel = float (*)(const float *, const float *, size_t);

Kernel choose_kernel() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? inner_product_avx2 : inner_product_sse2;
}

const Kernel kernel = choose_kernel();

std::atomic<int64_t> computed{0};

/// Inner products of the current query (or of two stored vectors) with the stored vectors.
struct InnerProductComputer : faiss::FlatCodesDistanceComputer {
    size_t d;
    const float *query = nullptr;
    int64_t count = 0;  // added to `computed` once, when the computer goes

    explicit InnerProductComputer(const FlatInnerProductStorage &storage)
        : faiss::FlatCodesDistanceComputer(storage.codes.data(), storage.code_size), d(size_t(storage.d)) {}

    ~InnerProductComputer() override { computed.fetch_add(count, std::memory_order_relaxed); }

    const float *vector(idx_t i) const { return reinterpret_cast<const float *>(codes + size_t(i) * code_size); }

    void set_query(const float *x) override { query = x; }

    float distance_to_code(const uint8_t *code) override {
        count++;
        return kernel(query, reinterpret_cast<const float *>(code), d);
    }

    float symmetric_dis(idx_t i, idx_t j) override {
        count++;
        return kernel(vector(i), vector(j), d);
    }
};

}  // namespace

float inner_product(const float *a, const float *b, size_t n) { return kernel(a, b, n); }

int64_t distances_computed() { return computed.load(std::memory_order_relaxed); }

faiss::FlatCodesDistanceComputer *FlatInnerProductStorage::get_FlatCodesDistanceComputer() const {
    return new InnerProductComputer(*this);
}

}  // namespace cfaiss
