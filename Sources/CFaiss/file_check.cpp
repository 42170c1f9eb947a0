// The layout that FAISS 1.7.3 writes for an IndexHNSWFlat (all little-endian, no padding):
//
//   "IHNf"                                   fourcc of IndexHNSWFlat
//   header                                   d i32, ntotal i64, 2 × i64 unused, is_trained u8,
//                                            metric i32 (0 = inner product), [metric_arg f32 if metric > 1]
//   assign_probas            vector<f64>     each vector: count u64, then count elements
//   cum_nneighbor_per_level  vector<i32>
//   levels                   vector<i32>     ntotal entries: 1 + the node's top level
//   offsets                  vector<u64>     ntotal + 1 entries into neighbors
//   neighbors                vector<i32>     -1 pads unused slots
//   entry_point, max_level, efConstruction, efSearch, upper_beam: i32 each
//   "IxFI" header codes                      the IndexFlatIP storage; codes: float count u64, then floats
#include "file_check.hpp"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <sys/stat.h>

namespace cfaiss {
namespace {

constexpr int32_t kMetricInnerProduct = 0;  // faiss::METRIC_INNER_PRODUCT

[[noreturn]] void fail(const std::string &reason) { throw FileCheckError(reason); }

uint32_t fourcc(const char *code) {
    return uint32_t(uint8_t(code[0])) | uint32_t(uint8_t(code[1])) << 8 | uint32_t(uint8_t(code[2])) << 16 |
           uint32_t(uint8_t(code[3])) << 24;
}

/// Reads fields and skips vectors, tracking the bytes that remain.
struct Cursor {
    std::FILE *file;
    uint64_t remaining;

    template <class T> T read(const char *what) {
        T value;
        if (remaining < sizeof(T)) fail(std::string("file ends inside ") + what + " (truncated)");
        if (std::fread(&value, sizeof(T), 1, file) != 1)
            throw std::runtime_error(std::string("read error at ") + what + ": " + std::strerror(errno));
        remaining -= sizeof(T);
        return value;
    }

    void skip(uint64_t bytes, const char *what) {
        if (bytes > remaining) fail(std::string("file ends inside ") + what + " (truncated)");
        if (fseeko(file, off_t(bytes), SEEK_CUR) != 0)
            throw std::runtime_error(std::string("seek error at ") + what + ": " + std::strerror(errno));
        remaining -= bytes;
    }

    /// Skips a vector of `element_size`-byte elements and returns its element count.
    uint64_t skip_vector(uint64_t element_size, const char *what) {
        uint64_t count = read<uint64_t>(what);
        if (count > remaining / element_size)
            fail(std::string(what) + " claims " + std::to_string(count) + " entries, more than the " +
                 std::to_string(remaining) + " bytes left in the file");
        skip(count * element_size, what);
        return count;
    }
};

struct Header {
    int32_t d;
    int64_t ntotal;
};

Header read_header(Cursor &cursor, const char *what) {
    Header header;
    header.d = cursor.read<int32_t>(what);
    header.ntotal = cursor.read<int64_t>(what);
    cursor.read<int64_t>(what);
    cursor.read<int64_t>(what);
    cursor.read<uint8_t>(what);
    int32_t metric = cursor.read<int32_t>(what);
    if (metric != kMetricInnerProduct)
        fail(std::string(what) + " uses metric " + std::to_string(metric) + ", not inner product (0)");
    if (header.ntotal < 0 || header.ntotal > std::numeric_limits<int32_t>::max())
        fail(std::string(what) + " claims " + std::to_string(header.ntotal) + " vectors");
    return header;
}

}  // namespace

void check_layout(std::FILE *file, int64_t expected_dimension) {
    struct stat info;
    if (fstat(fileno(file), &info) != 0) throw std::runtime_error(std::string("fstat: ") + std::strerror(errno));
    if (!S_ISREG(info.st_mode)) fail("not a regular file");
    Cursor cursor{file, uint64_t(info.st_size)};
    if (cursor.remaining == 0) fail("the file is empty");

    if (cursor.read<uint32_t>("the index type") != fourcc("IHNf"))
        fail("not an HNSW-flat FAISS index (wrong type code at the start)");
    Header header = read_header(cursor, "the index header");
    if (expected_dimension < 1) fail("the expected dimension must be at least 1");
    if (header.d != expected_dimension)
        fail("index has dimension " + std::to_string(header.d) + ", expected " +
             std::to_string(expected_dimension));
    uint64_t ntotal = uint64_t(header.ntotal);

    cursor.skip_vector(sizeof(double), "the level probabilities");
    cursor.skip_vector(sizeof(int32_t), "the neighbour counts per level");
    if (cursor.skip_vector(sizeof(int32_t), "the node levels") != ntotal)
        fail("the node levels do not cover the " + std::to_string(ntotal) + " vectors");
    if (cursor.skip_vector(sizeof(uint64_t), "the neighbour offsets") != ntotal + 1)
        fail("the neighbour offsets do not cover the " + std::to_string(ntotal) + " vectors");
    cursor.skip_vector(sizeof(int32_t), "the neighbour lists");
    cursor.skip(5 * sizeof(int32_t), "the graph parameters");

    if (cursor.read<uint32_t>("the storage type") != fourcc("IxFI"))
        fail("the vectors are not stored as a flat inner-product index");
    Header storage = read_header(cursor, "the storage header");
    if (storage.d != header.d || storage.ntotal != header.ntotal)
        fail("the storage's shape differs from the graph's");
    uint64_t floats = cursor.read<uint64_t>("the stored vectors");
    if (floats != ntotal * uint64_t(header.d))
        fail("the stored vectors hold " + std::to_string(floats) + " floats, expected " +
             std::to_string(ntotal * uint64_t(header.d)));
    cursor.skip(floats * sizeof(float), "the stored vectors");
    if (cursor.remaining != 0)
        fail(std::to_string(cursor.remaining) + " unexpected bytes after the end of the index");
}

void check_graph(const faiss::IndexHNSWFlat &index, int64_t expected_dimension) {
    const faiss::HNSW &hnsw = index.hnsw;
    if (index.d != expected_dimension) fail("index has dimension " + std::to_string(index.d));
    if (index.metric_type != faiss::METRIC_INNER_PRODUCT) fail("index does not use inner product");
    auto *storage = dynamic_cast<const faiss::IndexFlat *>(index.storage);
    if (storage == nullptr || storage->metric_type != faiss::METRIC_INNER_PRODUCT || storage->d != index.d ||
        storage->ntotal != index.ntotal || storage->codes.size() != size_t(index.ntotal) * index.d * sizeof(float))
        fail("the vector storage does not match the graph");

    const auto &probas = hnsw.assign_probas;
    const auto &cum = hnsw.cum_nneighbor_per_level;
    if (probas.empty() || cum.size() != probas.size() + 1) fail("the level tables are inconsistent");
    for (double p : probas)
        if (!(p >= 0 && p <= 1)) fail("a level probability is outside [0, 1]");
    if (cum[0] != 0) fail("the neighbour counts per level do not start at 0");
    for (size_t l = 1; l < cum.size(); l++)
        if (cum[l] < cum[l - 1]) fail("the neighbour counts per level decrease");
    if (hnsw.efSearch < 1 || hnsw.efConstruction < 1) fail("the search parameters are not positive");

    const size_t n = size_t(index.ntotal);
    const auto &levels = hnsw.levels;
    const auto &offsets = hnsw.offsets;
    const auto &neighbors = hnsw.neighbors;
    if (levels.size() != n || offsets.size() != n + 1 || offsets[0] != 0 || offsets[n] != neighbors.size())
        fail("the neighbour offsets do not match the neighbour lists");
    for (size_t i = 0; i < n; i++) {
        if (levels[i] < 1 || size_t(levels[i]) >= cum.size())
            fail("node " + std::to_string(i) + " has level " + std::to_string(levels[i]) + " outside the table");
        if (offsets[i + 1] < offsets[i] || offsets[i + 1] - offsets[i] != size_t(cum[levels[i]]))
            fail("node " + std::to_string(i) + " has a neighbour list of the wrong length");
    }
    // A neighbour at level l must itself be on level l, or search would read its missing list.
    for (size_t i = 0; i < n; i++) {
        for (int level = 0; level < levels[i]; level++) {
            for (size_t j = offsets[i] + cum[level]; j < offsets[i] + cum[level + 1]; j++) {
                int32_t v = neighbors[j];
                if (v == -1) continue;
                if (v < 0 || size_t(v) >= n || levels[v] <= level)
                    fail("node " + std::to_string(i) + " links to an invalid neighbour " + std::to_string(v));
            }
        }
    }
    if (n == 0) {
        if (hnsw.entry_point != -1) fail("an empty graph has an entry point");
    } else {
        if (hnsw.entry_point < 0 || size_t(hnsw.entry_point) >= n) fail("the entry point is not a node");
        if (hnsw.max_level != levels[hnsw.entry_point] - 1) fail("the entry point is not on the top level");
        for (size_t i = 0; i < n; i++)
            if (levels[i] - 1 > hnsw.max_level) fail("a node is above the top level");
    }
}

}  // namespace cfaiss
