// The flat inner-product storage under the HNSW graph, with a vectorised distance.
// Debian's FAISS 1.7.3 is built for generic x86-64, where fvec_inner_product is the scalar
// reference loop (~120 ns for 128 floats here); this one takes ~20 ns with AVX2 and FMA. The
// storage is still an IndexFlatIP, so FAISS writes and reads it as one ("IxFI").
#pragma once

#include <faiss/IndexFlat.h>

#include <cstddef>
#include <cstdint>

namespace cfaiss {

/// Σ a[i]·b[i] over n floats: AVX2 + FMA where the processor has them, SSE2 otherwise.
float inner_product(const float *a, const float *b, size_t n);

/// Distances computed by every FlatInnerProductStorage so far (each search or add adds its own
/// count when it finishes).
int64_t distances_computed();

/// An IndexFlatIP whose distance computer (the one HNSW uses to add and search) calls inner_product.
struct FlatInnerProductStorage : faiss::IndexFlatIP {
    explicit FlatInnerProductStorage(idx_t d) : faiss::IndexFlatIP(d) {}
    faiss::FlatCodesDistanceComputer *get_FlatCodesDistanceComputer() const override;
};

}  // namespace cfaiss
