// Checks of an HNSW-flat inner-product index file before and after FAISS reads it.
// FAISS 1.7.3 trusts the sizes it reads: a corrupt length makes it allocate up to 4 TiB, and a
// corrupt neighbour id makes a later search read outside its arrays. These checks turn both into
// a FileCheckError with a one-line reason.
#pragma once

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace faiss {
struct IndexHNSWFlat;
}

namespace cfaiss {

/// A file that is not a well-formed HNSW-flat inner-product index of the expected dimension.
struct FileCheckError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Walks the file's layout without allocating anything proportional to the sizes it claims:
/// every length must fit in the bytes that remain and the file must end where the index does.
/// Leaves `file` at an unspecified position. Throws FileCheckError (or std::runtime_error for I/O).
void check_layout(std::FILE *file, int64_t expected_dimension);

/// Checks that the graph FAISS read is one its search can walk: offsets, levels, neighbour ids,
/// entry point and the flat storage agree with one another. Throws FileCheckError.
void check_graph(const faiss::IndexHNSWFlat &index, int64_t expected_dimension);

}  // namespace cfaiss
