#include <oneapi/dnnl/dnnl.h>

// libgomp, the OpenMP runtime oneDNN runs on: the engine's own parallel loops use the same
// threads, so the two never compete for cores (GCC's ABI for `#pragma omp parallel`).
void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned int flags);
int omp_get_thread_num(void);
void omp_set_num_threads(int num_threads);
