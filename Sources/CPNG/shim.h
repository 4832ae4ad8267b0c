// libpng 1.6 from Debian's libpng-dev; only the simplified png_image API is used (no setjmp in Swift).
#include <png.h>
// zlib (a dependency of libpng-dev) for gzip-compressed data files such as Fashion-MNIST's IDX files.
#include <zlib.h>
