// CBLAS from Debian's libopenblas-dev (the pthread build, /usr/include/x86_64-linux-gnu/cblas.h).
#include <cblas.h>
// OpenBLAS extension: threads used by a single BLAS call.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
// OpenBLAS extension: the kernel set chosen for this CPU ("Haswell", "SkylakeX", "Prescott"…) and the build.
char *openblas_get_corename(void);
char *openblas_get_config(void);
