// cfaiss.h over faiss::IndexHNSWFlat with METRIC_INNER_PRODUCT. Each entry point runs its body in
// `guarded`, which turns every C++ exception into a status and a thread-local one-line message.
//
// FAISS 1.7.3 sizes a search's candidate list from the index's own efSearch field and ignores the
// one in SearchParametersHNSW (fixed upstream in 2024), so a search sets that field. Searches at
// the index's current efSearch share a reader lock; changing it, adding and writing take it alone.
#include "cfaiss.h"

#include "file_check.hpp"
#include "flat_storage.hpp"

#include <faiss/IndexHNSW.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_io.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

struct cfaiss_index {
    std::unique_ptr<faiss::IndexHNSWFlat> hnsw;  // owns its flat storage (own_fields)
    int default_ef_search;                        // what searches with ef_search <= 0 use; written to files
    mutable std::shared_mutex lock;
};

namespace {

thread_local std::string last_error;
std::atomic<int> requested_threads{0};

/// Raised by the entry points for their own argument and I/O checks.
struct Failure {
    cfaiss_status status;
    std::string message;
};

[[noreturn]] void fail(cfaiss_status status, std::string message) { throw Failure{status, std::move(message)}; }

/// FAISS's messages read "Error in <function> at <file>:<line>: <reason>"; keeps the reason.
std::string faiss_reason(const char *what) {
    std::string text(what);
    size_t at = text.find(" at ");
    size_t colon = at == std::string::npos ? std::string::npos : text.find(": ", at);
    if (text.rfind("Error in ", 0) == 0 && colon != std::string::npos) text = text.substr(colon + 2);
    for (char &c : text)
        if (c == '\n' || c == '\r') c = ' ';
    return text;
}

template <class Body> cfaiss_status guarded(Body &&body) {
    try {
        body();
        return CFAISS_OK;
    } catch (const Failure &failure) {
        last_error = failure.message;
        return failure.status;
    } catch (const cfaiss::FileCheckError &error) {
        last_error = error.what();
        return CFAISS_FORMAT;
    } catch (const faiss::FaissException &error) {
        last_error = "FAISS: " + faiss_reason(error.what());
        return CFAISS_INTERNAL;
    } catch (const std::bad_alloc &) {
        last_error = "out of memory";
        return CFAISS_OUT_OF_MEMORY;
    } catch (const std::exception &error) {
        last_error = faiss_reason(error.what());
        return CFAISS_INTERNAL;
    } catch (...) {
        last_error = "unknown C++ exception";
        return CFAISS_INTERNAL;
    }
}

/// Applies the requested OpenMP thread count, at most `work` (FAISS splits a search by query, so
/// threads beyond the query count only wait), to the calling thread (OpenMP keeps it per thread).
void apply_threads(int64_t work) {
    static const int default_threads = omp_get_max_threads();
    int requested = requested_threads.load(std::memory_order_relaxed);
    int threads = requested > 0 ? requested : default_threads;
    omp_set_num_threads(int(std::max<int64_t>(1, std::min<int64_t>(threads, work))));
}

/// Moves the vectors of `index` into a FlatInnerProductStorage, whose distance is vectorised.
void adopt_storage(faiss::IndexHNSWFlat &index) {
    auto *flat = dynamic_cast<faiss::IndexFlat *>(index.storage);
    if (flat == nullptr) fail(CFAISS_INTERNAL, "the HNSW storage is not a flat index");
    auto storage = std::make_unique<cfaiss::FlatInnerProductStorage>(index.d);
    storage->codes.swap(flat->codes);
    storage->ntotal = flat->ntotal;
    if (index.own_fields) delete index.storage;
    index.storage = storage.release();
    index.own_fields = true;
}

void require_index(const cfaiss_index *index) {
    if (index == nullptr) fail(CFAISS_INVALID_ARGUMENT, "index is NULL");
}

void require_positive_int(int64_t value, const char *what) {
    if (value < 1 || value > std::numeric_limits<int32_t>::max())
        fail(CFAISS_INVALID_ARGUMENT, std::string(what) + " must be between 1 and 2147483647, got " +
                                          std::to_string(value));
}

std::string quoted(const char *path) { return std::string("'") + path + "'"; }

}  // namespace

extern "C" {

const char *cfaiss_last_error(void) { return last_error.c_str(); }

cfaiss_status cfaiss_hnsw_create(int64_t dimension, int64_t m, cfaiss_index **out) {
    return guarded([&] {
        if (out == nullptr) fail(CFAISS_INVALID_ARGUMENT, "out is NULL");
        *out = nullptr;
        if (dimension < 1 || dimension > (1 << 20))
            fail(CFAISS_INVALID_ARGUMENT, "dimension must be between 1 and 1048576, got " + std::to_string(dimension));
        if (m < 2 || m > 1024)
            fail(CFAISS_INVALID_ARGUMENT, "M must be between 2 and 1024, got " + std::to_string(m));
        auto index = std::make_unique<cfaiss_index>();
        index->hnsw = std::make_unique<faiss::IndexHNSWFlat>(int(dimension), int(m), faiss::METRIC_INNER_PRODUCT);
        adopt_storage(*index->hnsw);
        index->default_ef_search = index->hnsw->hnsw.efSearch;
        *out = index.release();
    });
}

void cfaiss_free(cfaiss_index *index) { delete index; }

cfaiss_status cfaiss_hnsw_set_ef_construction(cfaiss_index *index, int64_t ef_construction) {
    return guarded([&] {
        require_index(index);
        require_positive_int(ef_construction, "efConstruction");
        std::unique_lock<std::shared_mutex> exclusive(index->lock);
        index->hnsw->hnsw.efConstruction = int(ef_construction);
    });
}

cfaiss_status cfaiss_hnsw_set_ef_search(cfaiss_index *index, int64_t ef_search) {
    return guarded([&] {
        require_index(index);
        require_positive_int(ef_search, "efSearch");
        std::unique_lock<std::shared_mutex> exclusive(index->lock);
        index->default_ef_search = int(ef_search);
    });
}

cfaiss_status cfaiss_add(cfaiss_index *index, int64_t n, const float *vectors) {
    return guarded([&] {
        require_index(index);
        if (n < 0) fail(CFAISS_INVALID_ARGUMENT, "vector count is negative");
        if (n == 0) return;
        if (vectors == nullptr) fail(CFAISS_INVALID_ARGUMENT, "vectors is NULL");
        std::unique_lock<std::shared_mutex> exclusive(index->lock);
        if (n > std::numeric_limits<int32_t>::max() - index->hnsw->ntotal)
            fail(CFAISS_INVALID_ARGUMENT, "an HNSW index holds at most 2147483647 vectors");
        apply_threads(n);
        index->hnsw->add(n, vectors);
    });
}

cfaiss_status cfaiss_search(const cfaiss_index *index, int64_t n, const float *queries, int64_t k,
                            int64_t ef_search, float *scores, int64_t *labels) {
    return guarded([&] {
        require_index(index);
        if (n < 0) fail(CFAISS_INVALID_ARGUMENT, "query count is negative");
        require_positive_int(k, "k");
        if (n == 0) return;
        if (n > std::numeric_limits<int64_t>::max() / k) fail(CFAISS_INVALID_ARGUMENT, "n × k overflows");
        if (queries == nullptr || scores == nullptr || labels == nullptr)
            fail(CFAISS_INVALID_ARGUMENT, "queries, scores or labels is NULL");
        if (ef_search > 0) require_positive_int(ef_search, "efSearch");
        apply_threads(n);
        faiss::IndexHNSWFlat &hnsw = *index->hnsw;
        auto run = [&](int ef) {
            if (hnsw.ntotal == 0) {  // FAISS 1.7.3 has no entry point to start from
                std::fill(labels, labels + n * k, -1);
                std::fill(scores, scores + n * k, -INFINITY);
                return;
            }
            faiss::SearchParametersHNSW parameters;
            parameters.efSearch = ef;
            hnsw.search(n, queries, k, scores, labels, &parameters);
        };
        bool done = false;
        {
            std::shared_lock<std::shared_mutex> shared(index->lock);
            int ef = ef_search > 0 ? int(ef_search) : index->default_ef_search;
            if (hnsw.hnsw.efSearch == ef) {
                run(ef);
                done = true;
            }
        }
        if (!done) {
            std::unique_lock<std::shared_mutex> exclusive(index->lock);
            int ef = ef_search > 0 ? int(ef_search) : index->default_ef_search;
            hnsw.hnsw.efSearch = ef;
            run(ef);
        }
        for (int64_t i = 0; i < n * k; i++)
            if (labels[i] < 0) {
                labels[i] = -1;
                scores[i] = -INFINITY;
            }
    });
}

int64_t cfaiss_ntotal(const cfaiss_index *index) {
    if (index == nullptr) return 0;
    std::shared_lock<std::shared_mutex> shared(index->lock);
    return index->hnsw->ntotal;
}

int64_t cfaiss_dimension(const cfaiss_index *index) { return index == nullptr ? 0 : index->hnsw->d; }

cfaiss_status cfaiss_write(const cfaiss_index *index, const char *path) {
    std::string temporary;
    cfaiss_status status = guarded([&] {
        require_index(index);
        if (path == nullptr || *path == '\0') fail(CFAISS_INVALID_ARGUMENT, "path is empty");
        temporary = std::string(path) + ".partial-XXXXXX";
        int fd = mkstemp(temporary.data());
        if (fd < 0) {
            temporary.clear();
            fail(CFAISS_IO, "cannot create a file beside " + quoted(path) + ": " + std::strerror(errno));
        }
        fchmod(fd, 0644);
        std::unique_ptr<std::FILE, int (*)(std::FILE *)> file(fdopen(fd, "wb"), std::fclose);
        if (!file) {
            close(fd);
            fail(CFAISS_IO, "cannot open " + quoted(temporary.c_str()) + ": " + std::strerror(errno));
        }
        try {
            std::unique_lock<std::shared_mutex> exclusive(index->lock);
            index->hnsw->hnsw.efSearch = index->default_ef_search;
            faiss::write_index(index->hnsw.get(), file.get());
        } catch (const faiss::FaissException &error) {
            fail(CFAISS_IO, "cannot write " + quoted(path) + ": " + faiss_reason(error.what()));
        }
        if (std::fflush(file.get()) != 0 || fsync(fileno(file.get())) != 0)
            fail(CFAISS_IO, "cannot write " + quoted(path) + ": " + std::strerror(errno));
        if (std::fclose(file.release()) != 0)
            fail(CFAISS_IO, "cannot write " + quoted(path) + ": " + std::strerror(errno));
        if (std::rename(temporary.c_str(), path) != 0)
            fail(CFAISS_IO, "cannot replace " + quoted(path) + ": " + std::strerror(errno));
        temporary.clear();
    });
    if (!temporary.empty()) unlink(temporary.c_str());
    return status;
}

cfaiss_status cfaiss_read(const char *path, int64_t dimension, cfaiss_index **out) {
    return guarded([&] {
        if (out == nullptr) fail(CFAISS_INVALID_ARGUMENT, "out is NULL");
        *out = nullptr;
        if (path == nullptr || *path == '\0') fail(CFAISS_INVALID_ARGUMENT, "path is empty");
        std::unique_ptr<std::FILE, int (*)(std::FILE *)> file(std::fopen(path, "rb"), std::fclose);
        if (!file) fail(CFAISS_IO, "cannot open " + quoted(path) + ": " + std::strerror(errno));
        try {
            cfaiss::check_layout(file.get(), dimension);
        } catch (const cfaiss::FileCheckError &error) {
            fail(CFAISS_FORMAT, quoted(path) + ": " + error.what());
        } catch (const std::runtime_error &error) {
            fail(CFAISS_IO, "cannot read " + quoted(path) + ": " + error.what());
        }
        std::rewind(file.get());
        std::unique_ptr<faiss::Index> read;
        try {
            read.reset(faiss::read_index(file.get()));
        } catch (const faiss::FaissException &error) {
            fail(CFAISS_FORMAT, quoted(path) + ": " + faiss_reason(error.what()));
        }
        auto *hnsw = dynamic_cast<faiss::IndexHNSWFlat *>(read.get());
        if (hnsw == nullptr) fail(CFAISS_FORMAT, quoted(path) + ": not an HNSW-flat index");
        try {
            cfaiss::check_graph(*hnsw, dimension);
        } catch (const cfaiss::FileCheckError &error) {
            fail(CFAISS_FORMAT, quoted(path) + ": " + error.what());
        }
        auto index = std::make_unique<cfaiss_index>();
        read.release();
        index->hnsw.reset(hnsw);
        adopt_storage(*hnsw);
        index->default_ef_search = hnsw->hnsw.efSearch;
        *out = index.release();
    });
}

void cfaiss_set_num_threads(int threads) { requested_threads.store(threads > 0 ? threads : 0); }

int cfaiss_num_threads(void) {
    int requested = requested_threads.load();
    return requested > 0 ? requested : omp_get_max_threads();
}

int64_t cfaiss_distance_computations(void) { return cfaiss::distances_computed(); }

}  // extern "C"
