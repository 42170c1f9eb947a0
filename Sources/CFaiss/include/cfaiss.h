// A plain C interface to one kind of FAISS index: HNSW over the vectors themselves (IndexHNSWFlat)
// ranked by inner product, which is cosine similarity for unit vectors.
//
// Conventions:
// - Every function that can fail returns a cfaiss_status; on anything but CFAISS_OK,
//   cfaiss_last_error() gives a one-line message (valid on the calling thread until its next call).
// - No C++ exception crosses this interface.
// - Matrices are row-major float32: vectors and queries are [n, d]; scores and labels are [n, k].
// - Labels are the 0-based insertion order; a slot with no neighbour has label -1 and score -INFINITY.
// - Calls on one index may come from several threads at once (searches at the same efSearch run in
//   parallel; adds, writes and changes of efSearch wait for one another); only cfaiss_free must not
//   overlap another call.
#ifndef CFAISS_H
#define CFAISS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Outcome of a call.
typedef enum {
    CFAISS_OK = 0,
    CFAISS_INVALID_ARGUMENT = 1,  ///< a size, count or pointer the index cannot take
    CFAISS_IO = 2,                ///< the file could not be opened, read or written
    CFAISS_FORMAT = 3,            ///< the file is not an HNSW-flat inner-product index of the expected shape
    CFAISS_OUT_OF_MEMORY = 4,
    CFAISS_INTERNAL = 5,          ///< FAISS failed in a way not covered above
} cfaiss_status;

/// An opaque HNSW-flat inner-product index.
typedef struct cfaiss_index cfaiss_index;

/// The message of the last failed call on this thread ("" if none failed yet).
const char *cfaiss_last_error(void);

/// Creates an empty index of `dimension`-long vectors with `m` graph neighbours per node (level 0 keeps 2m).
cfaiss_status cfaiss_hnsw_create(int64_t dimension, int64_t m, cfaiss_index **out);

/// Releases the index (NULL is ignored).
void cfaiss_free(cfaiss_index *index);

/// Candidate-list size while adding; applies to vectors added after the call.
cfaiss_status cfaiss_hnsw_set_ef_construction(cfaiss_index *index, int64_t ef_construction);

/// Default candidate-list size of searches that pass ef_search <= 0.
cfaiss_status cfaiss_hnsw_set_ef_search(cfaiss_index *index, int64_t ef_search);

/// Adds n vectors, row-major [n, d]; they get labels ntotal ..< ntotal + n.
cfaiss_status cfaiss_add(cfaiss_index *index, int64_t n, const float *vectors);

/// Searches n queries ([n, d]) for their k best inner products, with a candidate list of
/// ef_search entries (<= 0: the index's default). Writes scores [n, k] (best first) and labels [n, k].
cfaiss_status cfaiss_search(const cfaiss_index *index, int64_t n, const float *queries, int64_t k,
                            int64_t ef_search, float *scores, int64_t *labels);

/// Number of vectors in the index.
int64_t cfaiss_ntotal(const cfaiss_index *index);

/// Length of the index's vectors.
int64_t cfaiss_dimension(const cfaiss_index *index);

/// Writes the index to `path` in FAISS's format: to a temporary file beside it, flushed to disk,
/// then renamed over `path`, so a reader never sees a half-written file.
cfaiss_status cfaiss_write(const cfaiss_index *index, const char *path);

/// Reads an index written by cfaiss_write (or FAISS's write_index of an IndexHNSWFlat with
/// METRIC_INNER_PRODUCT). The file's structure is checked against its length before anything is
/// allocated, and the graph after it is read, so a truncated, corrupt or foreign file fails with
/// CFAISS_FORMAT (or CFAISS_IO) instead of crashing now or in a later search.
cfaiss_status cfaiss_read(const char *path, int64_t dimension, cfaiss_index **out);

/// Number of OpenMP threads that later adds and searches use, from whichever thread they are
/// called (<= 0: OpenMP's default, usually the number of cores); a search of n queries uses at most n.
void cfaiss_set_num_threads(int threads);

/// The thread count set by cfaiss_set_num_threads, or OpenMP's default if none was set.
int cfaiss_num_threads(void);

/// Vector-to-vector inner products computed by all indexes of this process so far, counted when
/// each add or search finishes: the work a search does, for measurements.
int64_t cfaiss_distance_computations(void);

#ifdef __cplusplus
}
#endif

#endif
